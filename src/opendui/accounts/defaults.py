"""The roles a new installation starts with. Administrators adapt them afterwards."""

from __future__ import annotations

from .permissions import AccessLevel, DataCategory

N, R, W = AccessLevel.NONE.value, AccessLevel.READ.value, AccessLevel.WRITE.value
ADM, SOC, CARE, MED, PSY = (c.value for c in DataCategory)


def _matrix(adm: str, soc: str, care: str, med: str, psy: str) -> dict[str, str]:
    return {ADM: adm, SOC: soc, CARE: care, MED: med, PSY: psy}


_PERSON = ["person.view_identity", "incident.declare"]
# person.export (every PDF, CSV or printable document that leaves the application, checked
# by core.exports) goes to the roles that hand documents out: the secretariat (records,
# certificates), the chief of service (PP for signature, ARS declaration, activity report),
# the director (same, and the ARS proofs) and the DPO (audit extracts). Care and
# educational teams read and write on screen; they ask the chief of service for a copy.
_CARE_TEAM = [*_PERSON, "person.break_glass"]
# person.view_archived (records of persons gone from the facility for more than
# OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS): the secretariat (certificates, a readmission, a
# request from the person or an heir), the physician (medical follow-up, a death
# certificate, a claim) and the director (complaints, litigation). The other teams lose
# the record once the grace period ends; break-the-glass remains for an emergency.

DEFAULT_ROLES: list[dict] = [
    {
        "code": "accueil",
        "name": "Accueil / secrétariat",
        "description": "Admissions, identité, dossier administratif.",
        "permissions": [
            *_PERSON,
            "person.create",
            "person.edit_identity",
            "person.export",
            "person.view_archived",
        ],
        "data_access": _matrix(W, N, N, N, N),
    },
    {
        "code": "educateur",
        "name": "Éducateur",
        "description": "Accompagnement éducatif et social au quotidien.",
        "permissions": _PERSON,
        "data_access": _matrix(R, W, N, N, N),
    },
    {
        "code": "aide-soignant",
        "name": "Aide-soignant",
        "description": "Soins de nursing et accompagnement de la vie quotidienne.",
        "permissions": _PERSON,
        "data_access": _matrix(R, R, W, N, N),
    },
    {
        "code": "infirmier",
        "name": "Infirmier",
        "description": "Soins infirmiers, circuit du médicament.",
        "permissions": _CARE_TEAM,
        "data_access": _matrix(R, R, W, R, N),
    },
    {
        "code": "medecin",
        "name": "Médecin",
        "description": "Suivi médical (médecin coordonnateur ou traitant).",
        "permissions": [*_CARE_TEAM, "person.view_archived"],
        "data_access": _matrix(R, R, W, W, R),
    },
    {
        "code": "psychologue",
        "name": "Psychologue",
        "description": "Suivi psychologique.",
        "permissions": _PERSON,
        "data_access": _matrix(R, R, N, N, W),
    },
    {
        "code": "chef-de-service",
        "name": "Chef de service",
        "description": "Organisation de l'accompagnement d'un service ou d'une unité.",
        "permissions": [
            *_PERSON,
            "person.create",
            "person.edit_identity",
            "person.export",
            # The admission decision (accept, refuse, reopen a refusal): not the
            # secretariat, which files and follows the requests.
            "admission.decide",
            "facility.view_overview",
            "pp.validate",
            # Withdraws a note written in the wrong record when its author cannot, and
            # sees the notes withdrawn from the records of the service.
            "note.withdraw",
            "note.view_withdrawn",
            "incident.manage",
            "pilotage.view",
        ],
        "data_access": _matrix(W, W, R, N, N),
    },
    {
        "code": "directeur",
        "name": "Directeur",
        "description": "Direction d'un ou plusieurs établissements.",
        "permissions": [
            *_PERSON,
            "person.export",
            "person.view_archived",
            "admission.decide",
            "facility.view_overview",
            "audit.view_person_access",
            "person.break_glass",
            # Organisation scope: a director assigned to the whole organisation may also
            # review merges; the usual holder is the identity-vigilance referent below.
            "identity.merge",
            "pp.validate",
            "incident.manage",
            "pilotage.view",
            # Organisation scope: the project lead of the ESMS Numérique programme is
            # usually the director assigned to the whole organisation.
            "programme.manage",
            # The second person behind every grant the administrator makes: a facility's
            # director for that facility, the directeur général for the organisation,
            # the audit, the administration rights and the roles (accounts.grants).
            "grants.approve",
        ],
        "data_access": _matrix(R, R, N, N, N),
    },
    {
        "code": "identitovigilance",
        "name": "Référent identitovigilance",
        "description": "Qualité des identités : contrôle et fusion des doublons (RNIV).",
        "permissions": ["person.view_identity", "person.edit_identity", "identity.merge"],
        "data_access": _matrix(R, N, N, N, N),
    },
    {
        "code": "admin",
        "name": "Administrateur de l'organisme",
        "description": "Organisation, établissements, comptes et habilitations. Pas d'accès aux dossiers.",
        "permissions": [
            "organisation.manage",
            "accounts.manage",
            "roles.manage",
            "evaluation.manage_models",
            "programme.manage",
        ],
        "data_access": _matrix(N, N, N, N, N),
        "requires_totp": True,
    },
    {
        "code": "dpo",
        "name": "Délégué à la protection des données",
        "description": "Contrôle des accès aux dossiers (journal d'audit).",
        # person.export: extracts of the audit trail for a complaint or a CNIL request.
        "permissions": ["audit.search", "audit.view_person_access", "person.export"],
        "data_access": _matrix(N, N, N, N, N),
        "requires_totp": True,
    },
]

# External professionals (médecin traitant, infirmier libéral, kinésithérapeute) working
# in the records of the persons they follow, through a linked-persons assignment
# (accounts.LinkedPersonsAssignment): the categories of the matching internal role, with
# no administrative write and nothing facility- or organisation-wide (no break-the-glass,
# archives, exports, directory, incidents). They log in with Pro Santé Connect, which
# is the strong authentication: no TOTP of ours.
EXTERNAL_ROLE_CODES = ("medecin-externe", "infirmier-externe", "kine-externe")
# The habilitation follows the profession (TRE_G15 code of the directory entry): a nurse
# is never given the doctor's medical write, whatever the administrator picks.
EXTERNAL_ROLE_PROFESSIONS = {
    "medecin-externe": "10",
    "infirmier-externe": "60",
    "kine-externe": "70",
}
DEFAULT_ROLES += [
    {
        "code": "medecin-externe",
        "name": "Médecin extérieur (médecin traitant)",
        "description": "Médecin libéral : suivi médical des seules personnes qu'il suit.",
        "permissions": ["person.view_identity"],
        "data_access": _matrix(R, R, W, W, R),
    },
    {
        "code": "infirmier-externe",
        "name": "Infirmier extérieur (infirmier libéral)",
        "description": "Infirmier libéral : soins des seules personnes qu'il suit.",
        "permissions": ["person.view_identity"],
        "data_access": _matrix(R, R, W, R, N),
    },
    {
        "code": "kine-externe",
        "name": "Masseur-kinésithérapeute extérieur",
        "description": "Kinésithérapeute libéral : soins des seules personnes qu'il suit.",
        "permissions": ["person.view_identity"],
        "data_access": _matrix(R, N, W, N, N),
    },
]

# Directory of external professionals (directory app): read by the roles that write
# records (they look up the médecin traitant, the pharmacy…), kept by the secretariat and
# the chief of service, who write the administrative file.
_DIRECTORY = {
    "accueil": ["directory.view", "directory.manage"],
    "chef-de-service": ["directory.view", "directory.manage"],
    **{
        code: ["directory.view"]
        for code in ("educateur", "aide-soignant", "infirmier", "medecin", "psychologue")
    },
}
for _spec in DEFAULT_ROLES:
    _spec["permissions"] = [*_spec["permissions"], *_DIRECTORY.get(_spec["code"], [])]

# The facility's DMP failures (interop.dmp, facility scope): the secretariat, which keeps
# the facility's documents, the chief of service and the director.
for _spec in DEFAULT_ROLES:
    if _spec["code"] in ("accueil", "chef-de-service", "directeur"):
        _spec["permissions"] = [*_spec["permissions"], "dmp.manage_failures"]
