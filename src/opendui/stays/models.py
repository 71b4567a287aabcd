"""Stays: a person's time in a facility. They decide which teams see the record."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person


class StayQuerySet(models.QuerySet["Stay"]):
    def current(self) -> StayQuerySet:
        today = timezone.localdate()
        return self.filter(
            Q(start_date__lte=today), Q(end_date__isnull=True) | Q(end_date__gte=today)
        )


class Stay(VersionedModel):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="stays")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="stays")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="stays"
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)

    objects = StayQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("séjour")
        indexes = [
            models.Index(fields=["facility", "person"], name="stay_facility_person"),
            models.Index(fields=["unit", "person"], name="stay_unit_person"),
            models.Index(fields=["person", "start_date"], name="stay_person_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="stay_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility} ({self.start_date:%d/%m/%Y})"
