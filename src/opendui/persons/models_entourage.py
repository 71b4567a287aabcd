"""A person's entourage, legal protection measures and consents.

Codes: the national nomenclature TRE_R217-ProtectionJuridique is the reference for
protection measures, but its individual codes are not listed in the project's reference
(domain_rules §5.6, to be loaded from the SMT). The measure codes below therefore reuse
the open-source enumeration quoted there (SocialGouv/emjpm `nature_mesure`) where it has
one, and plain French codes otherwise (habilitation familiale, autorité parentale, tutelle
de mineur). Relation types, consent scopes and kinds have no code list in the reference:
they are plain French choices.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel, ends_after_start

__all__ = [
    "REPRESENTATION_MEASURES",
    "Consent",
    "ConsentGiver",
    "ConsentKind",
    "ConsentScope",
    "LegalProtection",
    "MeasureType",
    "RelatedPerson",
    "RelationType",
]


class RelationType(models.TextChoices):
    """Plain French choices (no national code list in the reference)."""

    CONJOINT = "conjoint", _("Conjoint ou partenaire")
    ENFANT = "enfant", _("Enfant")
    PARENT = "parent", _("Parent")
    FRATRIE = "fratrie", _("Frère ou sœur")
    AUTRE_FAMILLE = "autre_famille", _("Autre membre de la famille")
    AMI = "ami", _("Ami")
    VOISIN = "voisin", _("Voisin")
    PROFESSIONNEL = "professionnel", _("Professionnel")
    MANDATAIRE = "mandataire", _("Mandataire judiciaire")
    AUTRE = "autre", _("Autre")


class RelatedPerson(VersionedModel):
    """Someone around the person: family, friend, professional, representative."""

    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="related_persons"
    )
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    relation = models.CharField(_("lien"), max_length=20, choices=RelationType)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    address = models.TextField(_("adresse"), blank=True)
    is_trusted_person = models.BooleanField(_("personne de confiance"), default=False)
    is_emergency_contact = models.BooleanField(_("personne à prévenir"), default=False)
    is_legal_representative = models.BooleanField(_("représentant légal"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    # The end of the relationship (the row is kept, shown in the history, never deleted).
    end_date = models.DateField(_("fin de la relation le"), null=True, blank=True)
    end_reason = models.TextField(_("motif de fin"), blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("personne de l'entourage")
        verbose_name_plural = _("personnes de l'entourage")
        constraints = [
            # An ended relationship is no longer active (inactive rows from before the
            # end date existed may have none).
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(is_active=False),
                name="related_person_ended_is_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}".strip()


class MeasureType(models.TextChoices):
    """Protection measures (see the module docstring for where the codes come from)."""

    SAUVEGARDE_JUSTICE = "sauvegarde_justice", _("Sauvegarde de justice")
    CURATELLE_SIMPLE = "curatelle_simple", _("Curatelle simple")
    CURATELLE_RENFORCEE = "curatelle_renforcee", _("Curatelle renforcée")
    TUTELLE = "tutelle", _("Tutelle")
    HABILITATION_FAMILIALE_GENERALE = (
        "habilitation_familiale_generale",
        _("Habilitation familiale générale"),
    )
    HABILITATION_FAMILIALE_SPECIALE = (
        "habilitation_familiale_speciale",
        _("Habilitation familiale spéciale"),
    )
    MANDAT_PROTECTION_FUTURE = "mandat_protection_future", _("Mandat de protection future")
    MESURE_ACCOMPAGNEMENT_JUDICIAIRE = (
        "mesure_accompagnement_judiciaire",
        _("Mesure d'accompagnement judiciaire"),
    )
    AUTORITE_PARENTALE = "autorite_parentale", _("Autorité parentale")
    TUTELLE_MINEUR = "tutelle_mineur", _("Tutelle de mineur")
    MESURE_AD_HOC = "mesure_ad_hoc", _("Mesure ad hoc")


# Measures with representation relative to the person: the representative consents.
REPRESENTATION_MEASURES = frozenset(
    {
        MeasureType.TUTELLE,
        MeasureType.HABILITATION_FAMILIALE_GENERALE,
        MeasureType.AUTORITE_PARENTALE,
        MeasureType.TUTELLE_MINEUR,
    }
)


class LegalProtection(VersionedModel):
    """A legal protection measure, with its dates and judgment."""

    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="legal_protections"
    )
    measure = models.CharField(_("mesure"), max_length=40, choices=MeasureType)
    start_date = models.DateField(_("date de début"))
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    judgment_reference = models.CharField(_("référence du jugement"), max_length=100, blank=True)
    court = models.CharField(_("juridiction"), max_length=200, blank=True)
    representative = models.ForeignKey(
        RelatedPerson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("représentant ou mandataire"),
    )

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("mesure de protection juridique")
        verbose_name_plural = _("mesures de protection juridique")
        constraints = [
            ends_after_start("legal_protection_end_after_start"),
        ]

    def __str__(self) -> str:
        return str(self.get_measure_display())

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La date de fin ne peut pas précéder la date de début.")
        if self.representative_id and self.representative.person_id != self.person_id:
            errors["representative"] = _(
                "Le représentant doit faire partie de l'entourage de cette personne."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def with_representation(self) -> bool:
        return self.measure in REPRESENTATION_MEASURES


class ConsentScope(models.TextChoices):
    """Plain French choices (no national code list in the reference)."""

    PARTAGE_CERCLE_SOINS = "partage_cercle_soins", _("Partage au sein du cercle de soins")
    ALIMENTATION_DMP = "alimentation_dmp", _("Opposition à l'alimentation du DMP")
    ECHANGES_MSSANTE = "echanges_mssante", _("Échanges MSSanté avec la personne")
    DROIT_IMAGE = "droit_image", _("Droit à l'image")


class ConsentKind(models.TextChoices):
    CONSENTEMENT = "consentement", _("Consentement")
    OPPOSITION = "opposition", _("Opposition")


class ConsentGiver(models.TextChoices):
    PERSONNE = "personne", _("La personne")
    REPRESENTANT = "representant", _("Son représentant")


class Consent(VersionedModel):
    """A consent or an opposition. Withdrawing it sets a status; it is never deleted."""

    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("objet"), max_length=40, choices=ConsentScope)
    kind = models.CharField(_("nature"), max_length=20, choices=ConsentKind)
    given_on = models.DateField(_("date"))
    given_by = models.CharField(_("exprimé par"), max_length=20, choices=ConsentGiver)
    representative = models.ForeignKey(
        RelatedPerson,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents_given",
        verbose_name=_("représentant"),
    )
    evidence = models.TextField(_("justificatif"), blank=True)
    evidence_reference = models.CharField(
        _("référence du justificatif"), max_length=200, blank=True
    )
    withdrawn_on = models.DateField(_("retiré le"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("motif du retrait"), blank=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consentement ou opposition")
        verbose_name_plural = _("consentements et oppositions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True)
                | models.Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawn_after_given",
            ),
        ]
        indexes = [models.Index(fields=["person", "scope", "given_on"], name="consent_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.get_scope_display()}"

    def clean(self) -> None:
        errors = {}
        if self.given_by == ConsentGiver.REPRESENTANT and not self.representative_id:
            errors["representative"] = _(
                "Indiquez le représentant qui a exprimé ce consentement ou cette opposition."
            )
        if self.given_by == ConsentGiver.PERSONNE and self.representative_id:
            errors["representative"] = _(
                "Un représentant ne peut être indiqué que si c'est lui qui s'est exprimé."
            )
        if self.representative_id and self.representative.person_id != self.person_id:
            errors["representative"] = _(
                "Le représentant doit faire partie de l'entourage de cette personne."
            )
        if self.withdrawn_on and self.given_on and self.withdrawn_on < self.given_on:
            errors["withdrawn_on"] = _(
                "La date de retrait ne peut pas précéder la date du recueil."
            )
        if self.withdrawn_on and not self.withdrawal_reason.strip():
            errors["withdrawal_reason"] = _("Indiquez le motif du retrait.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None
