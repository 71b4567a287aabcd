"""Merging duplicate records (fusion de doublons): the proposal, its review and its trace.

A merge is done in two steps by two different people (identity vigilance asks that a
merge be checked by the referent): a professional who may edit both identities
*proposes* it, a holder of `identity.merge` *reviews* it and either executes it or
rejects it with a reason. The row is never deleted: it is the trace of the merge,
with the source's identity as it was (INS included, which must not be lost) and
the ids of every row moved onto the kept record (persons.merge).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["MergeStatus", "PersonMerge"]


class MergeStatus(models.TextChoices):
    PROPOSED = "proposee", _("Proposée, en attente de validation")
    EXECUTED = "executee", _("Validée et exécutée")
    REJECTED = "rejetee", _("Rejetée")


class PersonMerge(models.Model):
    """One proposal to merge `source` (the duplicate) into `target` (the record kept)."""

    source = models.ForeignKey(
        "persons.Person",
        on_delete=models.PROTECT,
        related_name="merges_as_source",
        verbose_name=_("dossier en doublon (fusionné)"),
    )
    target = models.ForeignKey(
        "persons.Person",
        on_delete=models.PROTECT,
        related_name="merges_as_target",
        verbose_name=_("dossier conservé"),
    )
    reason = models.TextField(_("motif de la fusion"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposée le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=MergeStatus, default=MergeStatus.PROPOSED
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    review_comment = models.TextField(_("commentaire du référent"), blank=True)
    # {relation key: number of rows moved} and {relation key: [ids]}: the ids let a
    # reviewer (or a future "défusion") find exactly which rows came from the source.
    moved_counts = models.JSONField(_("éléments déplacés"), default=dict, blank=True)
    moved_ids = models.JSONField(_("identifiants des éléments déplacés"), default=dict, blank=True)
    # The source's identity at execution (strict traits, INS, statuses): the row itself
    # is kept, but this copy is what the merge was decided on.
    source_snapshot = models.JSONField(_("identité du doublon"), default=dict, blank=True)
    # The kept record's identity before the merge, and where each of its traits came
    # from: {"strict": "source"|"target", "used_name": …, "used_first_name": …}.
    target_snapshot = models.JSONField(
        _("identité du dossier conservé avant la fusion"), default=dict, blank=True
    )
    trait_choices = models.JSONField(_("traits conservés"), default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("fusion de dossiers")
        verbose_name_plural = _("fusions de dossiers")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="merge_not_into_itself"
            ),
            # A record is merged once, and has at most one proposal waiting.
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status="executee"),
                name="merge_source_executed_once",
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status="proposee"),
                name="merge_source_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status="proposee")
                | models.Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="merge_reviewed_when_decided",
            ),
        ]
        indexes = [models.Index(fields=["status", "proposed_at"], name="merge_status_date")]

    def __str__(self) -> str:
        return f"Fusion {self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == MergeStatus.PROPOSED
