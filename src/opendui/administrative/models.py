"""The person's administrative file: contact details with history, photo (with its
consent), social coverage, rights and benefits.

History: an address, a telephone number or an e-mail is *ended* (`valid_until`, with a
reason) or *corrected* (a new row; the old one points to it with `replaced_by`), never
deleted. Coverage and rights rows are edited with their version (before/after values in
the audit trail). A photo replaced by a new one is kept (`superseded_at`); withdrawing the
photo consent hides every photo taken under it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core.addresses import one_line, postal_code_problem
from opendui.core.models import VersionedModel, ends_after_start
from opendui.core.phones import display_phone, normalise_phone
from opendui.geography.places import FRANCE_COUNTRY_CODE
from opendui.persons.ins import matricule_problem, normalise_matricule

from . import reference, rules

# --- contact details ---------------------------------------------------------------------


class ContactPoint(VersionedModel):
    """What addresses, telephone numbers and e-mails share: a validity and a history."""

    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("valable depuis le"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    end_reason = models.TextField(_("motif de fin"), blank=True)
    # A correction: the row that replaces this one (this one stays, as history).
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )

    class Meta:
        abstract = True

    def is_current(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.replaced_by_id is None and (
            self.valid_until is None or self.valid_until >= today
        )

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("La date de fin ne peut pas précéder la date de début.")}
            )


class AddressKind(models.TextChoices):
    DOMICILE = "domicile", _("Domicile")
    BEFORE_ADMISSION = "avant_admission", _("Adresse de résidence avant l'admission")
    BILLING = "facturation", _("Adresse de facturation")


class Address(ContactPoint):
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="admin_addresses"
    )
    kind = models.CharField(_("type d'adresse"), max_length=20, choices=AddressKind)
    line1 = models.CharField(_("adresse (numéro et voie)"), max_length=200)
    line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    commune_code = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    country = models.CharField(_("pays"), max_length=5, default=FRANCE_COUNTRY_CODE)

    class Meta:
        ordering = ["kind", "-created_at", "-id"]
        verbose_name = _("adresse")
        indexes = [models.Index(fields=["person", "kind"], name="admin_address_person")]

    def __str__(self) -> str:
        return one_line(self.line1, self.line2, self.postal_code, self.city)

    @property
    def country_name(self) -> str:
        return reference.label(reference.countries(), self.country)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.country not in dict(reference.countries()):
            errors["country"] = _("Choisissez un pays de la liste.")
        if self.country == FRANCE_COUNTRY_CODE:
            problem = postal_code_problem(self.postal_code)
            if problem:
                errors["postal_code"] = problem
            if not self.city.strip() and not self.commune_code:
                errors["city"] = _("Indiquez la commune.")
        if self.commune_code:
            name = reference.commune_name(self.commune_code)
            if self.country != FRANCE_COUNTRY_CODE:
                errors["commune_code"] = _("Le code INSEE de commune ne concerne que la France.")
            elif name is None:
                errors["commune_code"] = _(
                    "Ce code INSEE ne désigne aucune commune actuelle (5 caractères, "
                    "par exemple 75056 pour Paris)."
                )
            elif not self.city.strip():
                self.city = name
        if errors:
            raise ValidationError(errors)


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Portable")
    HOME = "fixe", _("Fixe")
    WORK = "professionnel", _("Professionnel")
    OTHER = "autre", _("Autre")


class Phone(ContactPoint):
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="admin_phones"
    )
    kind = models.CharField(_("type de téléphone"), max_length=20, choices=PhoneKind)
    number = models.CharField(
        _("numéro"),
        max_length=20,
        help_text=_("Enregistré au format international (E.164), par exemple +33123456789."),
    )

    class Meta:
        ordering = ["kind", "-created_at", "-id"]
        verbose_name = _("téléphone")
        indexes = [models.Index(fields=["person"], name="admin_phone_person")]

    def __str__(self) -> str:
        return display_phone(self.number)

    def clean(self) -> None:
        super().clean()
        number, problem = normalise_phone(self.number)
        if problem:
            raise ValidationError({"number": problem})
        self.number = number


class EmailKind(models.TextChoices):
    PERSONAL = "personnel", _("Personnel")
    WORK = "professionnel", _("Professionnel")
    OTHER = "autre", _("Autre")


class Email(ContactPoint):
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="admin_emails"
    )
    kind = models.CharField(_("type de courriel"), max_length=20, choices=EmailKind)
    address = models.EmailField(_("adresse électronique"))

    class Meta:
        ordering = ["kind", "-created_at", "-id"]
        verbose_name = _("courriel")
        indexes = [models.Index(fields=["person"], name="admin_email_person")]

    def __str__(self) -> str:
        return self.address


class FamilySituation(models.TextChoices):
    UNKNOWN = "non_renseigne", _("Non renseignée")
    SINGLE = "celibataire", _("Célibataire")
    MARRIED = "marie", _("Marié·e")
    PACS = "pacse", _("Pacsé·e")
    COHABITING = "concubinage", _("En concubinage")
    DIVORCED = "divorce", _("Divorcé·e")
    SEPARATED = "separe", _("Séparé·e")
    WIDOWED = "veuf", _("Veuf·ve")


class Profile(VersionedModel):
    """Language, interpreter, nationality and family situation (one row per person,
    created on the first save)."""

    person = models.OneToOneField(
        "persons.Person", on_delete=models.PROTECT, related_name="admin_profile"
    )
    preferred_language = models.CharField(_("langue préférée"), max_length=3, blank=True)
    interpreter_needed = models.BooleanField(_("besoin d'un interprète"), default=False)
    nationality = models.CharField(_("nationalité"), max_length=5, blank=True)
    family_situation = models.CharField(
        _("situation familiale"),
        max_length=20,
        choices=FamilySituation,
        default=FamilySituation.UNKNOWN,
    )

    class Meta:
        verbose_name = _("profil administratif")

    def __str__(self) -> str:
        return str(_("profil administratif"))

    @property
    def language_name(self) -> str:
        return reference.label(reference.languages(), self.preferred_language)

    @property
    def nationality_name(self) -> str:
        return reference.label(reference.countries(), self.nationality)

    def clean(self) -> None:
        errors = {}
        if self.preferred_language and self.preferred_language not in dict(reference.languages()):
            errors["preferred_language"] = _("Choisissez une langue de la liste.")
        if self.nationality and self.nationality not in dict(reference.countries()):
            errors["nationality"] = _("Choisissez un pays de la liste.")
        if errors:
            raise ValidationError(errors)


# --- photo -------------------------------------------------------------------------------


class ConsentGiver(models.TextChoices):
    PERSON = "personne", _("La personne")
    REPRESENTATIVE = "representant", _("Son représentant légal")


class ConsentForm(models.TextChoices):
    ORAL = "oral", _("Oral")
    WRITTEN = "ecrit", _("Écrit")


class PhotoConsent(VersionedModel):
    """Consent to keep a photo in the record (identity vigilance): who gave it, when,
    how, and who recorded it. Withdrawn with a date and reason, never deleted."""

    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="photo_consents"
    )
    given_on = models.DateField(_("recueilli le"))
    given_by = models.CharField(_("exprimé par"), max_length=20, choices=ConsentGiver)
    representative = models.ForeignKey(
        "persons.RelatedPerson",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("représentant"),
    )
    form = models.CharField(_("forme"), max_length=10, choices=ConsentForm)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(_("retiré le"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("motif du retrait"), blank=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consentement à la photo")
        indexes = [models.Index(fields=["person", "withdrawn_on"], name="photo_consent_person")]

    def __str__(self) -> str:
        return f"Consentement à la photo du {self.given_on:%d/%m/%Y}"

    def clean(self) -> None:
        errors = {}
        if self.given_by == ConsentGiver.REPRESENTATIVE and not self.representative_id:
            errors["representative"] = _("Indiquez le représentant qui a donné son accord.")
        if self.given_by == ConsentGiver.PERSON and self.representative_id:
            errors["representative"] = _(
                "Un représentant ne s'indique que si c'est lui qui a donné son accord."
            )
        if self.representative_id and self.representative.person_id != self.person_id:
            errors["representative"] = _(
                "Le représentant doit faire partie de l'entourage de cette personne."
            )
        if self.given_on and self.given_on > timezone.localdate():
            errors["given_on"] = _("La date du recueil ne peut pas être dans le futur.")
        if errors:
            raise ValidationError(errors)


class Photo(models.Model):
    """One stored photo (JPEG re-encoded by `photos.prepare`) in the "records" storage."""

    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="photos")
    consent = models.ForeignKey(PhotoConsent, on_delete=models.PROTECT, related_name="photos")
    storage_name = models.CharField(max_length=200, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a newer photo replaces this one (kept, never deleted).
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("photo")
        indexes = [models.Index(fields=["person", "superseded_at"], name="photo_current")]

    def __str__(self) -> str:
        return f"Photo du {timezone.localtime(self.created_at):%d/%m/%Y}"


# --- social coverage ---------------------------------------------------------------------


def _nir_error(value: str) -> str | None:
    return matricule_problem(value) if value else None


class Coverage(VersionedModel):
    """Compulsory health insurance (assurance maladie obligatoire)."""

    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="coverages")
    insured_is_person = models.BooleanField(_("la personne est l'assuré(e)"), default=True)
    insured_last_name = models.CharField(_("nom de l'assuré(e)"), max_length=100, blank=True)
    insured_first_name = models.CharField(_("prénom de l'assuré(e)"), max_length=100, blank=True)
    insured_nir = models.CharField(_("NIR de l'assuré(e)"), max_length=15, blank=True)
    beneficiary_nir = models.CharField(
        _("NIR de la personne (bénéficiaire)"),
        max_length=15,
        blank=True,
        help_text=_("Seulement s'il diffère de son matricule INS."),
    )
    regime = models.CharField(_("régime"), max_length=2)
    organisation_code = models.CharField(
        _("code organisme"),
        max_length=9,
        blank=True,
        help_text=_("9 chiffres : régime (2), caisse (3), centre (4)."),
    )
    start_date = models.DateField(_("droits ouverts du"))
    end_date = models.DateField(_("droits ouverts jusqu'au"), null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("couverture d'assurance maladie")
        constraints = [ends_after_start("admin_coverage_end_after_start")]
        indexes = [models.Index(fields=["person"], name="admin_coverage_person")]

    def __str__(self) -> str:
        return reference.label(reference.regimes(), self.regime)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.insured_nir = normalise_matricule(self.insured_nir)
        self.beneficiary_nir = normalise_matricule(self.beneficiary_nir)
        if self.regime not in dict(reference.regimes()):
            errors["regime"] = _("Choisissez un régime de la liste.")
        elif self.organisation_code:
            problem = rules.organisation_code_problem(self.organisation_code, self.regime)
            if problem:
                errors["organisation_code"] = problem
        if self.insured_is_person:
            if self.insured_last_name or self.insured_first_name or self.insured_nir:
                errors["insured_last_name"] = _(
                    "L'ouvrant droit ne se renseigne que si ce n'est pas la personne."
                )
        else:
            if not self.insured_last_name.strip():
                errors["insured_last_name"] = _("Indiquez le nom de l'assuré(e).")
            if not self.insured_nir:
                errors["insured_nir"] = _("Indiquez le NIR de l'assuré(e).")
        for name in ("insured_nir", "beneficiary_nir"):
            problem = _nir_error(getattr(self, name))
            if problem and name not in errors:
                errors[name] = problem
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La date de fin ne peut pas précéder la date de début.")
        if errors:
            raise ValidationError(errors)


class ComplementaryKind(models.TextChoices):
    MUTUELLE = "mutuelle", _("Mutuelle ou assurance complémentaire")
    CSS = "css", _("Complémentaire santé solidaire sans participation")
    CSS_PARTICIPATION = "css_participation", _("Complémentaire santé solidaire avec participation")


class ComplementaryCover(VersionedModel):
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="complementary_covers"
    )
    kind = models.CharField(_("nature"), max_length=20, choices=ComplementaryKind)
    organisation_name = models.CharField(_("organisme"), max_length=200, blank=True)
    contract_number = models.CharField(
        _("numéro de contrat ou d'adhérent"), max_length=50, blank=True
    )
    start_date = models.DateField(_("valable du"))
    end_date = models.DateField(_("valable jusqu'au"), null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("complémentaire santé")
        constraints = [ends_after_start("admin_complementary_end_after_start")]
        indexes = [models.Index(fields=["person"], name="admin_complementary_person")]

    def __str__(self) -> str:
        return self.organisation_name or str(self.get_kind_display())

    def clean(self) -> None:
        errors = {}
        if self.kind == ComplementaryKind.MUTUELLE and not self.organisation_name.strip():
            errors["organisation_name"] = _("Indiquez le nom de la mutuelle ou de l'assureur.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La date de fin ne peut pas précéder la date de début.")
        if errors:
            raise ValidationError(errors)


# --- rights and benefits -----------------------------------------------------------------


class RightKind(models.TextChoices):
    APA_HOME = "apa_domicile", _("APA à domicile")
    APA_FACILITY = "apa_etablissement", _("APA en établissement")
    PCH = "pch", _("PCH (prestation de compensation du handicap)")
    AAH = "aah", _("AAH (allocation aux adultes handicapés)")
    ASH = "ash", _("Aide sociale à l'hébergement")
    HOUSING = "allocation_logement", _("Allocation logement (APL, ALS)")
    RQTH = "rqth", _("RQTH (reconnaissance de la qualité de travailleur handicapé)")
    CMI = "cmi", _("Carte mobilité inclusion")


#: The rights granted by a département (APA, ASH; PCH through the MDPH and the
#: département): the département is required.
DEPARTMENT_RIGHTS = frozenset({RightKind.APA_HOME, RightKind.APA_FACILITY, RightKind.ASH})


class Right(VersionedModel):
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="rights")
    kind = models.CharField(_("droit ou prestation"), max_length=30, choices=RightKind)
    department = models.CharField(
        _("département"), max_length=3, blank=True, help_text=_("Par exemple 75, 2A, 974.")
    )
    decision_reference = models.CharField(_("référence de la décision"), max_length=100, blank=True)
    decision_date = models.DateField(_("date de la décision"), null=True, blank=True)
    start_date = models.DateField(_("valable du"))
    end_date = models.DateField(
        _("valable jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Vide si le droit est accordé sans limite."),
    )
    cmi_invalidity = models.BooleanField(_("CMI mention invalidité"), default=False)
    cmi_priority = models.BooleanField(_("CMI mention priorité"), default=False)
    cmi_parking = models.BooleanField(_("CMI mention stationnement"), default=False)
    notes = models.TextField(_("précisions"), blank=True)

    class Meta:
        ordering = ["kind", "-start_date", "-id"]
        verbose_name = _("droit ou prestation")
        constraints = [ends_after_start("admin_right_end_after_start")]
        indexes = [
            models.Index(fields=["person", "kind", "end_date"], name="admin_right_person"),
            models.Index(fields=["end_date"], name="admin_right_end"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def cmi_mentions(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.cmi_invalidity, "invalidité"),
                (self.cmi_priority, "priorité"),
                (self.cmi_parking, "stationnement"),
            )
            if flag
        ]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.department:
            self.department = self.department.strip().upper()
            problem = rules.department_problem(self.department)
            if problem:
                errors["department"] = problem
        elif self.kind in DEPARTMENT_RIGHTS:
            errors["department"] = _("Indiquez le département qui accorde ce droit.")
        if self.kind == RightKind.CMI and not self.cmi_mentions:
            errors["cmi_invalidity"] = _("Cochez au moins une mention de la carte.")
        if self.kind != RightKind.CMI and self.cmi_mentions:
            errors["cmi_invalidity"] = _(
                "Les mentions ne concernent que la carte mobilité inclusion."
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("La date de fin ne peut pas précéder la date de début.")
        if self.decision_date and self.start_date and self.decision_date > timezone.localdate():
            errors["decision_date"] = _("La date de la décision ne peut pas être dans le futur.")
        if errors:
            raise ValidationError(errors)
