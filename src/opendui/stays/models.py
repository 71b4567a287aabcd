"""Stays: a person's time in a facility. They decide which teams see the record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel, ends_after_start
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .rules import (
    CONTRACT,
    CONTRACT_KINDS,
    REFUSAL_REASON_LABELS,
    STATUS_LABELS,
    AdmissionStatus,
)

STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in AdmissionStatus]
REFUSAL_REASON_CHOICES = [(r.value, label) for r, label in REFUSAL_REASON_LABELS.items()]


class StayMode(models.TextChoices):
    PERMANENT = "hebergement_permanent", _("hébergement permanent")
    TEMPORARY = "hebergement_temporaire", _("hébergement temporaire")
    DAY = "accueil_jour", _("accueil de jour")
    NIGHT = "accueil_nuit", _("accueil de nuit")
    HOME = "domicile", _("intervention à domicile")
    DAY_SCHOOL = "externat", _("externat")
    SEMI_BOARDING = "semi_internat", _("semi-internat")
    BOARDING = "internat", _("internat")
    OTHER = "autre", _("autre")


class DischargeReason(models.TextChoices):
    END_OF_SUPPORT = "fin_accompagnement", _("fin de l'accompagnement prévu")
    PERSON_CHOICE = "choix_personne", _("choix de la personne ou de sa famille")
    REORIENTATION = "reorientation", _("réorientation")
    TRANSFER = "transfert", _("transfert vers un autre établissement de l'organisme")
    HOSPITALISATION = "hospitalisation", _("hospitalisation longue")
    TERMINATION = "resiliation", _("résiliation du contrat")
    DEATH = "deces", _("décès")
    OTHER = "autre", _("autre")


class DischargeDestination(models.TextChoices):
    HOME = "domicile", _("domicile")
    FAMILY = "famille", _("famille ou proches")
    SAME_ORGANISATION = "meme_organisme", _("autre établissement du même organisme")
    OTHER_ESMS = "autre_esms", _("autre établissement ou service médico-social")
    HOSPITAL = "hopital", _("établissement de santé")
    NONE = "sans_objet", _("sans objet (décès)")
    UNKNOWN = "inconnue", _("inconnue")
    OTHER = "autre", _("autre")


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
    # Where the person sleeps or is received in the facility ("12", "Bât. B – 104"): free
    # text, as facilities number rooms their own way; shown in the record banner.
    room = models.CharField(
        _("chambre ou logement"), max_length=30, blank=True, default="", db_default=""
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    mode = models.CharField(_("mode d'accueil"), max_length=30, choices=StayMode, blank=True)
    discharge_reason = models.CharField(
        _("motif de sortie"), max_length=30, choices=DischargeReason, blank=True
    )
    discharge_reason_detail = models.TextField(_("précisions sur le motif"), blank=True)
    discharge_destination = models.CharField(
        _("destination à la sortie"), max_length=30, choices=DischargeDestination, blank=True
    )
    discharge_destination_detail = models.TextField(_("précisions sur la destination"), blank=True)

    objects = StayQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("séjour")
        indexes = [
            models.Index(fields=["facility", "person"], name="stay_facility_person"),
            # With the end: a unit's current persons read from the index alone.
            models.Index(fields=["unit", "person", "end_date"], name="stay_unit_person_end"),
            models.Index(fields=["person", "start_date"], name="stay_person_start"),
        ]
        constraints = [ends_after_start("stay_end_after_start")]

    def __str__(self) -> str:
        return f"{self.facility} ({self.start_date:%d/%m/%Y})"


class AbsenceKind(models.TextChoices):
    HOSPITALISATION = "hospitalisation", _("hospitalisation")
    HOLIDAYS = "vacances", _("vacances")
    OTHER = "autre", _("autre")


class Absence(VersionedModel):
    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="absences")
    kind = models.CharField(_("type d'absence"), max_length=20, choices=AbsenceKind)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("absence")
        constraints = [ends_after_start("absence_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.start_date:%d/%m/%Y})"


class AdmissionPriority(models.TextChoices):
    NORMAL = "normale", _("normale")
    HIGH = "haute", _("haute")
    URGENT = "urgente", _("urgente")


class AdmissionRequest(VersionedModel):
    """A request for admission (waiting list), with the MDPH orientation decision if any."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="admission_requests")
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="admission_requests"
    )
    received_on = models.DateField(_("reçue le"))
    status = models.CharField(
        _("statut"), max_length=20, choices=STATUS_CHOICES, default=AdmissionStatus.RECEIVED.value
    )
    priority = models.CharField(
        _("priorité"), max_length=10, choices=AdmissionPriority, default=AdmissionPriority.NORMAL
    )
    reasons = models.TextField(_("motifs de la demande"), blank=True)
    mdph_decision_number = models.CharField(
        _("numéro de la décision d'orientation MDPH"), max_length=50, blank=True
    )
    mdph_decision_date = models.DateField(_("date de la décision CDAPH"), null=True, blank=True)
    mdph_category = models.CharField(
        _("catégorie d'orientation (ex. 13.3 MAS)"), max_length=100, blank=True
    )
    mdph_valid_until = models.DateField(_("orientation valable jusqu'au"), null=True, blank=True)
    stay = models.OneToOneField(
        Stay,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="admission_request",
        verbose_name=_("séjour créé à l'admission"),
    )
    # The refusal in force (emptied when the request is reopened; the history keeps it).
    refusal_reason = models.CharField(
        _("motif du refus"), max_length=30, choices=REFUSAL_REASON_CHOICES, blank=True
    )
    refusal_detail = models.TextField(_("explication du refus"), blank=True)

    class Meta:
        ordering = ["-received_on"]
        verbose_name = _("demande d'admission")
        indexes = [models.Index(fields=["facility", "status"], name="admreq_facility_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(mdph_decision_date__isnull=True)
                | Q(mdph_valid_until__isnull=True)
                | Q(mdph_valid_until__gte=models.F("mdph_decision_date")),
                name="admreq_mdph_valid_after_decision",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility} ({self.received_on:%d/%m/%Y})"


class RequestChangeKind(models.TextChoices):
    CREATED = "creation", _("demande enregistrée")
    STATUS = "statut", _("changement de statut")
    REFUSED = "refus", _("refus")
    REOPENED = "reouverture", _("réouverture")
    EDITED = "modification", _("modification")
    ADMITTED = "admission", _("admission")


class AdmissionRequestChange(models.Model):
    """One step of a request's life, shown on its page: who did what, when, and why.

    Written by the services beside the audited change (the audit trail is for the DPO;
    this history is for the team deciding on the request). Rows are never edited.
    `changes` holds, for an edit, {field: [before, after]} in their JSON form.
    """

    request = models.ForeignKey(AdmissionRequest, on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(_("le"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    kind = models.CharField(_("nature"), max_length=20, choices=RequestChangeKind)
    from_status = models.CharField(
        _("statut avant"), max_length=20, choices=STATUS_CHOICES, blank=True
    )
    to_status = models.CharField(
        _("statut après"), max_length=20, choices=STATUS_CHOICES, blank=True
    )
    reason = models.CharField(_("motif"), max_length=30, choices=REFUSAL_REASON_CHOICES, blank=True)
    comment = models.TextField(_("explication"), blank=True)
    changes = models.JSONField(_("modifications"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("étape d'une demande d'admission")
        indexes = [models.Index(fields=["request", "at"], name="admreq_history")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y %H:%M})"


class Contract(VersionedModel):
    """Contrat de séjour or DIPC of a stay, with the dates of its legal steps."""

    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="contracts")
    kind = models.CharField(
        _("type"), max_length=10, choices=list(CONTRACT_KINDS.items()), default=CONTRACT
    )
    handed_on = models.DateField(_("remis le"), null=True, blank=True)
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    objectives_amendment_on = models.DateField(
        _("avenant objectifs signé le"), null=True, blank=True
    )
    last_update_on = models.DateField(_("dernière mise à jour le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contrat de séjour / DIPC")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.stay}"


class Placement(models.Model):
    """A facility where a person has, or had, a stay or an admission request, and the day
    that placement ended (None while current).

    Derived data, kept by database triggers on the stays and admission requests
    (stays/placements.py), never written by the application. It exists for the reader's
    scope: "persons placed in facility F" is then one EXISTS on one table, which
    PostgreSQL turns into a join it can plan either way — probing the person list walked
    in name order, or hashing the facility's persons when the search already narrows
    them. The same test as an OR of two EXISTS (stays, requests) was always hashed: a
    fixed 5–8 ms per page for a facility of 25 000 persons (docs/benchmarks.md).
    """

    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.DO_NOTHING, related_name="+")
    # The day the placement ended (None while a stay is not ended or a request is open),
    # kept by the triggers of stays/placement_ends.py: the scope reads the current ones
    # (ended_on IS NULL OR ended_on >= today - OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS) and
    # calls the others archived (stays/archiving.py).
    ended_on = models.DateField(_("fin du rattachement"), null=True, blank=True)

    class Meta:
        verbose_name = _("rattachement à un établissement")
        constraints = [
            models.UniqueConstraint(fields=["person", "facility"], name="placement_person_facility")
        ]
        # With the end in the index, "the facility's current persons" is read from the
        # index alone when PostgreSQL hashes them (docs/architecture.md, Permissions).
        indexes = [
            models.Index(
                fields=["facility", "person", "ended_on"], name="placement_facility_person_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.facility_id}"
