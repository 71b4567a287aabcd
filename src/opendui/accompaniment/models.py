"""The projet personnalisé (PP) of a stay, as modelled by TDDUI (domain_rules.md §3.2).

A PP is kept as versions: each `PersonalisedProject` row is one version of the PP of a
stay (`number` 1, 2…, `previous` the version it was copied from). A version is drafted
(ENPREPARATION), then validated: it goes ENCOURS and is frozen (its content never
changes again; a later change is a new draft version copied from it). `version` (from
VersionedModel) is the optimistic lock, not the PP version number.

The database holds what it can: one draft and one running version per stay at most,
status and freeze flags consistent, SERAFIN-PH families on needs and services, dates in
order, agreement authors with their signatory. Rules that need other rows or today's
date (transitions, agreements before ENCOURS, dates of agreements) live in `rules.py`
and are applied by `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.nomenclatures.project_types import PROJECT_TYPES
from opendui.nomenclatures.serafin import ValueSet
from opendui.persons.models import Person
from opendui.persons.models_entourage import RelatedPerson
from opendui.stays.models import Stay

from .rules import (
    AGREEMENT_AUTHOR_LABELS,
    ITEM_STATUS_LABELS,
    PROJECT_STATUS_LABELS,
    RUNNING,
    AgreementAuthor,
    ItemStatus,
    ProjectStatus,
)

PROJECT_STATUS_CHOICES = [(s.value, label) for s, label in PROJECT_STATUS_LABELS.items()]
ITEM_STATUS_CHOICES = [(s.value, label) for s, label in ITEM_STATUS_LABELS.items()]
TYPE_CHOICES = [(code, f"{code} – {label}") for code, label in PROJECT_TYPES.items()]
RUNNING_VALUES = sorted(s.value for s in RUNNING)
FROZEN_VALUES = sorted(s.value for s in ProjectStatus if s is not ProjectStatus.DRAFT)


def _dates_in_order(name: str, start: str = "start_date", end: str = "end_date"):
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": models.F(start)}),
        name=name,
    )


class PersonalisedProject(VersionedModel):
    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="projects")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="projects")
    number = models.PositiveIntegerField(_("version du projet"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("version précédente"),
    )
    project_type = models.CharField(_("type de projet"), max_length=10, choices=TYPE_CHOICES)
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("statut"),
        max_length=15,
        choices=PROJECT_STATUS_CHOICES,
        default=ProjectStatus.DRAFT.value,
    )
    frozen = models.BooleanField(_("version figée"), default=False)
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)
    validated_on = models.DateField(_("date de validation"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validé par"),
    )
    start_date = models.DateField(_("début de mise en œuvre"), null=True, blank=True)
    end_date = models.DateField(_("fin de mise en œuvre prévue"), null=True, blank=True)
    next_review_due = models.DateField(_("prochain bilan au plus tard le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["stay", "-number"]
        verbose_name = _("projet personnalisé")
        indexes = [
            # Current version of a stay: highest number.
            models.Index(fields=["stay", "-number"], name="pp_stay_number"),
            models.Index(fields=["person", "-number"], name="pp_person_number"),
            # Overdue reviews: running versions by due date.
            models.Index(
                fields=["next_review_due"],
                condition=Q(status__in=RUNNING_VALUES),
                name="pp_running_review_due",
            ),
            # "Stay has a validated PP" (first-PP deadline).
            models.Index(
                fields=["stay"], condition=Q(validated_at__isnull=False), name="pp_validated_stay"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["stay", "number"], name="pp_unique_stay_number"),
            models.UniqueConstraint(
                fields=["stay"], condition=Q(status=ProjectStatus.DRAFT.value), name="pp_one_draft"
            ),
            models.UniqueConstraint(
                fields=["stay"], condition=Q(status__in=RUNNING_VALUES), name="pp_one_running"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ProjectStatus]), name="pp_status_known"
            ),
            models.CheckConstraint(
                condition=Q(project_type__in=list(PROJECT_TYPES)), name="pp_type_tre_r390"
            ),
            # A draft is never frozen nor validated; any other status is both.
            models.CheckConstraint(
                condition=Q(
                    status=ProjectStatus.DRAFT.value,
                    frozen=False,
                    validated_at__isnull=True,
                    validated_on__isnull=True,
                )
                | Q(
                    status__in=FROZEN_VALUES,
                    frozen=True,
                    validated_at__isnull=False,
                    validated_on__isnull=False,
                ),
                name="pp_frozen_iff_validated",
            ),
            _dates_in_order("pp_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    @property
    def is_draft(self) -> bool:
        return self.status == ProjectStatus.DRAFT

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING


class _Section(VersionedModel):
    """A row of one section of a PP version (copied, never shared, by a new version)."""

    class Meta:
        abstract = True
        ordering = ["pk"]

    def audit_label(self) -> str:
        return str(self)


class ExpectationOrigin(models.TextChoices):
    PERSON = "personne", _("la personne")
    REPRESENTATIVE = "representant", _("son représentant")
    RELATIVE = "proche", _("un proche")


class Expectation(_Section):
    """Attente: what the person (or someone close) wants, in their own words."""

    project = models.ForeignKey(
        PersonalisedProject, on_delete=models.PROTECT, related_name="expectations"
    )
    origin = models.CharField(_("exprimée par"), max_length=15, choices=ExpectationOrigin)
    text = models.TextField(_("attente, dans ses propres mots"))
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta(_Section.Meta):
        verbose_name = _("attente")

    def __str__(self) -> str:
        return self.text[:80]


class Need(_Section):
    """Besoin coded with SERAFIN-PH besoins (J285, codes 1.x); label copied at save."""

    project = models.ForeignKey(PersonalisedProject, on_delete=models.PROTECT, related_name="needs")
    code = models.CharField(_("besoin SERAFIN-PH"), max_length=20)
    label = models.CharField(_("libellé"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    analysis = models.TextField(_("analyse professionnelle"), blank=True)
    source = models.CharField(_("origine"), max_length=200, blank=True)

    class Meta(_Section.Meta):
        verbose_name = _("besoin")
        constraints = [
            models.CheckConstraint(
                condition=Q(code="1") | Q(code__startswith="1."), name="need_code_j285"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.label}"


class _PlannedItem(_Section):
    """What TDDUI gives both an objective and an action: title, expected result, the
    person's opinion, referent, dates and status."""

    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    expected_result = models.TextField(_("résultat attendu"), blank=True)
    person_opinion = models.TextField(_("avis de la personne"), blank=True)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professionnel référent"),
    )
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=15, choices=ITEM_STATUS_CHOICES, default=ItemStatus.DRAFT.value
    )

    class Meta(_Section.Meta):
        abstract = True

    def __str__(self) -> str:
        return self.title


class Goal(_PlannedItem):
    """Objectif of the PP."""

    project = models.ForeignKey(PersonalisedProject, on_delete=models.PROTECT, related_name="goals")

    class Meta(_PlannedItem.Meta):
        verbose_name = _("objectif")
        constraints = [
            _dates_in_order("goal_end_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ItemStatus]), name="goal_status_known"
            ),
        ]


class Action(_PlannedItem):
    """Action under an objective."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="actions")

    class Meta(_PlannedItem.Meta):
        verbose_name = _("action")
        constraints = [
            _dates_in_order("action_end_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ItemStatus]), name="action_status_known"
            ),
        ]


SERVICE_VALUE_SETS = [
    (ValueSet.DIRECT_SERVICES.value, _("prestation directe (J284)")),
    (ValueSet.INDIRECT_SERVICES.value, _("prestation indirecte (J283)")),
]


class Service(_Section):
    """Prestation coded with SERAFIN-PH (directes J284 = 2.x, indirectes J283 = 3.x)."""

    project = models.ForeignKey(
        PersonalisedProject, on_delete=models.PROTECT, related_name="services"
    )
    goal = models.ForeignKey(
        Goal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("objectif"),
    )
    value_set = models.CharField(_("jeu de valeurs"), max_length=5, choices=SERVICE_VALUE_SETS)
    code = models.CharField(_("prestation SERAFIN-PH"), max_length=20)
    label = models.CharField(_("libellé"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    frequency = models.CharField(_("fréquence"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"), max_length=15, choices=ITEM_STATUS_CHOICES, default=ItemStatus.DRAFT.value
    )

    class Meta(_Section.Meta):
        verbose_name = _("prestation")
        constraints = [
            models.CheckConstraint(
                condition=Q(value_set=ValueSet.DIRECT_SERVICES.value)
                & (Q(code="2") | Q(code__startswith="2."))
                | Q(value_set=ValueSet.INDIRECT_SERVICES.value)
                & (Q(code="3") | Q(code__startswith="3.")),
                name="service_code_j284_j283",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ItemStatus]), name="service_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.label}"


class ReviewKind(models.TextChoices):
    YEARLY = "annuel", _("bilan annuel")
    REQUEST = "demande", _("à la demande de la personne")
    LIFE_EVENT = "evenement", _("à la suite d'un événement de vie")
    OTHER = "autre", _("autre")


class Review(_Section):
    """Bilan of a running version (follow-up: allowed on a frozen version)."""

    project = models.ForeignKey(
        PersonalisedProject, on_delete=models.PROTECT, related_name="reviews"
    )
    held_on = models.DateField(_("date du bilan"))
    kind = models.CharField(
        _("motif"), max_length=15, choices=ReviewKind, default=ReviewKind.YEARLY
    )
    synthesis = models.TextField(_("synthèse"))
    participants = models.TextField(_("participants"), blank=True)
    next_review_on = models.DateField(_("prochain bilan prévu le"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("bilan")
        indexes = [models.Index(fields=["project", "-held_on"], name="review_project_held")]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True)
                | Q(next_review_on__gt=models.F("held_on")),
                name="review_next_after_held",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.held_on:%d/%m/%Y}"


AGREEMENT_AUTHOR_CHOICES = [(a.value, label) for a, label in AGREEMENT_AUTHOR_LABELS.items()]


class Agreement(_Section):
    """Accord of the person, their representative or the structure, with its signature date."""

    project = models.ForeignKey(
        PersonalisedProject, on_delete=models.PROTECT, related_name="agreements"
    )
    author_kind = models.CharField(_("accord de"), max_length=15, choices=AGREEMENT_AUTHOR_CHOICES)
    representative = models.ForeignKey(
        RelatedPerson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("représentant"),
    )
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professionnel signataire"),
    )
    signed_on = models.DateField(_("signé le"))
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta(_Section.Meta):
        verbose_name = _("accord")
        constraints = [
            models.CheckConstraint(
                condition=Q(author_kind=AgreementAuthor.PERSON.value, representative__isnull=True)
                | Q(author_kind=AgreementAuthor.REPRESENTATIVE.value, representative__isnull=False)
                | Q(
                    author_kind=AgreementAuthor.STRUCTURE.value,
                    professional__isnull=False,
                    representative__isnull=True,
                ),
                name="agreement_author_signatory",
            ),
            _dates_in_order("agreement_valid_after_signed", "signed_on", "valid_until"),
        ]

    def __str__(self) -> str:
        who = AGREEMENT_AUTHOR_LABELS[AgreementAuthor(self.author_kind)]
        if self.representative_id:
            who = f"{who} ({self.representative})"
        elif self.professional_id:
            who = f"{who} ({self.professional})"
        return f"Accord de {who} du {self.signed_on:%d/%m/%Y}"
