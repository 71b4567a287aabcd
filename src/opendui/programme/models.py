"""An ESMS Numérique project (grappe) of an OG: its ESSMS, declarations and milestones.

The eligibility, funding and milestone rules live in pure modules (eligibility.py,
funding.py, milestones.py); these models hold the facts they are computed from.
No person data here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.organisations.models import (
    Couloir,
    Facility,
    ManagingOrganisation,
    validate_finess,
    validate_siret,
)

from . import milestones
from .eligibility import DECLARATION_LABELS, Declaration, GrappeType, SegurStatus
from .funding import RuleSet, Territory

SOURCE_REQUIRED = _(
    "Indiquez la source du statut de référencement Ségur (liste publiée par l'ANS, "
    "attestation de l'éditeur…) : il est déclaré par le porteur du projet, pas par le "
    "logiciel."
)


class Grappe(VersionedModel):
    organisation = models.ForeignKey(
        ManagingOrganisation,
        on_delete=models.PROTECT,
        related_name="grappes",
        verbose_name=_("organisme porteur"),
    )
    name = models.CharField(_("nom du projet"), max_length=200)
    project_type = models.CharField(
        _("type de projet"),
        max_length=20,
        choices=[
            (GrappeType.ACQUISITION.value, _("Acquisition ou renouvellement")),
            (GrappeType.UPGRADE.value, _("Montée de version")),
            (GrappeType.MIXED.value, _("Mixte (acquisition et montée de version)")),
        ],
    )
    solution_name = models.CharField(_("solution logicielle retenue"), max_length=200, blank=True)
    segur_status = models.CharField(
        _("référencement Ségur de la solution"),
        max_length=20,
        choices=[
            (SegurStatus.REFERENCED.value, _("Référencée Ségur")),
            (SegurStatus.IN_PROGRESS.value, _("En cours de référencement")),
            (SegurStatus.NOT_REFERENCED.value, _("Non référencée")),
        ],
    )
    # The status is what the project lead declares, never a claim of this software: a
    # referenced or being-referenced status must say where it comes from.
    segur_source = models.CharField(
        _("source du statut de référencement"),
        max_length=300,
        blank=True,
        help_text=_(
            "Obligatoire si la solution est déclarée référencée ou en cours de "
            "référencement : où ce statut a été vérifié (liste des solutions référencées "
            "publiée par l'ANS et date de consultation, attestation de l'éditeur…)."
        ),
    )
    rule_set = models.CharField(
        _("barème"),
        max_length=4,
        choices=[
            (RuleSet.Y2022.value, _("Instruction 2022")),
            (RuleSet.Y2025.value, _("Instruction 2025")),
        ],
    )
    territory = models.CharField(
        _("territoire"),
        max_length=10,
        choices=[
            (Territory.MAINLAND.value, _("France métropolitaine (minimum 15 ESSMS)")),
            (Territory.CORSICA_OVERSEAS.value, _("Corse ou outre-mer (minimum 8 ESSMS)")),
        ],
        default=Territory.MAINLAND.value,
    )
    carrier_siret = models.CharField(
        _("SIRET du porteur"), max_length=14, validators=[validate_siret]
    )
    editor_contract_on = models.DateField(_("contrat éditeur signé le"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("durée prévue (mois)"), null=True, blank=True
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("projet ESMS Numérique")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.segur_source = (self.segur_source or "").strip()
        if self.segur_status != SegurStatus.NOT_REFERENCED.value and not self.segur_source:
            raise ValidationError({"segur_source": SOURCE_REQUIRED})


class GrappeMember(VersionedModel):
    """An ESSMS of the grappe: a facility of the OG, or a partner OG's ESSMS typed in.

    `finess_et` is kept for both kinds, so an ESSMS appears once per grappe (a
    database rule). Name, couloir and FINESS juridique are typed for partners only;
    a facility of the OG brings its own.
    """

    grappe = models.ForeignKey(Grappe, on_delete=models.CASCADE, related_name="members")
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("établissement de l'organisme"),
    )
    finess_et = models.CharField(
        _("FINESS géographique"), max_length=9, validators=[validate_finess]
    )
    name = models.CharField(_("nom"), max_length=200, blank=True)
    couloir = models.CharField(_("couloir"), max_length=3, choices=Couloir.choices, blank=True)
    finess_ej = models.CharField(
        _("FINESS juridique de son organisme"),
        max_length=9,
        blank=True,
        validators=[validate_finess],
    )
    partner_small_og = models.BooleanField(
        _("son organisme compte moins de 15 ESSMS"), default=False
    )
    equipped = models.BooleanField(
        _("déjà équipé (montée de version)"),
        default=False,
        help_text=_("Projet mixte : cet ESSMS fait une montée de version de la solution."),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ESSMS de la grappe")
        constraints = [
            models.UniqueConstraint(
                fields=["grappe", "finess_et"], name="grappe_member_unique_finess"
            ),
            models.CheckConstraint(
                condition=Q(facility__isnull=False)
                | (~Q(name="") & ~Q(couloir="") & ~Q(finess_ej="")),
                name="grappe_partner_member_typed_in",
            ),
        ]

    @property
    def is_partner(self) -> bool:
        return self.facility_id is None

    @property
    def display_name(self) -> str:
        return self.facility.name if self.facility_id else self.name

    @property
    def display_couloir(self) -> str:
        return self.facility.couloir if self.facility_id else self.couloir

    def __str__(self) -> str:
        return f"{self.display_name} ({self.finess_et})"


class GrappeDeclaration(VersionedModel):
    """One declaration of the carrier (non-redundancy of funding, same solution)."""

    grappe = models.ForeignKey(Grappe, on_delete=models.CASCADE, related_name="declarations")
    code = models.CharField(
        _("déclaration"),
        max_length=40,
        choices=[(d.value, label) for d, label in DECLARATION_LABELS.items()],
    )
    value = models.BooleanField(_("déclaré"), default=False)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    declared_at = models.DateTimeField(_("le"), null=True, blank=True)

    class Meta:
        verbose_name = _("déclaration du porteur")
        constraints = [
            models.UniqueConstraint(fields=["grappe", "code"], name="grappe_declaration_unique")
        ]

    @property
    def label(self) -> str:
        return DECLARATION_LABELS[Declaration(self.code)]


class Milestone(VersionedModel):
    grappe = models.ForeignKey(Grappe, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(
        _("jalon"),
        max_length=20,
        choices=[(k.value, label) for k, label in milestones.LABELS.items()],
    )
    planned_on = models.DateField(_("date prévue"), null=True, blank=True)
    done_on = models.DateField(_("date de réalisation"), null=True, blank=True)
    note = models.TextField(_("commentaire"), blank=True)

    class Meta:
        verbose_name = _("jalon du projet")
        constraints = [
            models.UniqueConstraint(fields=["grappe", "kind"], name="grappe_milestone_unique")
        ]

    @property
    def label(self) -> str:
        return milestones.LABELS[milestones.Kind(self.kind)]

    @property
    def requirement(self) -> str:
        return milestones.REQUIREMENTS[milestones.Kind(self.kind)]

    @property
    def position(self) -> int:
        return milestones.ORDER.index(milestones.Kind(self.kind))
