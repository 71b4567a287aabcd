"""Directory of the professionals and structures outside the managing organisation, and
the links of a person with them (médecin traitant, pharmacie, kinésithérapeute…).

The directory is organisation-wide: one entry per professional or structure for all the
facilities of the managing organisation. Entries are typed by hand or come from the
Annuaire Santé (`source`, `external_id`, `synced_at`; see services.upsert_from_annuaire).
National identifiers are unique within an organisation (database constraints); entries
are deactivated, never deleted, and every change is versioned and audited.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel, ends_after_start

from .validators import (
    validate_adeli,
    validate_finess,
    validate_idnat_ps,
    validate_mssante,
    validate_mssante_list,
    validate_phone,
    validate_rpps,
    validate_siret,
)

__all__ = [
    "Civility",
    "ExternalProfessional",
    "ExternalStructure",
    "LinkRole",
    "PersonProfessional",
    "Source",
    "StructureKind",
]


class Source(models.TextChoices):
    MANUAL = "manuel", _("Saisie manuelle")
    ANNUAIRE = "annuaire", _("Annuaire Santé")


class Civility(models.TextChoices):
    """Civilité d'exercice as the Annuaire shows it (plain choices)."""

    DR = "DR", _("Docteur")
    PR = "PR", _("Professeur")
    M = "M", _("Monsieur")
    MME = "MME", _("Madame")


class StructureKind(models.TextChoices):
    """Plain French choices (no single national list covers these kinds)."""

    CABINET = "cabinet", _("Cabinet libéral")
    CENTRE_SANTE = "centre_sante", _("Centre ou maison de santé")
    PHARMACIE = "pharmacie", _("Pharmacie")
    LABORATOIRE = "laboratoire", _("Laboratoire de biologie médicale")
    SERVICE_HOSPITALIER = "service_hospitalier", _("Service hospitalier")
    SSIAD = "ssiad", _("SSIAD partenaire")
    SAAD = "saad", _("SAAD partenaire")
    ESSMS = "essms", _("Autre établissement ou service médico-social")
    AUTRE = "autre", _("Autre structure")


class DirectoryEntry(VersionedModel):
    """What professionals and structures share: organisation, address, origin, status."""

    organisation = models.ForeignKey(
        "organisations.ManagingOrganisation", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, validators=[validate_phone])
    source = models.CharField(_("origine"), max_length=10, choices=Source, default=Source.MANUAL)
    # The Annuaire Santé's resource id and the last time the entry was checked there.
    external_id = models.CharField(_("identifiant dans l'Annuaire"), max_length=64, blank=True)
    synced_at = models.DateTimeField(_("vérifié dans l'Annuaire le"), null=True, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    deactivated_on = models.DateField(_("désactivé le"), null=True, blank=True)
    deactivation_reason = models.TextField(_("motif de la désactivation"), blank=True)
    # Accent- and case-free forms for the search (core.text.search_key), kept by save().
    name_key = models.CharField(max_length=220, editable=False, default="")
    city_key = models.CharField(max_length=100, editable=False, default="")

    class Meta:
        abstract = True


class ExternalStructure(DirectoryEntry):
    """A structure outside the organisation: cabinet, pharmacie, hospital service, partner
    SSIAD or SAAD, laboratory…"""

    name = models.CharField(_("nom"), max_length=200)
    service = models.CharField(
        _("service ou unité"),
        max_length=200,
        blank=True,
        help_text=_("Pour un service hospitalier : gériatrie, cardiologie…"),
    )
    kind = models.CharField(_("type"), max_length=30, choices=StructureKind)
    finess = models.CharField(_("FINESS"), max_length=9, blank=True, validators=[validate_finess])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    mssante_address = models.CharField(
        _("adresse MSSanté de la structure"),
        max_length=254,
        blank=True,
        validators=[validate_mssante],
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("structure extérieure")
        verbose_name_plural = _("structures extérieures")
        constraints = [
            # The services of one hospital share its FINESS: the pair is unique.
            models.UniqueConstraint(
                fields=["organisation", "finess", "service"],
                condition=~Q(finess=""),
                name="directory_structure_unique_finess",
            ),
            models.UniqueConstraint(
                fields=["organisation", "siret", "service"],
                condition=~Q(siret=""),
                name="directory_structure_unique_siret",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="directory_structure_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(deactivated_on__isnull=False),
                name="directory_structure_inactive_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "active", "name_key"], name="dir_struct_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.service}" if self.service else self.name

    def save(self, *args, **kwargs) -> None:
        from opendui.core.text import search_key

        self.name_key = search_key(f"{self.name} {self.service}")[:220]
        self.city_key = search_key(self.city)[:100]
        super().save(*args, **kwargs)


class ExternalProfessional(DirectoryEntry):
    """A professional outside the organisation (médecin traitant, kinésithérapeute…)."""

    civility = models.CharField(_("civilité"), max_length=3, choices=Civility, blank=True)
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    # TRE_G15 code (directory.professions) and its label, or a label alone.
    profession_code = models.CharField(_("code de la profession"), max_length=10, blank=True)
    profession_label = models.CharField(_("profession"), max_length=100)
    specialty_label = models.CharField(_("spécialité"), max_length=150, blank=True)
    specialty_code = models.CharField(_("code de la spécialité"), max_length=20, blank=True)
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True, validators=[validate_rpps])
    adeli = models.CharField(_("ADELI"), max_length=9, blank=True, validators=[validate_adeli])
    idnat_ps = models.CharField(
        _("identifiant national (idNat_PS)"),
        max_length=30,
        blank=True,
        validators=[validate_idnat_ps],
    )
    email = models.EmailField(_("courriel"), blank=True)
    mssante_addresses = models.JSONField(
        _("adresses MSSanté"), default=list, blank=True, validators=[validate_mssante_list]
    )
    structure = models.ForeignKey(
        ExternalStructure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="professionals",
        verbose_name=_("structure d'exercice"),
    )
    # The OpenDUI account through which this professional works in the records of the
    # persons they follow (directory.services.link_account: set by an administrator, and
    # only to an account holding the same national identifier).
    account = models.OneToOneField(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_entry",
        verbose_name=_("compte OpenDUI"),
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("professionnel extérieur")
        verbose_name_plural = _("professionnels extérieurs")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "rpps"],
                condition=~Q(rpps=""),
                name="directory_professional_unique_rpps",
            ),
            models.UniqueConstraint(
                fields=["organisation", "adeli"],
                condition=~Q(adeli=""),
                name="directory_professional_unique_adeli",
            ),
            models.UniqueConstraint(
                fields=["organisation", "idnat_ps"],
                condition=~Q(idnat_ps=""),
                name="directory_professional_unique_idnat",
            ),
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="directory_professional_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(deactivated_on__isnull=False),
                name="directory_professional_inactive_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "active", "name_key"], name="dir_prof_name"),
            models.Index(fields=["organisation", "city_key"], name="dir_prof_city"),
        ]

    def __str__(self) -> str:
        name = f"{self.last_name.upper()} {self.first_name}".strip()
        return f"{self.get_civility_display()} {name}" if self.civility in {"DR", "PR"} else name

    def save(self, *args, **kwargs) -> None:
        from opendui.core.text import search_key

        self.name_key = search_key(f"{self.last_name} {self.first_name}")[:220]
        self.city_key = search_key(self.city)[:100]
        super().save(*args, **kwargs)


class LinkRole(models.TextChoices):
    """Plain French choices (the role of the professional for this person)."""

    MEDECIN_TRAITANT = "medecin_traitant", _("Médecin traitant")
    SPECIALISTE = "specialiste", _("Médecin spécialiste")
    PHARMACIE = "pharmacie", _("Pharmacie")
    KINESITHERAPEUTE = "kinesitherapeute", _("Kinésithérapeute")
    INFIRMIER_LIBERAL = "infirmier_liberal", _("Infirmier libéral")
    SERVICE_HOSPITALIER = "service_hospitalier", _("Service hospitalier référent")
    AUTRE = "autre", _("Autre")


class PersonProfessional(VersionedModel):
    """A professional or a structure of the directory who follows a person, with dates.

    Ended links stay (history); at most one current médecin traitant per person.
    """

    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="external_professionals"
    )
    professional = models.ForeignKey(
        ExternalProfessional,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person_links",
        verbose_name=_("professionnel"),
    )
    structure = models.ForeignKey(
        ExternalStructure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person_links",
        verbose_name=_("structure"),
    )
    role = models.CharField(_("rôle auprès de la personne"), max_length=30, choices=LinkRole)
    start_date = models.DateField(_("depuis le"))
    end_date = models.DateField(_("jusqu'au"), null=True, blank=True)
    end_reason = models.TextField(_("motif de fin"), blank=True)
    note = models.TextField(_("remarque"), blank=True)

    class Meta:
        ordering = ["end_date", "role", "-start_date", "id"]
        verbose_name = _("professionnel de la personne")
        verbose_name_plural = _("professionnels de la personne")
        constraints = [
            models.CheckConstraint(
                condition=Q(professional__isnull=False, structure__isnull=True)
                | Q(professional__isnull=True, structure__isnull=False),
                name="directory_link_professional_or_structure",
            ),
            ends_after_start("directory_link_end_after_start"),
            # At most one current médecin traitant per person (a link is current until
            # its end date is set; services refuse end dates in the future).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(role="medecin_traitant", end_date__isnull=True),
                name="directory_one_current_gp",
                violation_error_message=_(
                    "Cette personne a déjà un médecin traitant en cours : "
                    "changez de médecin traitant plutôt que d'en ajouter un second."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(role="medecin_traitant") | Q(professional__isnull=False),
                name="directory_gp_is_a_professional",
            ),
        ]
        indexes = [models.Index(fields=["person", "end_date"], name="dir_link_person")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} : {self.professional or self.structure}"

    @property
    def entry(self) -> ExternalProfessional | ExternalStructure | None:
        return self.professional or self.structure

    @property
    def is_current(self) -> bool:
        return self.end_date is None
