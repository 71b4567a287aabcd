"""The permission catalogue: every permission OpenDUI knows, declared in code.

Roles are data (accounts.Role) and grant permissions by code. A permission has
a *scope kind* that says what it is checked against:

- PERSON: a person's record, in scope when the person is current in a facility
  (or unit) the user is assigned to (a stay or an open admission request there, or
  one ended less than OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS ago; older ones only with
  `person.view_archived` there), or belongs to the organisation of an
  organisation-wide assignment;
- FACILITY: a facility the user is assigned to (or its organisation);
- ORGANISATION: an organisation-wide assignment.

Permissions tied to a data category (``person.view_medical``…) are not ticked
one by one: they follow the role's data-category matrix (none/read/write).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class ScopeKind(StrEnum):
    PERSON = "person"
    FACILITY = "facility"
    ORGANISATION = "organisation"


class DataCategory(StrEnum):
    ADMINISTRATIVE = "administrative"
    SOCIAL = "social"
    CARE = "care"
    MEDICAL = "medical"
    PSYCHOLOGICAL = "psychological"


DATA_CATEGORY_LABELS = {
    DataCategory.ADMINISTRATIVE: _("Administratif"),
    DataCategory.SOCIAL: _("Social et éducatif"),
    DataCategory.CARE: _("Soins (infirmiers)"),
    DataCategory.MEDICAL: _("Médical"),
    DataCategory.PSYCHOLOGICAL: _("Psychologique"),
}


class AccessLevel(StrEnum):
    NONE = "none"
    READ = "read"
    WRITE = "write"


ACCESS_LEVEL_LABELS = {
    AccessLevel.NONE: _("Aucun accès"),
    AccessLevel.READ: _("Lecture"),
    AccessLevel.WRITE: _("Lecture et écriture"),
}

_LEVEL_RANK = {AccessLevel.NONE: 0, AccessLevel.READ: 1, AccessLevel.WRITE: 2}


def level_allows(granted: str, needed: str) -> bool:
    return _LEVEL_RANK[AccessLevel(granted)] >= _LEVEL_RANK[AccessLevel(needed)]


@dataclass(frozen=True)
class Permission:
    code: str
    label: str
    scope: ScopeKind
    category: DataCategory | None = None
    level: AccessLevel | None = None

    @property
    def from_matrix(self) -> bool:
        """True when the role's data-category matrix decides, not a tick box."""
        return self.category is not None


def _data_permissions() -> list[Permission]:
    permissions = []
    for category, label in DATA_CATEGORY_LABELS.items():
        permissions.append(
            Permission(
                f"person.view_{category}",
                _("Consulter les données « %(c)s » du dossier") % {"c": label},
                ScopeKind.PERSON,
                category,
                AccessLevel.READ,
            )
        )
        permissions.append(
            Permission(
                f"person.edit_{category}",
                _("Saisir les données « %(c)s » du dossier") % {"c": label},
                ScopeKind.PERSON,
                category,
                AccessLevel.WRITE,
            )
        )
    return permissions


_FUNCTIONAL = [
    Permission(
        "person.view_identity", _("Voir l'identité des personnes accompagnées"), ScopeKind.PERSON
    ),
    Permission("person.create", _("Créer un dossier usager"), ScopeKind.FACILITY),
    Permission("person.edit_identity", _("Modifier l'identité"), ScopeKind.PERSON),
    Permission(
        "admission.decide",
        _("Décider des demandes d'admission : accepter, refuser, réouvrir une demande refusée"),
        ScopeKind.FACILITY,
    ),
    Permission("person.export", _("Exporter ou imprimer un dossier"), ScopeKind.PERSON),
    Permission(
        "person.view_archived",
        _(
            "Ouvrir les dossiers archivés de l'établissement (personnes sorties, "
            "demandes d'admission closes)"
        ),
        ScopeKind.FACILITY,
    ),
    Permission(
        "person.break_glass",
        _("Accès exceptionnel (bris de glace) à un dossier hors périmètre"),
        ScopeKind.FACILITY,
    ),
    Permission(
        "audit.view_person_access",
        _("Voir qui a consulté un dossier"),
        ScopeKind.PERSON,
    ),
    Permission("audit.search", _("Rechercher dans le journal d'audit"), ScopeKind.ORGANISATION),
    Permission(
        "identity.merge",
        _("Référent identitovigilance : valider et exécuter les fusions de dossiers"),
        ScopeKind.ORGANISATION,
    ),
    Permission(
        "pp.validate",
        _("Valider un projet personnalisé au nom de la structure (accord de la structure)"),
        ScopeKind.PERSON,
    ),
    Permission(
        "note.withdraw",
        _("Retirer la transmission d'un autre professionnel (écrite dans le mauvais dossier)"),
        ScopeKind.PERSON,
    ),
    Permission(
        "note.view_withdrawn",
        _("Voir les transmissions retirées d'un dossier, avec le motif du retrait"),
        ScopeKind.PERSON,
    ),
    Permission("incident.declare", _("Déclarer un événement indésirable"), ScopeKind.FACILITY),
    Permission(
        "incident.manage",
        _("Analyser les événements indésirables et préparer leur déclaration à l'ARS"),
        ScopeKind.FACILITY,
    ),
    Permission(
        "evaluation.manage_models",
        _("Gérer les modèles de grilles d'évaluation"),
        ScopeKind.ORGANISATION,
    ),
    Permission(
        "facility.view_overview",
        _("Voir le tableau de bord d'un établissement"),
        ScopeKind.FACILITY,
    ),
    Permission(
        "pilotage.view",
        _("Voir les indicateurs d'usage et le rapport d'activité d'un établissement"),
        ScopeKind.FACILITY,
    ),
    Permission(
        "programme.manage",
        _("Piloter le projet ESMS Numérique (grappe, financement, jalons)"),
        ScopeKind.ORGANISATION,
    ),
    Permission(
        "organisation.manage",
        _("Gérer l'organisme, ses établissements et unités"),
        ScopeKind.ORGANISATION,
    ),
    Permission(
        "accounts.manage",
        _("Gérer les professionnels et leurs affectations"),
        ScopeKind.ORGANISATION,
    ),
    Permission(
        "roles.manage", _("Gérer les rôles et la matrice des habilitations"), ScopeKind.ORGANISATION
    ),
    # Facility scope: a facility's director approves the grants of that facility; an
    # organisation-wide holder (directeur général) also those of the whole organisation,
    # of the audit and of the administration rights, and role changes (accounts.grants).
    Permission(
        "grants.approve",
        _(
            "Approuver les habilitations donnant accès aux dossiers, au journal d'audit ou aux droits"
        ),
        ScopeKind.FACILITY,
    ),
    # The facility's list of DMP submissions refused, failed or blocked (interop.dmp):
    # those who keep the facility's documents follow it; a retry needs, in addition, the
    # write right on the document's category for its person.
    Permission(
        "dmp.manage_failures",
        _("Suivre les envois au DMP de l'établissement (refus, échecs, blocages)"),
        ScopeKind.FACILITY,
    ),
    # Directory of the professionals and structures outside the organisation
    # (directory app). Facility scope, checked against the directory's organisation
    # ("anywhere in that organisation"): the directory is shared by all the facilities
    # of the organisation and kept by each facility's secretariat, who are assigned to
    # a facility, not to the whole organisation.
    Permission(
        "directory.view",
        _("Consulter l'annuaire des professionnels et structures extérieurs"),
        ScopeKind.FACILITY,
    ),
    Permission(
        "directory.manage",
        _("Tenir l'annuaire des professionnels extérieurs : ajouter, corriger, désactiver"),
        ScopeKind.FACILITY,
    ),
]

CATALOGUE: dict[str, Permission] = {p.code: p for p in _FUNCTIONAL + _data_permissions()}
FUNCTIONAL_PERMISSIONS = [p for p in CATALOGUE.values() if not p.from_matrix]


def get_permission(code: str) -> Permission:
    """The catalogue entry for `code`; an unknown code is a programming error."""
    try:
        return CATALOGUE[code]
    except KeyError:
        raise LookupError(
            f"Unknown permission {code!r}: declare it in accounts.permissions"
        ) from None
