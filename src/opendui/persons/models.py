"""The person accompanied (usager) and their identity."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.core.text import search_key
from opendui.organisations.models import ManagingOrganisation

from . import rniv
from .ins import INS_OIDS, matricule_problem


def validate_matricule(value: str) -> None:
    problem = matricule_problem(value)
    if problem:
        raise ValidationError(problem, code="ins_matricule")


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")
    UNKNOWN = "I", _("Indéterminé")


def display_name(birth_name: str, first_name: str, used_name: str, used_first_name: str) -> str:
    """How a person is named on screen: used name when there is one, else birth name
    (capitals); then the used first name, else the first birth first name. A function on
    plain values so that lists reading values (persons.listing) name people the same way."""
    return f"{(used_name or birth_name).upper()} {used_first_name or first_name}"


def shown_birth_name(birth_name: str, used_name: str) -> str:
    """The birth name shown beside the name ("né·e ROUX") when the person is named by a
    different used name, else ""."""
    return birth_name.upper() if used_name and used_name != birth_name else ""


def first_name_key(first_name: str, used_first_name: str) -> str:
    """Search key of the first names a person is searched by (Person.first_name_key)."""
    return " ".join(key for key in (search_key(first_name), search_key(used_first_name)) if key)


class Person(VersionedModel):
    """A person accompanied by one or several facilities of an organisation."""

    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, related_name="persons"
    )
    local_id = models.CharField(_("identifiant local"), max_length=20)
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    first_name = models.CharField(_("premier prénom de naissance"), max_length=100)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    used_first_name = models.CharField(_("prénom utilisé"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex)
    birth_first_names = models.CharField(
        _("prénoms de naissance"),
        max_length=255,
        blank=True,
        help_text=_("Dans l'ordre de l'état civil, séparés par des espaces."),
    )
    birth_place_code = models.CharField(
        _("lieu de naissance (code INSEE)"),
        max_length=5,
        blank=True,
        help_text=_("Code de la commune de naissance, ou 99xxx pour une naissance à l'étranger."),
    )
    # INS and identity vigilance (RNIV). The status is not stored: it follows from the two
    # criteria below (persons.rniv), so it can never disagree with them.
    ins_matricule = models.CharField(
        _("matricule INS"), max_length=15, blank=True, validators=[validate_matricule]
    )
    ins_oid = models.CharField(
        _("OID du matricule INS"), max_length=32, blank=True, choices=list(INS_OIDS.items())
    )
    identity_retrieved_from_insi = models.BooleanField(
        _("identité récupérée par le téléservice INSi"), default=False
    )
    identity_document_checked = models.BooleanField(
        _("identité contrôlée sur une pièce à haut niveau de confiance"), default=False
    )
    identity_document_type = models.CharField(
        _("pièce d'identité contrôlée"),
        max_length=8,
        blank=True,
        choices=[(d.value, d.label) for d in rniv.DocumentType],
    )
    identity_doubtful = models.BooleanField(_("identité douteuse"), default=False)
    identity_fictitious = models.BooleanField(_("identité fictive"), default=False)
    identity_homonym = models.BooleanField(_("homonymie signalée"), default=False)
    # Duplicate merge (persons.merge): a merged record keeps its row and its identity, but
    # points at the record kept; lists leave it out and its page leads to the kept one.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        verbose_name=_("fusionné dans"),
    )
    merged_at = models.DateTimeField(_("fusionné le"), null=True, blank=True)
    # Accent- and case-free copies of the names, kept in step by save(), for search.
    birth_name_key = models.CharField(max_length=100, editable=False, db_index=False)
    used_name_key = models.CharField(max_length=100, editable=False, blank=True)
    # The first birth first name and the used first name, space-separated: a search word
    # found in a first name is then a LIKE on one column that pg_trgm indexes, not a
    # regular expression run on every candidate row.
    first_name_key = models.CharField(max_length=201, editable=False, blank=True)

    class Meta:
        ordering = ["birth_name_key", "first_name", "id"]
        verbose_name = _("personne accompagnée")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "local_id"], name="person_unique_local_id"
            ),
            # RNIV: a doubtful or fictitious identity cannot be validated.
            models.CheckConstraint(
                condition=~models.Q(identity_document_checked=True)
                | models.Q(identity_doubtful=False, identity_fictitious=False),
                name="person_blocked_identity_not_checked",
            ),
            models.CheckConstraint(
                condition=models.Q(ins_matricule="") | ~models.Q(ins_oid=""),
                name="person_ins_matricule_has_oid",
            ),
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True, merged_at__isnull=True)
                | models.Q(merged_into__isnull=False, merged_at__isnull=False),
                name="person_merged_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="person_not_merged_into_itself",
            ),
        ]
        # Plain B-tree indexes: the name order serves both the list's ORDER BY and the
        # prefix search written as a range (persons.selectors); a pattern_ops class
        # would serve LIKE but not ORDER BY on PostgreSQL.
        indexes = [
            models.Index(fields=["birth_name_key", "first_name", "id"], name="person_name_order"),
            models.Index(fields=["used_name_key"], name="person_used_name"),
            models.Index(fields=["local_id"], name="person_local_id"),
            models.Index(fields=["birth_date"], name="person_birth_date"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        self.refresh_search_keys()
        super().save(*args, **kwargs)

    def refresh_search_keys(self) -> None:
        self.birth_name_key = search_key(self.birth_name)
        self.used_name_key = search_key(self.used_name)
        self.first_name_key = first_name_key(self.first_name, self.used_first_name)

    @property
    def identity_state(self) -> rniv.IdentityState:
        attributes = {
            rniv.IdentityAttribute.DOUTEUSE: self.identity_doubtful,
            rniv.IdentityAttribute.FICTIVE: self.identity_fictitious,
            rniv.IdentityAttribute.HOMONYME: self.identity_homonym,
        }
        return rniv.IdentityState(
            attributes=frozenset(a for a, on in attributes.items() if on),
            retrieved_from_insi=self.identity_retrieved_from_insi,
            document_checked=self.identity_document_checked,
        )

    @property
    def identity_status(self) -> rniv.IdentityStatus:
        return rniv.status_for(self.identity_retrieved_from_insi, self.identity_document_checked)

    @property
    def transmittable_ins(self) -> str:
        """The INS matricule, only for a qualified identity (RNIV): else an empty string."""
        return self.ins_matricule if rniv.may_transmit_ins(self.identity_state) else ""

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def pending_merge(self):
        """The merge of this record waiting for the referent's review, if any (one query)."""
        from .models_merge import MergeStatus, PersonMerge

        return (
            PersonMerge.objects.filter(source=self, status=MergeStatus.PROPOSED)
            .select_related("target")
            .first()
        )

    @property
    def display_name(self) -> str:
        return display_name(self.birth_name, self.first_name, self.used_name, self.used_first_name)

    @property
    def shown_birth_name(self) -> str:
        return shown_birth_name(self.birth_name, self.used_name)


class IdentityStatusChange(models.Model):
    """History of a person's identity status (RNIV): kept, never edited or deleted."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identity_changes")
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    event = models.CharField(_("événement"), max_length=40)
    from_status = models.CharField(_("statut avant"), max_length=5)
    to_status = models.CharField(_("statut après"), max_length=5)
    reason = models.TextField(_("motif"), blank=True)
    document_type = models.CharField(_("pièce contrôlée"), max_length=8, blank=True)
    # The traits this event changed, {field: [before, after]} (persons.identity): with
    # the rows before it, the versions of the identity. The INS matricule is left out:
    # the page shows this history whatever the status (the audit trail keeps it).
    changes = models.JSONField(_("traits modifiés"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("changement de statut d'identité")


from .models_alerts import *  # noqa: E402, F403
from .models_entourage import *  # noqa: E402, F403
from .models_merge import *  # noqa: E402, F403
