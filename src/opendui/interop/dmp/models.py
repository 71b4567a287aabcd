"""What OpenDUI sent, or will send, to the DMP: one share per document, one submission per version.

- `DmpShare`: a store `Document` a professional (or the validation of a generated
  document) decided to put in the person's DMP: who decided and when, the visibility flags
  the DMP applies (masqué aux professionnels, invisible au patient, invisible aux
  représentants légaux), and whether the feed was stopped (removed from the DMP).
- `DmpSubmission`: one `DocumentVersion` sent: its OIDs (uniqueId of this version,
  setId shared by every version), the status of the background job that sends it, the
  exact CDA bytes submitted (in the records storage), and the identity of the professional
  acting (a job has no session). The unique `document_version` is the idempotency rule:
  the same version is never queued twice.

Writes go through services.py (checks, audit) and tasks.py (the jobs).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_oid() -> str:
    """A fresh OID under the UUID arc (ISO/IEC 9834-8, `2.25.<uuid as integer>`)."""
    return f"2.25.{uuid.uuid4().int}"


class SubmissionStatus(models.TextChoices):
    TO_SEND = "to_send", _("à envoyer")
    SENDING = "sending", _("envoi en cours")
    SENT = "sent", _("versé au DMP")
    REFUSED = "refused", _("refusé par le DMP")
    FAILED = "failed", _("échec, nouvel essai prévu")
    BLOCKED = "blocked", _("bloqué")


#: Statuses after which the job has nothing more to do (a user may retry a failed one).
FINAL_STATUSES = (SubmissionStatus.SENT, SubmissionStatus.REFUSED, SubmissionStatus.BLOCKED)


class ActionStatus(models.TextChoices):
    """State of a metadata update (visibility) or a removal sent to the DMP."""

    NONE = "", _("aucune")
    PENDING = "pending", _("en attente")
    DONE = "done", _("appliquée")
    FAILED = "failed", _("échec")


class DmpShare(models.Model):
    document = models.OneToOneField(
        "documents.Document",
        on_delete=models.PROTECT,
        related_name="dmp_share",
        verbose_name=_("document"),
    )
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("personne")
    )
    facility = models.ForeignKey(
        "organisations.Facility",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("établissement"),
    )
    # OID shared by every version of the document (CDA setId).
    set_id = models.CharField(_("identifiant du lot de versions (setId)"), max_length=64)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("décidé par"),
    )
    decided_at = models.DateTimeField(_("décidé le"))
    hidden_from_professionals = models.BooleanField(_("masqué aux professionnels"), default=False)
    invisible_to_patient = models.BooleanField(_("invisible pour la personne"), default=False)
    invisible_to_legal_representatives = models.BooleanField(
        _("invisible pour les représentants légaux"), default=False
    )
    visibility_status = models.CharField(
        _("mise à jour de la visibilité"), max_length=10, choices=ActionStatus, blank=True
    )
    visibility_error = models.CharField(_("erreur de visibilité"), max_length=500, blank=True)
    stopped_at = models.DateTimeField(_("retiré du DMP le"), null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retiré par"),
    )
    stop_reason = models.CharField(_("motif du retrait"), max_length=500, blank=True)
    removal_status = models.CharField(
        _("suppression dans le DMP"), max_length=10, choices=ActionStatus, blank=True
    )
    removal_error = models.CharField(_("erreur de suppression"), max_length=500, blank=True)
    # The professional of the last visibility change or removal (its job acts as them).
    acting_professional = models.JSONField(
        _("professionnel agissant (dernière action)"), null=True, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("partage au DMP")
        verbose_name_plural = _("partages au DMP")
        constraints = [
            models.UniqueConstraint(fields=["set_id"], name="dmp_share_set_id_unique"),
            models.CheckConstraint(
                condition=Q(visibility_status__in=ActionStatus.values),
                name="dmp_share_visibility_status_known",
            ),
            models.CheckConstraint(
                condition=Q(removal_status__in=ActionStatus.values),
                name="dmp_share_removal_status_known",
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True, stop_reason="")
                | (Q(stopped_at__isnull=False) & ~Q(stop_reason="")),
                name="dmp_share_stop_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"DMP: document {self.document_id}"

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None


class DmpSubmission(models.Model):
    share = models.ForeignKey(
        DmpShare, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("partage")
    )
    document_version = models.OneToOneField(
        "documents.DocumentVersion",
        on_delete=models.PROTECT,
        related_name="dmp_submission",
        verbose_name=_("version du document"),
    )
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("personne")
    )
    facility = models.ForeignKey(
        "organisations.Facility",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("établissement"),
    )
    # OID of this version: CDA ClinicalDocument/id and XDS uniqueId.
    unique_id = models.CharField(_("identifiant unique (uniqueId)"), max_length=64, unique=True)
    set_id = models.CharField(_("identifiant du lot de versions (setId)"), max_length=64)
    version_number = models.PositiveIntegerField(_("numéro de version"))
    status = models.CharField(
        _("état"), max_length=10, choices=SubmissionStatus, default=SubmissionStatus.TO_SEND
    )
    # French: why the DMP refused, why it is blocked, or the last failure.
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    entry_uuid = models.CharField(_("entryUUID (DMP)"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("versé le"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("remplace"),
    )
    # accounts.national_identity.ProfessionalIdentity of the one who acts (asdict).
    professional = models.JSONField(_("professionnel agissant"))
    # The exact CDA bytes submitted, in the records storage (written before the first send).
    cda_name = models.CharField(_("CDA stocké"), max_length=200, blank=True)
    cda_sha256 = models.CharField(_("empreinte SHA-256 du CDA"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("envoi au DMP")
        verbose_name_plural = _("envois au DMP")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="dmp_submission_person"),
            models.Index(fields=["facility", "status", "-created_at"], name="dmp_submission_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubmissionStatus.values),
                name="dmp_submission_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=SubmissionStatus.SENT)
                | (Q(sent_at__isnull=False) & ~Q(entry_uuid="")),
                name="dmp_submission_sent_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[SubmissionStatus.REFUSED, SubmissionStatus.BLOCKED])
                | ~Q(reason=""),
                name="dmp_submission_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(version_number__gte=1), name="dmp_submission_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"DMP {self.unique_id} v{self.version_number} ({self.get_status_display()})"
