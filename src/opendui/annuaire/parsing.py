"""Annuaire Santé FHIR R4 Bundles → plain records (pure: no I/O, no Django).

The Annuaire answers searches with `searchset` Bundles of Practitioner,
PractitionerRole and Organization resources. `fhir.resources` (its R4B models, which
are FHIR R4 for these three resources) validates the JSON; the functions below read
what OpenDUI needs into frozen dataclasses, so that nothing above this module sees a
FHIR type:

- identifiers: idNat_PS (`urn:oid:1.2.250.1.71.4.2.1`, `8` + RPPS or `0` + ADELI),
  RPPS (`https://rpps.esante.gouv.fr`), ADELI, FINESS (`https://finess.esante.gouv.fr`,
  formerly `urn:oid:1.2.250.1.71.4.2.2`);
- the profession (TRE_G15) and ordinal specialty (TRE_R38) codes, from the
  Practitioner's qualifications or else its roles;
- MSSanté mailboxes: ContactPoints `system=email` carrying the TRE_R256 `MSSANTE`
  e-mail type, with the mailbox metadata extension (type PER/ORG/APP/CAB, description,
  service). Mailboxes on the red list (`listeRouge`) are left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from opendui.core.identifiers import adeli_problem, normalise_email, rpps_problem

IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
FINESS_SYSTEMS = ("https://finess.esante.gouv.fr", "urn:oid:1.2.250.1.71.4.2.2")
PROFESSION_MARK = "TRE_G15"
SPECIALTY_MARK = "TRE_R38"
EMAIL_TYPE_MARK = "TRE_R256"
EMAIL_TYPE_URL = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
MAILBOX_METADATA_URL = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
MAILBOX_KINDS = ("PER", "ORG", "APP", "CAB")
CIVILITIES = ("DR", "PR", "M", "MME")


class BundleError(ValueError):
    """The Annuaire's answer is not a FHIR Bundle OpenDUI can read."""


@dataclass(frozen=True)
class Mailbox:
    """An MSSanté mailbox: its address and kind (PER personal, ORG organisational,
    APP applicative, CAB cabinet; '' when the Annuaire gives none)."""

    address: str
    kind: str = ""
    description: str = ""
    service: str = ""


@dataclass(frozen=True)
class Organisation:
    external_id: str
    name: str
    finess: str = ""
    kind_code: str = ""
    kind_label: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    active: bool = True
    mailboxes: tuple[Mailbox, ...] = ()


@dataclass(frozen=True)
class Role:
    """A PractitionerRole: where and as what a professional works."""

    external_id: str
    practitioner_id: str
    organisation_id: str = ""
    profession_code: str = ""
    profession_label: str = ""
    specialty_code: str = ""
    specialty_label: str = ""
    phone: str = ""
    active: bool = True
    mailboxes: tuple[Mailbox, ...] = ()


@dataclass(frozen=True)
class Practitioner:
    """A professional, with the fields of directory.services.AnnuairePractitioner
    (names, identifiers, profession, MSSanté addresses) plus what is known of the place
    where they work (phone, address) from their first active role's organisation."""

    external_id: str
    idnat_ps: str
    last_name: str
    first_name: str = ""
    civility: str = ""
    rpps: str = ""
    adeli: str = ""
    profession_code: str = ""
    profession_label: str = ""
    specialty_code: str = ""
    specialty_label: str = ""
    mailboxes: tuple[Mailbox, ...] = ()
    phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    structure_name: str = ""
    structure_finess: str = ""
    active: bool = True

    @property
    def mssante_addresses(self) -> tuple[str, ...]:
        return tuple(mailbox.address for mailbox in self.mailboxes)


@dataclass(frozen=True)
class Page:
    """One Bundle of a search: its resources and the link to the next page."""

    practitioners: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    next_url: str = ""
    total: int | None = None


def fold(text: str) -> str:
    """Accent- and case-free form: FHIR string search ignores both, and so do the
    checks OpenDUI makes on results."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- bundles ---------------------------------------------------------------------------------


def parse_bundle(data: Any) -> Page:
    """Validate a searchset Bundle with fhir.resources and sort its resources by type
    (as plain dicts, read by the functions below). Raises BundleError on anything that
    is not a valid Bundle, so the client reports one clear French message."""
    from fhir.resources.R4B.bundle import Bundle

    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleError("La réponse n'est pas un Bundle FHIR.")
    try:
        bundle = Bundle.model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        raise BundleError(f"Bundle FHIR invalide ({type(exc).__name__}).") from exc
    page = Page(
        next_url=next((str(link.url) for link in bundle.link or [] if link.relation == "next"), ""),
        total=bundle.total,
    )
    buckets = {
        "Practitioner": page.practitioners,
        "PractitionerRole": page.roles,
        "Organization": page.organisations,
    }
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is None:
            continue
        bucket = buckets.get(resource.get_resource_type())
        if bucket is not None:
            bucket.append(resource.model_dump(mode="json", exclude_none=True))
    return page


# --- small readers ---------------------------------------------------------------------------


def _codings(concept: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((concept or {}).get("coding") or [])


def _code_in(concepts: list[dict[str, Any]], mark: str) -> tuple[str, str]:
    """The first (code, display) whose system names the nomenclature `mark` (TRE_G15…)."""
    for concept in concepts:
        for coding in _codings(concept):
            if mark in (coding.get("system") or "") and coding.get("code"):
                return str(coding["code"]), str(coding.get("display") or "")
    return "", ""


def _identifiers(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(system, type code, value) of each identifier."""
    rows = []
    for identifier in resource.get("identifier") or []:
        type_code = next((str(c.get("code") or "") for c in _codings(identifier.get("type"))), "")
        rows.append(
            (str(identifier.get("system") or ""), type_code, str(identifier.get("value") or ""))
        )
    return rows


def idnat_parts(idnat_ps: str) -> tuple[str, str]:
    """(rpps, adeli) carried by an idNat_PS: `8` + a valid RPPS, `0` + a valid ADELI.

    Why: the Annuaire's IDNPS identifier is what every professional has; the RPPS or
    ADELI number OpenDUI stores follows from its prefix, and a value that fails its own
    check (Luhn key, ADELI shape) is not taken, so a bad record cannot reach a form.
    """
    value = re.sub(r"\s", "", idnat_ps or "")
    if len(value) == 12 and value[0] == "8" and rpps_problem(value[1:]) is None:
        return value[1:], ""
    if len(value) == 10 and value[0] == "0" and adeli_problem(value[1:]) is None:
        return "", value[1:]
    return "", ""


def _contacts(resource: dict[str, Any], system: str) -> Iterator[dict[str, Any]]:
    """The resource's telecom ContactPoints of `system` (phone, email…) that have a value,
    in order: what every telecom reader starts from."""
    for contact in resource.get("telecom") or []:
        if contact.get("system") == system and contact.get("value"):
            yield contact


def _value_codings(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The codings an extension carries, as valueCoding or as valueCodeableConcept (the
    Annuaire uses both for the same extensions)."""
    return [element.get("valueCoding") or {}, *_codings(element.get("valueCodeableConcept"))]


def _mailbox(contact: dict[str, Any]) -> Mailbox | None:
    """An MSSanté mailbox from an e-mail ContactPoint, or None for a plain e-mail."""
    is_mss = False
    kind = description = service = ""
    red_list = False
    for extension in contact.get("extension") or []:
        url = str(extension.get("url") or "")
        if any(
            EMAIL_TYPE_MARK in (c.get("system") or "") and c.get("code") == "MSSANTE"
            for c in _value_codings(extension)
        ):
            is_mss = True
        if url == MAILBOX_METADATA_URL or url.endswith("mailbox-mss-metadata"):
            for sub in extension.get("extension") or []:
                name = sub.get("url")
                if name == "type":
                    kind = next(
                        (
                            str(c["code"])
                            for c in _value_codings(sub)
                            if c.get("code") in MAILBOX_KINDS
                        ),
                        "",
                    )
                elif name == "description":
                    description = str(sub.get("valueString") or "")
                elif name == "service":
                    service = str(sub.get("valueString") or "")
                elif name == "listeRouge":
                    red_list = bool(sub.get("valueBoolean"))
    if not is_mss or red_list:
        return None
    return Mailbox(normalise_email(str(contact["value"])), kind, description, service)


def mailboxes_of(resource: dict[str, Any]) -> tuple[Mailbox, ...]:
    """The MSSanté mailboxes of a resource's telecom, each address once, in order."""
    seen: dict[str, Mailbox] = {}
    for contact in _contacts(resource, "email"):
        mailbox = _mailbox(contact)
        if mailbox is not None and mailbox.address.lower() not in seen:
            seen[mailbox.address.lower()] = mailbox
    return tuple(seen.values())


def _phone(resource: dict[str, Any]) -> str:
    """The first phone number of the resource's telecom, or ""."""
    return next((str(c["value"]) for c in _contacts(resource, "phone")), "")


def _address(resource: dict[str, Any]) -> tuple[str, str, str]:
    """(street lines, postal code, city) of the first address."""
    for address in resource.get("address") or []:
        return (
            ", ".join(str(line) for line in address.get("line") or []),
            str(address.get("postalCode") or ""),
            str(address.get("city") or ""),
        )
    return "", "", ""


def _civility(name: dict[str, Any]) -> str:
    """DR/PR (civilité d'exercice, preferred) or M/MME from the name's prefix/suffix."""
    found = [
        re.sub(r"[.\s]", "", str(v)).upper()
        for v in (name.get("prefix") or []) + (name.get("suffix") or [])
    ]
    for wanted in CIVILITIES:
        if wanted in found:
            return wanted
    return ""


# --- resources -------------------------------------------------------------------------------


def organisation_of(resource: dict[str, Any]) -> Organisation:
    """An Organization resource as a plain record."""
    finess = next(
        (value for system, _t, value in _identifiers(resource) if system in FINESS_SYSTEMS), ""
    )
    kind_code, kind_label = "", ""
    for concept in resource.get("type") or []:
        for coding in _codings(concept):
            if coding.get("code"):
                kind_code, kind_label = str(coding["code"]), str(coding.get("display") or "")
                break
        if kind_code:
            break
    address, postal_code, city = _address(resource)
    return Organisation(
        external_id=str(resource.get("id") or ""),
        name=str(resource.get("name") or ""),
        finess=finess,
        kind_code=kind_code,
        kind_label=kind_label,
        address=address,
        postal_code=postal_code,
        city=city,
        phone=_phone(resource),
        active=resource.get("active", True) is not False,
        mailboxes=mailboxes_of(resource),
    )


def role_of(resource: dict[str, Any]) -> Role:
    """A PractitionerRole resource as a plain record."""

    def ref_id(key: str) -> str:
        reference = str((resource.get(key) or {}).get("reference") or "")
        return reference.rsplit("/", 1)[-1]

    profession_code, profession_label = _code_in(resource.get("code") or [], PROFESSION_MARK)
    specialty_code, specialty_label = _code_in(resource.get("specialty") or [], SPECIALTY_MARK)
    return Role(
        external_id=str(resource.get("id") or ""),
        practitioner_id=ref_id("practitioner"),
        organisation_id=ref_id("organization"),
        profession_code=profession_code,
        profession_label=profession_label,
        specialty_code=specialty_code,
        specialty_label=specialty_label,
        phone=_phone(resource),
        active=resource.get("active", True) is not False,
        mailboxes=mailboxes_of(resource),
    )


def practitioner_of(
    resource: dict[str, Any],
    roles: list[Role] | tuple[Role, ...] = (),
    organisations: dict[str, Organisation] | None = None,
) -> Practitioner | None:
    """A Practitioner resource, completed by its roles and their organisations, as a
    plain record; None when it has no usable national identifier (idNat_PS), which the
    directory needs to find the entry again at the next refresh."""
    idnat = ""
    rpps = adeli = ""
    for system, type_code, value in _identifiers(resource):
        value = re.sub(r"\s", "", value)
        if system == IDNPS_SYSTEM or type_code == "IDNPS":
            idnat = idnat or value
        elif system == RPPS_SYSTEM or type_code == "RPPS":
            rpps = rpps or (value if rpps_problem(value) is None else "")
        elif type_code == "ADELI":
            adeli = adeli or (value if adeli_problem(value) is None else "")
    from_idnat = idnat_parts(idnat)
    rpps = rpps or from_idnat[0]
    adeli = adeli or from_idnat[1]
    if not idnat:
        idnat = "8" + rpps if rpps else ("0" + adeli if adeli else "")
    if not idnat:
        return None
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    profession_code, profession_label = _code_in(
        [q.get("code") or {} for q in resource.get("qualification") or []], PROFESSION_MARK
    )
    specialty_code, specialty_label = _code_in(
        [q.get("code") or {} for q in resource.get("qualification") or []], SPECIALTY_MARK
    )
    own_roles = [role for role in roles if role.practitioner_id == resource.get("id")]
    active_roles = [role for role in own_roles if role.active] or own_roles
    for role in active_roles:
        profession_code, profession_label = (
            (profession_code, profession_label)
            if profession_code
            else (role.profession_code, role.profession_label)
        )
        specialty_code, specialty_label = (
            (specialty_code, specialty_label)
            if specialty_code
            else (role.specialty_code, role.specialty_label)
        )
    mailboxes: dict[str, Mailbox] = {}
    for mailbox in mailboxes_of(resource) + tuple(
        m for role in active_roles for m in role.mailboxes
    ):
        mailboxes.setdefault(mailbox.address.lower(), mailbox)
    organisation = None
    for role in active_roles:
        organisation = (organisations or {}).get(role.organisation_id)
        if organisation is not None:
            break
    phone = next((role.phone for role in active_roles if role.phone), "") or _phone(resource)
    return Practitioner(
        external_id=str(resource.get("id") or ""),
        idnat_ps=idnat,
        last_name=str(name.get("family") or ""),
        first_name=" ".join(str(g) for g in name.get("given") or []),
        civility=_civility(name),
        rpps=rpps,
        adeli=adeli,
        profession_code=profession_code,
        profession_label=profession_label,
        specialty_code=specialty_code,
        specialty_label=specialty_label,
        mailboxes=tuple(mailboxes.values()),
        phone=phone or (organisation.phone if organisation else ""),
        address=organisation.address if organisation else "",
        postal_code=organisation.postal_code if organisation else "",
        city=organisation.city if organisation else "",
        structure_name=organisation.name if organisation else "",
        structure_finess=organisation.finess if organisation else "",
        active=resource.get("active", True) is not False,
    )


def practitioners_of(pages: list[Page]) -> list[Practitioner]:
    """The practitioners of all the pages of a search, completed by the roles and
    organisations included anywhere in them, in the Annuaire's order, each once."""
    roles = [role_of(r) for page in pages for r in page.roles]
    organisations = {
        o.external_id: o for o in (organisation_of(r) for page in pages for r in page.organisations)
    }
    seen: set[str] = set()
    result = []
    for page in pages:
        for resource in page.practitioners:
            record = practitioner_of(resource, roles, organisations)
            if record is not None and record.idnat_ps not in seen:
                seen.add(record.idnat_ps)
                result.append(record)
    return result


def organisations_of(pages: list[Page]) -> list[Organisation]:
    """The organisations of all the pages of a search, each once, in order."""
    seen: dict[str, Organisation] = {}
    for page in pages:
        for resource in page.organisations:
            organisation = organisation_of(resource)
            seen.setdefault(organisation.external_id or organisation.finess, organisation)
    return list(seen.values())
