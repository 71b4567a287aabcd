"""`build_cda(document)`: the CDA R2 XML of a `DmpDocument`, as the DMP receives it.

The header follows the CI-SIS *structuration minimale* (template 1.2.250.1.213.1.1.1.1), the
rules every CDA sent to the DMP meets and that the ANS kit checks (`conformance.py`):

- N1 document: the readable PDF in `nonXMLBody` (base 64) and the IHE XDS-SD template;
- structured document: `document.structured_body.build(document)` gives the
  `structuredBody` element and its templateIds replace XDS-SD (the DLU will plug in here);
- `recordTarget` carries the INS (matricule under its OID) and the strict identity traits,
  which the schematron requires together: birth name and first names, sex, birth date and
  birthplace (COG code); an identity without them cannot be sent, so the builder refuses it;
- a generated document (`author=None`) is authored by the software (assignedAuthoringDevice,
  code LOGICIEL_DUI) within the facility; without a legal authenticator, the facility
  itself stands as `legalAuthenticator` (the schematron requires one, with an identifier);
- `documentationOf/serviceEvent` holds the period and the practice setting (JDV_J04),
  `componentOf/encompassingEncounter` the facility and its type (JDV_J02).

The XML is built with lxml: text and attributes are escaped by the library, and characters
that XML 1.0 cannot carry (control characters) are dropped from free text.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from lxml import etree

import opendui
from opendui.interop.dmp import codes
from opendui.interop.dmp.document import Coded, DmpDocument, Organisation, Professional

HL7 = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: HL7, "xsi": XSI}

TEMPLATE_HL7_FRANCE = "2.16.840.1.113883.2.8.2.1"
TEMPLATE_CI_SIS = "1.2.250.1.213.1.1.1.1"
TEMPLATE_XDS_SD = "1.3.6.1.4.1.19376.1.2.20"
IDNAT_PS = "1.2.250.1.71.4.2.1"
IDNAT_STRUCT = "1.2.250.1.71.4.2.2"
INS_OIDS = frozenset(
    {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
ADMINISTRATIVE_GENDER = "2.16.840.1.113883.5.1"
_GENDERS = {"M": "Masculin", "F": "Féminin"}
_INS = re.compile(r"^[0-9]{5}[0-9AB][0-9]{9}$")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class CdaError(ValueError):
    """The document cannot be expressed as a conformant CDA; the message is for the user."""


def build_cda(document: DmpDocument) -> bytes:
    """The CDA R2 document (UTF-8 bytes with XML declaration) of `document`."""
    _check(document)
    root = etree.Element(_q("ClinicalDocument"), nsmap=NSMAP)
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    for template in _template_ids(document):
        _el(root, "templateId", root=template)
    _el(root, "id", root=document.unique_id)
    _code(root, "code", document.type)
    _el(root, "title", text=document.title)
    _el(root, "effectiveTime", value=_ts(document.created_at))
    _code(root, "confidentialityCode", codes.confidentiality_coded(document.confidentiality))
    _el(root, "languageCode", code=document.language)
    _el(root, "setId", root=document.set_id)
    _el(root, "versionNumber", value=str(document.version))
    _record_target(root, document)
    _author(root, document)
    _custodian(root, document.organisation)
    _legal_authenticator(root, document)
    _documentation_of(root, document)
    if document.replaces:
        related = _el(root, "relatedDocument", typeCode="RPLC")
        parent = _el(related, "parentDocument")
        _el(parent, "id", root=document.replaces)
        _el(parent, "versionNumber", value=str(max(document.version - 1, 1)))
    _component_of(root, document)
    component = _el(root, "component")
    if document.structured_body is not None:
        component.append(document.structured_body.build(document))
    else:
        body = _el(component, "nonXMLBody")
        _el(
            body,
            "text",
            text=base64.b64encode(document.pdf).decode("ascii"),
            mediaType="application/pdf",
            representation="B64",
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- Checks ------------------------------------------------------------------------------


def _check(document: DmpDocument) -> None:
    patient = document.patient
    if not patient.ins or not _INS.match(patient.ins):
        raise CdaError(
            "Le matricule INS est absent ou invalide : seule une identité qualifiée "
            "peut être envoyée au DMP."
        )
    if patient.ins_oid not in INS_OIDS:
        raise CdaError("L'OID de l'INS n'est pas celui d'un NIR ou d'un NIA.")
    if patient.sex not in _GENDERS:
        raise CdaError("Le sexe de l'identité INS doit être M ou F.")
    missing = [
        label
        for label, value in (
            ("nom de naissance", patient.birth_family_name),
            ("prénoms de naissance", patient.birth_given_names),
            ("premier prénom de naissance", patient.first_given_name),
            ("lieu de naissance (code COG)", patient.birth_place_cog),
        )
        if not _clean(value).strip()
    ]
    if missing:
        raise CdaError("Traits stricts de l'INS manquants : " + ", ".join(missing) + ".")
    for moment in (document.created_at, document.service_start, document.service_stop):
        if moment is not None and moment.utcoffset() is None:
            raise CdaError("Les dates du document doivent porter leur fuseau horaire.")
    if not document.title.strip():
        raise CdaError("Le document n'a pas de titre.")
    if document.structured_body is None and not document.pdf:
        raise CdaError("Le document PDF à envoyer est vide.")
    if document.version < 1:
        raise CdaError("Le numéro de version du document commence à 1.")
    for professional in (document.author, document.legal_authenticator):
        if professional is not None and not professional.idnat:
            raise CdaError(
                f"{professional.given_name} {professional.family_name} n'a pas d'identifiant "
                "national (RPPS, ADELI ou identifiant attribué par la structure)."
            )


# -- Header parts ------------------------------------------------------------------------


def _template_ids(document: DmpDocument) -> list[str]:
    templates = [TEMPLATE_HL7_FRANCE, TEMPLATE_CI_SIS]
    if document.structured_body is None:
        templates.append(TEMPLATE_XDS_SD)
    else:
        templates += [t for t in document.structured_body.template_ids if t not in templates]
    return templates


def _record_target(root: Any, document: DmpDocument) -> None:
    patient = document.patient
    role = _el(_el(root, "recordTarget"), "patientRole")
    _el(role, "id", root=patient.ins_oid, extension=patient.ins)
    if patient.local_id and patient.local_id_root:
        _el(role, "id", root=patient.local_id_root, extension=patient.local_id)
    person = _el(role, "patient", classCode="PSN")
    name = _el(person, "name")
    _el(name, "family", text=patient.birth_family_name, qualifier="BR")
    _el(name, "given", text=patient.birth_given_names)
    _el(name, "given", text=patient.first_given_name, qualifier="BR")
    if patient.used_family_name.strip():
        _el(name, "family", text=patient.used_family_name, qualifier="CL")
    if patient.used_given_name.strip():
        _el(name, "given", text=patient.used_given_name, qualifier="CL")
    _el(
        person,
        "administrativeGenderCode",
        code=patient.sex,
        displayName=_GENDERS[patient.sex],
        codeSystem=ADMINISTRATIVE_GENDER,
    )
    _el(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
    if patient.birth_place_cog:
        addr = _el(_el(_el(person, "birthplace"), "place"), "addr")
        _el(addr, "county", text=patient.birth_place_cog)


def _author(root: Any, document: DmpDocument) -> None:
    author = _el(root, "author")
    _el(author, "time", value=_ts(document.created_at))
    assigned = _el(author, "assignedAuthor")
    organisation = document.organisation
    if document.author is not None:
        _el(assigned, "id", root=IDNAT_PS, extension=document.author.idnat)
        specialty = codes.author_specialty_of(document.author)
        if specialty is not None:
            _code(assigned, "code", specialty)
        _person(assigned, "assignedPerson", document.author)
    else:
        name, version = document.software
        version = version or opendui.__version__
        # A locally attributed identifier: "3" + FINESS + "/" + local identifier (TRE_G08).
        _el(assigned, "id", root=IDNAT_PS, extension=f"3{organisation.finess}/{name}")
        _code(assigned, "code", codes.DUI_SOFTWARE_AUTHOR)
        device = _el(assigned, "assignedAuthoringDevice")
        _el(device, "manufacturerModelName", text=name)
        _el(device, "softwareName", text=f"{name} {version}")
    _organisation(assigned, "representedOrganization", organisation, practice_setting=False)


def _custodian(root: Any, organisation: Organisation) -> None:
    assigned = _el(_el(root, "custodian"), "assignedCustodian")
    custodian = _el(assigned, "representedCustodianOrganization")
    _el(custodian, "id", root=IDNAT_STRUCT, extension=organisation.idnat_struct)
    _el(custodian, "name", text=organisation.name)
    _telecom(custodian, organisation)
    _addr(custodian, organisation)


def _legal_authenticator(root: Any, document: DmpDocument) -> None:
    legal = _el(root, "legalAuthenticator")
    _el(legal, "time", value=_ts(document.created_at))
    _el(legal, "signatureCode", code="S")
    entity = _el(legal, "assignedEntity")
    professional = document.legal_authenticator
    if professional is not None:
        _el(entity, "id", root=IDNAT_PS, extension=professional.idnat)
        _person(entity, "assignedPerson", professional)
    else:
        _el(entity, "id", root=IDNAT_STRUCT, extension=document.organisation.idnat_struct)
    _organisation(entity, "representedOrganization", document.organisation, practice_setting=False)


def _documentation_of(root: Any, document: DmpDocument) -> None:
    event = _el(_el(root, "documentationOf"), "serviceEvent")
    if document.event_codes:
        _code(event, "code", document.event_codes[0])
    period = _el(event, "effectiveTime")
    _el(period, "low", value=_ts(document.service_start or document.created_at))
    if document.service_stop is not None:
        _el(period, "high", value=_ts(document.service_stop))
    performer = _el(event, "performer", typeCode="PRF")
    entity = _el(performer, "assignedEntity")
    actor = document.author or document.legal_authenticator
    if actor is not None:
        _el(entity, "id", root=IDNAT_PS, extension=actor.idnat)
        _person(entity, "assignedPerson", actor)
    else:
        _el(entity, "id", root=IDNAT_STRUCT, extension=document.organisation.idnat_struct)
    _organisation(entity, "representedOrganization", document.organisation, practice_setting=True)


def _component_of(root: Any, document: DmpDocument) -> None:
    organisation = document.organisation
    encounter = _el(_el(root, "componentOf"), "encompassingEncounter")
    period = _el(encounter, "effectiveTime")
    _el(period, "low", value=_ts(document.service_start or document.created_at))
    if document.service_stop is not None:
        _el(period, "high", value=_ts(document.service_stop))
    facility = _el(_el(encounter, "location"), "healthCareFacility")
    _el(facility, "id", root=IDNAT_STRUCT, extension=organisation.idnat_struct)
    _code(facility, "code", organisation.facility_type)


# -- Building blocks ---------------------------------------------------------------------


def _person(parent: Any, tag: str, professional: Professional) -> None:
    name = _el(_el(parent, tag), "name")
    if professional.given_name.strip():
        _el(name, "given", text=professional.given_name)
    _el(name, "family", text=professional.family_name)


def _organisation(
    parent: Any, tag: str, organisation: Organisation, *, practice_setting: bool
) -> None:
    element = _el(parent, tag)
    _el(element, "id", root=IDNAT_STRUCT, extension=organisation.idnat_struct)
    _el(element, "name", text=organisation.name)
    _telecom(element, organisation)
    _addr(element, organisation)
    if practice_setting:
        _code(element, "standardIndustryClassCode", organisation.practice_setting)


def _telecom(parent: Any, organisation: Organisation) -> None:
    if organisation.phone:
        _el(parent, "telecom", value=f"tel:{organisation.phone}", use="WP")


def _addr(parent: Any, organisation: Organisation) -> None:
    """The structured CI-SIS address: the CI-SIS forbids mixing free lines and parts.

    The first line goes to `streetName`, the next ones to `additionalLocator`, so that the
    postal code and city stay machine-readable.
    """
    lines = [" ".join(_clean(line).split()) for line in organisation.address_lines]
    lines = [line for line in lines if line]
    if not (lines or organisation.postal_code or organisation.city):
        return
    addr = _el(parent, "addr")
    if lines:
        _el(addr, "streetName", text=lines[0])
    if len(lines) > 1:
        _el(addr, "additionalLocator", text=", ".join(lines[1:]))
    if organisation.postal_code:
        _el(addr, "postalCode", text=organisation.postal_code)
    if organisation.city:
        _el(addr, "city", text=organisation.city)


def _code(parent: Any, tag: str, coded: Coded) -> Any:
    attributes = {"code": coded.code, "codeSystem": coded.system}
    if coded.display:
        attributes["displayName"] = coded.display
    return _el(parent, tag, **attributes)


def _el(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _q(tag))
    for key, value in attributes.items():
        element.set(key, _clean(value))
    if text is not None:
        element.text = _clean(text)
    return element


def _q(tag: str) -> str:
    return f"{{{HL7}}}{tag}"


def _clean(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (lxml refuses them)."""
    return _NOT_XML.sub("", value)


def _ts(moment: dt.datetime) -> str:
    """HL7 TS with seconds and offset: 20250131143000+0100."""
    return moment.strftime("%Y%m%d%H%M%S%z")
