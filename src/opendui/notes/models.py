"""Transmissions ciblées, observations and macrocibles, with their versions and reads.

A note is never deleted and, after a short grace period, never edited in place: a
correction is a new Note whose `corrects` points at the version it replaces (a
unique constraint keeps the chain linear: one correction per version). The latest
version is the one nobody corrects; it is computed, not flagged, so the original row
is not touched by its correction.

A note written in the wrong record is *withdrawn*: its status becomes "retirée" with the
reason, who and when (`withdrawn_*`, all set or none, a database rule). It stays in the
table, its versions and the audit trail; the selectors hide it from the record and the
cahier de liaison.

A *team note* ("note pour l'équipe") has no person: it is written in the cahier de
liaison for the staff of a unit, or of the whole facility when `unit` is empty. It is a
transmission or an observation (a macrocible is about a person) and reports on no goal.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.core.models import VersionedModel
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .rules import SHIFT_LABELS, WITHDRAWAL_REASON_LABELS, WithdrawalReason, shift_of

CATEGORY_CHOICES = [(c.value, label) for c, label in DATA_CATEGORY_LABELS.items()]


class NoteKind(models.TextChoices):
    TRANSMISSION = "transmission", _("transmission ciblée")
    OBSERVATION = "observation", _("observation")
    MACROCIBLE = "macrocible", _("macrocible")


class MacroMoment(models.TextChoices):
    ADMISSION = "admission", _("admission")
    RELAY = "relais", _("relais")
    DISCHARGE = "sortie", _("sortie")


# The five MTVED items of a macrocible (all optional): field name and label.
MTVED_FIELDS = [
    ("mtved_illness", _("Maladie")),
    ("mtved_treatment", _("Thérapeutique")),
    ("mtved_experience", _("Vécu")),
    ("mtved_environment", _("Environnement")),
    ("mtved_development", _("Développement")),
]


class NoteStatus(models.TextChoices):
    ACTIVE = "active", _("en vigueur")
    WITHDRAWN = "retiree", _("retirée")


WITHDRAWAL_REASON_CHOICES = [(r.value, label) for r, label in WITHDRAWAL_REASON_LABELS.items()]


class Note(VersionedModel):
    # Empty for a team note (see the module docstring).
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    # Where the person was when the note was written (their stay then), kept as written.
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="notes")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    kind = models.CharField(_("type"), max_length=20, choices=NoteKind)
    category = models.CharField(_("catégorie de données"), max_length=20, choices=CATEGORY_CHOICES)
    # Transmission ciblée (and macrocible): cible, données, actions, résultats.
    target = models.CharField(_("cible"), max_length=200, blank=True)
    data = models.TextField(_("données"), blank=True)
    actions = models.TextField(_("actions"), blank=True)
    results = models.TextField(_("résultats"), blank=True)
    # Observation: free text.
    text = models.TextField(_("observation"), blank=True)
    # Macrocible: its moment and the optional MTVED items.
    macro_moment = models.CharField(
        _("moment de la macrocible"), max_length=20, choices=MacroMoment, blank=True
    )
    mtved_illness = models.TextField(_("maladie"), blank=True)
    mtved_treatment = models.TextField(_("thérapeutique"), blank=True)
    mtved_experience = models.TextField(_("vécu"), blank=True)
    mtved_environment = models.TextField(_("environnement"), blank=True)
    mtved_development = models.TextField(_("développement"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes"
    )
    # Time of the facts reported; created_at (VersionedModel) is when it was recorded.
    written_at = models.DateTimeField(_("date et heure"))
    goal = models.ForeignKey(
        "accompaniment.Goal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("objectif du projet personnalisé"),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrige"),
    )
    # First version of the chain (None on the first version itself): one query finds
    # every version of the notes on a page.
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=NoteStatus, default=NoteStatus.ACTIVE
    )
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retirée par"),
    )
    withdrawal_reason = models.CharField(
        _("motif du retrait"), max_length=20, choices=WITHDRAWAL_REASON_CHOICES, blank=True
    )
    withdrawal_comment = models.TextField(_("précision sur le retrait"), blank=True)

    class Meta:
        verbose_name = _("transmission")
        indexes = [
            models.Index(fields=["person", "-written_at"], name="note_person_timeline"),
            models.Index(fields=["facility", "unit", "written_at"], name="note_liaison"),
            models.Index(fields=["original"], name="note_original"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoteKind.values), name="note_kind_valid"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in DataCategory]),
                name="note_category_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=NoteKind.OBSERVATION) | ~Q(text=""),
                name="note_observation_has_text",
            ),
            models.CheckConstraint(
                condition=Q(kind=NoteKind.OBSERVATION) | ~Q(target=""),
                name="note_transmission_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind=NoteKind.MACROCIBLE) | ~Q(macro_moment=""),
                name="note_macrocible_has_moment",
            ),
            # A linear chain: a version is corrected once; later corrections build on the
            # latest version. Also serves "is this version the latest?" (NOT EXISTS).
            models.UniqueConstraint(
                fields=["corrects"], condition=Q(corrects__isnull=False), name="note_one_correction"
            ),
            # A withdrawal says why, who and when; a note in force carries none of it.
            models.CheckConstraint(
                condition=Q(
                    status=NoteStatus.ACTIVE,
                    withdrawn_at__isnull=True,
                    withdrawn_by__isnull=True,
                    withdrawal_reason="",
                    withdrawal_comment="",
                )
                | Q(
                    status=NoteStatus.WITHDRAWN,
                    withdrawn_at__isnull=False,
                    withdrawn_by__isnull=False,
                    withdrawal_reason__in=[r.value for r in WithdrawalReason],
                ),
                name="note_withdrawal_complete",
            ),
            # A team note is a transmission or an observation and reports on no goal.
            models.CheckConstraint(
                condition=Q(person__isnull=False)
                | (~Q(kind=NoteKind.MACROCIBLE) & Q(goal__isnull=True)),
                name="note_team_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == NoteKind.OBSERVATION:
            return (
                f"{self.get_kind_display()} du {timezone.localtime(self.written_at):%d/%m/%Y %H:%M}"
            )
        return f"{self.get_kind_display()} « {self.target} »"

    @property
    def is_team_note(self) -> bool:
        return self.person_id is None

    @property
    def is_withdrawn(self) -> bool:
        return self.status == NoteStatus.WITHDRAWN

    @property
    def shift(self) -> tuple:
        return shift_of(self.written_at)

    @property
    def shift_label(self) -> str:
        return SHIFT_LABELS[self.shift[1]]

    @property
    def mtved(self) -> list[tuple[str, str]]:
        """The filled MTVED items as (label, text)."""
        return [
            (str(label), getattr(self, name)) for name, label in MTVED_FIELDS if getattr(self, name)
        ]


class NoteRead(models.Model):
    """A professional has read a note (cahier de liaison). Not part of the record."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="note_reads"
    )
    read_at = models.DateTimeField(_("lu le"))

    class Meta:
        verbose_name = _("lecture d'une transmission")
        constraints = [
            # (note, user) first: the "read by me?" EXISTS of the cahier probes it.
            models.UniqueConstraint(fields=["note", "user"], name="note_read_once"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="note_read_by_user")]
