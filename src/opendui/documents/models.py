"""What the DUI sent to the DMP and through MSSanté: one `Sharing` row per sending.

This is the interface between the future DMP and MSSanté clients (interop/dmp,
interop/mssante) and the usage indicators: the clients write a row for every document or
message they send, through `documents.services.record_sharing` (status "envoyé" when the national service accepted it, "échec"
otherwise); the indicators read them through `documents.selectors` only, so they need no
change when the clients arrive.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.organisations.models import Facility
from opendui.persons.models import Person


class Channel(models.TextChoices):
    DMP = "DMP", _("DMP")
    MSSANTE = "MSSANTE", _("MSSanté")


class SharingStatus(models.TextChoices):
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")


class Sharing(models.Model):
    channel = models.CharField(_("canal"), max_length=10, choices=Channel)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="sharings")
    # An MSSanté message may concern nobody in particular; a DMP document always has a person.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="sharings"
    )
    sent_at = models.DateTimeField(_("envoyé le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=SharingStatus, default=SharingStatus.SENT
    )
    external_id = models.CharField(_("identifiant externe"), max_length=200, blank=True)
    document_reference = models.CharField(_("document"), max_length=300, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("envoi DMP ou MSSanté")
        indexes = [
            models.Index(fields=["facility", "channel", "sent_at"], name="sharing_facility_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="sharing_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SharingStatus]),
                name="sharing_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.DMP) | Q(person__isnull=False),
                name="sharing_dmp_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.sent_at:%d/%m/%Y}"
