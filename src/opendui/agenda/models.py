"""Agenda events (TDDUI "Événement"), their participants and professionals, series, and
the narrow EventChange table the ESMS Numérique "événement" indicator counts.

Event start/end and status are copied onto EventParticipant and EventProfessional
(kept equal by agenda.services only): the person's agenda and a professional's agenda
and conflicts are then index range scans on (person, start) and (user, start) without
joining the 10 M-row event table first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.core.models import VersionedModel
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .recurrence import Frequency
from .rules import Presence, Status


class EventKind(models.TextChoices):
    ACTIVITY = "activite", _("activité")
    APPOINTMENT = "rendez_vous", _("rendez-vous")
    HOME_VISIT = "domicile", _("intervention à domicile")
    MEETING = "reunion", _("réunion")
    OTHER = "autre", _("autre")


class EventStatus(models.TextChoices):
    PLANNED = Status.PLANNED.value, _("planifié")
    VALIDATED = Status.VALIDATED.value, _("validé")
    CANCELLED = Status.CANCELLED.value, _("annulé")
    DONE = Status.DONE.value, _("terminé")


class PresenceChoice(models.TextChoices):
    YES = Presence.YES.value, _("présent(e)")
    NO = Presence.NO.value, _("absent(e)")
    UNKNOWN = Presence.UNKNOWN.value, _("non renseigné")


CATEGORY_CHOICES = [(c.value, label) for c, label in DATA_CATEGORY_LABELS.items()]


class Series(models.Model):
    """A recurrence rule; its occurrences are ordinary Event rows pointing to it."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(
        _("répétition"), max_length=20, choices=[(f.value, f.value) for f in Frequency]
    )
    interval = models.PositiveSmallIntegerField(_("intervalle"), default=1)
    weekdays = models.CharField(_("jours"), max_length=20, blank=True)  # "0,2,4"
    until = models.DateField(_("jusqu'au"), null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("nombre d'occurrences"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("série d'événements")

    def __str__(self) -> str:
        return f"répétition {self.frequency}"


class Event(VersionedModel):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=EventKind)
    title = models.CharField(_("intitulé"), max_length=200)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    status = models.CharField(
        _("statut"), max_length=10, choices=EventStatus, default=EventStatus.PLANNED
    )
    non_realisation_reason = models.TextField(_("motif de non-réalisation"), blank=True)
    serafin_code = models.CharField(_("prestation SERAFIN-PH"), max_length=20, blank=True)
    pp_service = models.ForeignKey(
        "accompaniment.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("prestation du projet personnalisé"),
    )
    category = models.CharField(
        _("catégorie de données du compte rendu"),
        max_length=20,
        choices=CATEGORY_CHOICES,
        default=DataCategory.SOCIAL.value,
    )
    report = models.TextField(_("compte rendu"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("événement")
        indexes = [
            models.Index(fields=["facility", "start", "end"], name="event_facility_start"),
            models.Index(fields=["series", "start"], name="event_series_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="event_end_after_start"),
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED.value) | ~Q(non_realisation_reason=""),
                name="event_cancelled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in {Status.PLANNED, Status.VALIDATED}


class EventParticipant(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    present = models.CharField(
        _("présence"), max_length=10, choices=PresenceChoice, default=PresenceChoice.UNKNOWN
    )
    start = models.DateTimeField()  # copy of event.start (person agenda index)

    class Meta:
        verbose_name = _("participant")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="participant_once"),
        ]
        indexes = [models.Index(fields=["person", "start"], name="participant_person_start")]


class EventProfessional(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="professionals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()  # copies of the event's period and status
    end = models.DateTimeField()
    cancelled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("professionnel de l'événement")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="professional_once"),
        ]
        indexes = [models.Index(fields=["user", "start"], name="professional_user_start")]


class ChangeKind(models.TextChoices):
    CREATE = "create", _("création")
    UPDATE = "update", _("modification")
    STATUS = "status", _("changement de statut")


class EventChange(models.Model):
    """One row per participant person for every creation or update of an event.

    Written in the transaction of the change (agenda.changes). The ESMS Numérique
    indicator "dossiers actifs ayant au moins un événement" counts distinct persons
    here per facility and month with one aggregate served by the index below.
    Plain integer columns, no foreign keys: the table is append-only and narrow.
    """

    person_id = models.BigIntegerField()
    facility_id = models.BigIntegerField()
    event_id = models.BigIntegerField()
    changed_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=ChangeKind)
    by_job = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("événement (indicateur ESMS numérique)")
        indexes = [
            models.Index(
                fields=["facility_id", "changed_at", "person_id", "by_job"],
                name="eventchange_facility_at",
            )
        ]
