"""Identity-vigilance alerts raised from the duplicate check of a new record.

When the identity being created resembles records the professional may not see (another
facility of the organisation), the check says only that a close record exists: showing
its traits would disclose who is accompanied elsewhere. The professional may then alert
the identity-vigilance referent(s), who see the organisation's records: the alert keeps
the identity entered and the records it resembled, and the referent closes it once the
records are checked (merged, or found distinct). Never deleted: it is the trace.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel

__all__ = ["AlertStatus", "IdentityAlert"]


class AlertStatus(models.TextChoices):
    OPEN = "ouvert", _("À examiner")
    CLOSED = "traite", _("Traité")


class IdentityAlert(VersionedModel):
    """A possible duplicate outside the reporter's scope, for the referent to examine."""

    organisation = models.ForeignKey(
        "organisations.ManagingOrganisation", on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        "organisations.Facility",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("établissement du signalement"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("signalé le"))
    # The identity typed in the creation form (the strict traits and the used names).
    entered = models.JSONField(_("identité saisie"))
    # sha256 of the entered traits: a second click on the same form joins the open alert.
    entered_key = models.CharField(max_length=64)
    matches = models.ManyToManyField(
        "persons.Person", related_name="+", verbose_name=_("dossiers ressemblants")
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=AlertStatus, default=AlertStatus.OPEN
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    closing_comment = models.TextField(_("suite donnée"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("signalement de doublon possible")
        verbose_name_plural = _("signalements de doublons possibles")
        indexes = [
            models.Index(fields=["organisation", "status", "raised_at"], name="idalert_org_status")
        ]

    def __str__(self) -> str:
        return f"{self.entered.get('birth_name', '')} ({self.raised_at:%d/%m/%Y})"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    @property
    def entered_birth_date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(str(self.entered.get("birth_date", "")))
        except ValueError:
            return None

    @property
    def entered_sex(self) -> str:
        from .models import Sex

        code = self.entered.get("sex", "")
        return str(Sex(code).label) if code in Sex.values else code
