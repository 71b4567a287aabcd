"""Managing organisation (OG), its facilities (ESSMS) and their units."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opendui.core.identifiers import finess_problem, siret_problem
from opendui.core.models import VersionedModel


def validate_finess(value: str) -> None:
    problem = finess_problem(value)
    if problem:
        raise ValidationError(problem, code="finess")


def validate_siret(value: str) -> None:
    problem = siret_problem(value)
    if problem:
        raise ValidationError(problem, code="siret")


def validate_mssante_address(value: str) -> None:
    domain = value.rpartition("@")[2].lower()
    if not domain.endswith(".mssante.fr"):
        raise ValidationError(
            _(
                "Une adresse MSSanté se termine par « .mssante.fr » (ex. : accueil@ehpad.mssante.fr)."
            ),
            code="mssante",
        )


class Couloir(models.TextChoices):
    """The domains of the ESMS Numérique programme."""

    PA = "PA", _("Personnes âgées")
    PH = "PH", _("Personnes handicapées")
    DOM = "DOM", _("Domicile")
    PDE = "PDE", _("Protection de l'enfance")
    PDS = "PDS", _("Personnes en difficultés spécifiques")
    AHI = "AHI", _("Accueil, hébergement, insertion")
    PJM = "PJM", _("Protection juridique des majeurs")


class LegalStatus(models.TextChoices):
    ASSOCIATION = "association", _("Association loi 1901")
    FOUNDATION = "fondation", _("Fondation")
    MUTUAL = "mutuelle", _("Mutuelle")
    PUBLIC_AUTONOMOUS = "public_autonome", _("Établissement public autonome")
    PUBLIC_HOSPITAL = "public_hospitalier", _("Établissement public de santé")
    CCAS = "ccas", _("CCAS / CIAS")
    LOCAL_AUTHORITY = "collectivite", _("Collectivité territoriale")
    COMMERCIAL = "commercial", _("Société commerciale")
    GCSMS = "gcsms", _("GCSMS / groupement")
    OTHER = "autre", _("Autre")


class FinessCategory(models.Model):
    """FINESS establishment category (national list NOS TRE_R66), loaded as data."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    label = models.CharField(_("libellé"), max_length=255)
    short_label = models.CharField(_("libellé court"), max_length=40)
    couloir = models.CharField(_("couloir"), max_length=3, choices=Couloir.choices)
    deprecated = models.BooleanField(_("fermée dans la nomenclature"), default=False)

    class Meta:
        ordering = ["short_label", "code"]
        verbose_name = _("catégorie FINESS")

    def __str__(self) -> str:
        return f"{self.code} – {self.short_label}"


class ManagingOrganisation(VersionedModel):
    """Organisme gestionnaire (entité juridique, FINESS juridique)."""

    name = models.CharField(_("raison sociale"), max_length=200)
    finess_ej = models.CharField(
        _("FINESS juridique"), max_length=9, unique=True, validators=[validate_finess]
    )
    siret = models.CharField(_("SIRET du siège"), max_length=14, validators=[validate_siret])
    legal_status = models.CharField(_("statut juridique"), max_length=30, choices=LegalStatus)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisme gestionnaire")

    def __str__(self) -> str:
        return self.name


class Facility(VersionedModel):
    """ESSMS: an establishment or service, identified by its FINESS géographique."""

    organisation = models.ForeignKey(
        ManagingOrganisation,
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("organisme gestionnaire"),
    )
    name = models.CharField(_("nom"), max_length=200)
    finess_et = models.CharField(
        _("FINESS géographique"), max_length=9, unique=True, validators=[validate_finess]
    )
    siret = models.CharField(
        _("SIRET de l'établissement"), max_length=14, blank=True, validators=[validate_siret]
    )
    category = models.ForeignKey(
        FinessCategory,
        on_delete=models.PROTECT,
        verbose_name=_("catégorie FINESS"),
        limit_choices_to={"deprecated": False},
    )
    couloir = models.CharField(_("couloir"), max_length=3, choices=Couloir.choices)
    capacity_permanent = models.PositiveIntegerField(_("hébergement permanent"), default=0)
    capacity_temporary = models.PositiveIntegerField(_("hébergement temporaire"), default=0)
    capacity_day_care = models.PositiveIntegerField(_("accueil de jour"), default=0)
    capacity_service = models.PositiveIntegerField(_("places de service"), default=0)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    mssante_address = models.EmailField(
        _("adresse MSSanté organisationnelle"), blank=True, validators=[validate_mssante_address]
    )
    is_active = models.BooleanField(_("en activité"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("établissement ou service")

    def __str__(self) -> str:
        return self.name

    @property
    def total_capacity(self) -> int:
        return (
            self.capacity_permanent
            + self.capacity_temporary
            + self.capacity_day_care
            + self.capacity_service
        )


class Unit(VersionedModel):
    """A unit inside a facility (unité de vie, service, pôle, groupe éducatif)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="units", verbose_name=_("établissement")
    )
    name = models.CharField(_("nom"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["facility", "name"]
        verbose_name = _("unité")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"], name="unit_unique_name_per_facility"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility.name} – {self.name}"
