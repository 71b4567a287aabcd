"""Why a document may not go to the DMP, and which visibility options a person is offered.

Pure (no Django): services.py and the send job read the record into a `Candidate` and
ask `refusal(candidate)`; a French sentence is a refusal (nothing is queued, or the queued
version is blocked with that reason), None means the document may go.

The rules, in the order they are reported:

1. **Qualified identity.** A document is filed in the DMP under the person's INS, which may
   travel only for a qualified identity (RNIV; services_socles.md §1.1 item 3, §1.5;
   `persons.Person.transmittable_ins`). A provisional, retrieved or validated identity
   sends nothing, and the user is told the status.
2. **Opposition.** The person (or their representative) may oppose the feeding of their DMP
   (CSP L1111-15, "sauf opposition pour motif légitime"); `persons.consents` records it
   under ALIMENTATION_DMP. An opposition in force blocks every new send; what was sent
   before stays (see docs/architecture.md, "DMP: the feed").
3. **National type.** The DMP indexes a document by its JDV_J07 typeCode. A J07 type goes
   as it is; an OpenDUI local type goes under its `j07_equivalent`
   (nomenclatures/data/opendui_document_types.csv); a local type without one (attestation
   de présence, photographie…) does not go.
4. **Facility.** The custodian and the author's organisation are identified by the FINESS
   of the facility (idNat_Struct "1" + FINESS): without one, nothing goes.
5. **Withdrawn.** A withdrawn document is no longer part of the record: it is not sent.
6. **Content.** The body of a CDA R2 N1 is a PDF (services_socles.md §3.4): an image or an
   office document is refused with what to do. Above `max_bytes` it is refused too.
7. **Acting professional.** The DMP names who files (VIHF subject, CDA author's
   identifier): an account with no national identifier (RPPS, ADELI, RPPS+) cannot file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PDF = "application/pdf"
IMAGE_PREFIX = "image/"

#: Visibility flags (document.Visibility's field names).
HIDDEN_FROM_PROFESSIONALS = "hidden_from_professionals"
INVISIBLE_TO_PATIENT = "invisible_to_patient"
INVISIBLE_TO_LEGAL_REPRESENTATIVES = "invisible_to_legal_representatives"


@dataclass(frozen=True)
class Candidate:
    """What the rules need to know of one document version about to go to the DMP."""

    identity_qualified: bool
    identity_status_label: str  # "provisoire", "validée"… (shown in the refusal)
    opposed: bool  # an opposition to ALIMENTATION_DMP in force
    j07_code: str | None  # the national type, resolved by `national_type`
    type_label: str
    facility_finess: str
    withdrawn: bool
    mime_type: str
    size: int
    max_bytes: int
    professional_idnat: str


def national_type(type_system: str, type_code: str, equivalents: Mapping[str, str]) -> str | None:
    """The JDV_J07 code a document goes under: the code of a J07 type, the `j07_equivalent`
    of a local type (`equivalents`: local code → J07 code, "" when none), else None."""
    if type_system == "J07":
        return type_code or None
    return equivalents.get(type_code) or None


def refusals(candidate: Candidate) -> list[str]:
    """Every reason, in French, why this version may not go to the DMP (empty: it may)."""
    found: list[str] = []
    if not candidate.identity_qualified:
        status = candidate.identity_status_label or "inconnu"
        found.append(
            f"L'identité de la personne n'est pas qualifiée (statut : {status}) : aucun "
            "document n'est versé au DMP sans INS qualifiée."
        )
    if candidate.opposed:
        found.append(
            "La personne s'est opposée à l'alimentation de son DMP : aucun document n'y est "
            "versé tant que l'opposition n'est pas levée."
        )
    if candidate.j07_code is None:
        found.append(
            f"Le type « {candidate.type_label} » n'a pas d'équivalent dans la liste nationale "
            "des types de documents (JDV_J07) : il ne peut pas être versé au DMP."
        )
    if not candidate.facility_finess:
        found.append(
            "L'établissement n'a pas de numéro FINESS : le DMP ne peut pas identifier "
            "la structure qui verse le document."
        )
    if candidate.withdrawn:
        found.append("Ce document est retiré du dossier : il n'est pas versé au DMP.")
    if candidate.mime_type != PDF:
        if candidate.mime_type.startswith(IMAGE_PREFIX):
            found.append(
                "Le DMP reçoit des documents PDF : cette image doit d'abord être enregistrée "
                "en PDF (un nouveau dépôt de la photo la convertit)."
            )
        else:
            found.append(
                "Seul un document PDF peut être versé au DMP : enregistrez ce document en "
                "PDF puis remplacez-le."
            )
    elif candidate.size > candidate.max_bytes:
        megabytes = candidate.max_bytes / (1024 * 1024)
        found.append(
            f"Le document dépasse la taille acceptée pour le DMP ({megabytes:g} Mo) : "
            "il n'est pas versé."
        )
    if not candidate.professional_idnat:
        found.append(
            "Le professionnel qui verse le document n'a pas d'identifiant national (RPPS, "
            "ADELI ou RPPS+) : le DMP exige de savoir qui l'alimente."
        )
    return found


def refusal(candidate: Candidate) -> str | None:
    """The first reason why this version may not go to the DMP, or None."""
    found = refusals(candidate)
    return found[0] if found else None


def visibility_options(*, minor: bool, represented: bool) -> frozenset[str]:
    """The visibility flags a user may set for this person's documents.

    - *Masqué aux professionnels* and *invisible pour la personne* are offered for every
      person: the first is the person's right to hide a document from professionals
      (CSP L1111-15), the second keeps a result away from the person until a
      professional has told them (the "consultation d'annonce", same article).
    - *Invisible pour les représentants légaux* is offered only when the person has
      legal representatives who may read their DMP: a minor (holders of parental
      authority; the minor may ask for secrecy, CSP L1111-5) or an adult under a
      measure with representation relative to the person in force (tutelle,
      habilitation familiale générale: `persons.models_entourage.REPRESENTATION_MEASURES`).
      For anyone else the flag would hide the document from nobody and is refused.
    """
    options = {HIDDEN_FROM_PROFESSIONALS, INVISIBLE_TO_PATIENT}
    if minor or represented:
        options.add(INVISIBLE_TO_LEGAL_REPRESENTATIVES)
    return frozenset(options)


def visibility_refusal(
    requested: Mapping[str, bool], *, minor: bool, represented: bool
) -> str | None:
    """A French refusal when a requested flag is not offered for this person, else None."""
    unknown = set(requested) - {
        HIDDEN_FROM_PROFESSIONALS,
        INVISIBLE_TO_PATIENT,
        INVISIBLE_TO_LEGAL_REPRESENTATIVES,
    }
    if unknown:
        return "Option de visibilité inconnue."
    offered = visibility_options(minor=minor, represented=represented)
    if requested.get(INVISIBLE_TO_LEGAL_REPRESENTATIVES) and (
        INVISIBLE_TO_LEGAL_REPRESENTATIVES not in offered
    ):
        return (
            "« Invisible pour les représentants légaux » ne s'applique qu'à une personne "
            "mineure ou protégée par une mesure de représentation."
        )
    return None
