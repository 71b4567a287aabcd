"""XDS.b metadata (ebRIM 3.0) of the DMP transactions: build the requests, read the answers.

- ITI-41 `submission_request`: the DocumentEntry of the CDA, the XAdES signature entry
  (`xades.py`), the SubmissionSet, HasMember associations, `signs`, and RPLC when the
  document replaces a previous version.
- ITI-57 `visibility_update_request` (a new version of the DocumentEntry's metadata with
  other confidentiality codes) and `status_update_request` (deleted / archived).
- ITI-18 `find_documents_query`, `get_documents_query`; `parse_query_response` → `DmpEntry`.
- ITI-43 `retrieve_request`.

Slot names, classification schemes and code systems follow IHE ITI TF-3 and the shapes the
ANS reference DMP client sends (`services_socles.md` §3.1). Text taken from the record
(names, titles) is cleaned of characters XML cannot carry and HL7-escaped inside the
`^`-separated values, so no name can break the metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field

from lxml import etree

from .document import Coded, DmpDocument, Organisation, PatientIdentity, Professional, Visibility
from .errors import BAD_RESPONSE, error_for_code, local_error

NS_RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
NS_LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
NS_RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
NS_QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
NS_XDSB = "urn:ihe:iti:xds-b:2007"
NS_XOP = "http://www.w3.org/2004/08/xop/include"
NS = {"rim": NS_RIM, "lcm": NS_LCM, "rs": NS_RS, "query": NS_QUERY, "xdsb": NS_XDSB, "xop": NS_XOP}

# Object types and classification schemes (ITI TF-3 4.2.5).
SUBMISSION_SET = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SS_AUTHOR = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_SOURCE_ID = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DE_AUTHOR = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_EVENT = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
DE_FORMAT = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_FACILITY_TYPE = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE_SETTING = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
SIGNS = "urn:ihe:iti:2007:AssociationType:signs"
UPDATE_STATUS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
# DMP statuses (CI-SIS): deleted and archived documents.
DELETED = "urn:asip:ci-sis:2010:StatusType:Deleted"
ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
GET_DOCUMENTS = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
RESPONSE_SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
RESPONSE_FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
ERROR_SEVERITY = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"

CONFIDENTIALITY_SYSTEM = "2.16.840.1.113883.5.25"
CONFIDENTIALITY_DISPLAY = {"N": "Normal", "R": "Restreint", "V": "Très restreint"}
VISIBILITY_SYSTEM = "1.2.250.1.213.1.1.4.13"
MASQUE_PS = "MASQUE_PS"
INVISIBLE_PATIENT = "INVISIBLE_PATIENT"
INVISIBLE_LEGAL_REPRESENTATIVES = "INVISIBLE_REPRESENTANTS_LEGAUX"
VISIBILITY_DISPLAY = {
    MASQUE_PS: "Masqué aux professionnels de santé",
    INVISIBLE_PATIENT: "Non visible par le patient",
    INVISIBLE_LEGAL_REPRESENTATIVES: "Non visible par les représentants légaux du patient",
}
FORMAT_PDF = Coded(
    "urn:ihe:iti:xds-sd:pdf:2008",
    "1.3.6.1.4.1.19376.1.2.3",
    "Document à corps non structuré en PDF/A-1",
)
SIGNATURE_CLASS = Coded("urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1", "URN", "Digital Signature")
SIGNATURE_TYPE = Coded("E1762", "ASTM", "Full Document")
SIGNATURE_FORMAT = Coded("http://www.w3.org/2000/09/xmldsig#", "URN", "Default Signature Style")
SIGNATURE_EVENT = Coded("1.2.840.10065.1.12.1.14", "1.2.840.10065.1.12", "Source")
# contentTypeCode of the submission set: the value the ANS reference client sends. The DMP
# value set (JDV_J59-ContentTypeCode-DMP) is not vendored here; callers may pass their own.
DEFAULT_CONTENT_TYPE = Coded("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")
IDNAT_PS_OID = "1.2.250.1.71.4.2.1"
IDNAT_STRUCT_OID = "1.2.250.1.71.4.2.2"
MIME_CDA = "text/xml"

_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HL7_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (controls, lone surrogates)."""
    return _XML_INVALID.sub("", text or "")


def hl7_escape(text: str) -> str:
    """A value placed inside an HL7 v2 composite (XCN, XON, PID-5): delimiters escaped."""
    text = xml_safe(text)
    for raw, escaped in _HL7_ESCAPES:
        text = text.replace(raw, escaped)
    return text


_HL7_UNESCAPE = re.compile(r"\\([EFSTR])\\")
_HL7_RAW = {"E": "\\", "F": "|", "S": "^", "T": "&", "R": "~"}


def hl7_unescape(text: str) -> str:
    """The inverse of `hl7_escape`, in one pass (so `\\E\\F...` is not read twice)."""
    return _HL7_UNESCAPE.sub(lambda match: _HL7_RAW[match.group(1)], text)


def xds_time(value: dt.datetime | dt.date) -> str:
    """XDS DTM in UTC: YYYYMMDDHHMMSS (a date: YYYYMMDD)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("XDS times must be timezone-aware")
        return value.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d")


def parse_xds_time(value: str) -> dt.datetime | None:
    digits = (value or "").strip()
    for fmt, length in (("%Y%m%d%H%M%S", 14), ("%Y%m%d%H%M", 12), ("%Y%m%d", 8)):
        if len(digits) == length:
            try:
                return dt.datetime.strptime(digits, fmt).replace(tzinfo=dt.UTC)
            except ValueError:
                return None
    return None


def new_uuid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def uuid_oid() -> str:
    """An OID derived from a fresh UUID (2.25 arc, ITU-T X.667): submission set uniqueIds."""
    return f"2.25.{uuid.uuid4().int}"


def xcn(professional: Professional) -> str:
    """authorPerson / legalAuthenticator: idNat^FAMILY^Given^^^^^^&OID&ISO^D^^^IDNPS."""
    return (
        f"{hl7_escape(professional.idnat)}^{hl7_escape(professional.family_name)}"
        f"^{hl7_escape(professional.given_name)}^^^^^^&{IDNAT_PS_OID}&ISO^D^^^IDNPS"
    )


def xon(organisation: Organisation) -> str:
    """authorInstitution: Name^^^^^&OID&ISO^IDNST^^^idNatStruct."""
    return (
        f"{hl7_escape(organisation.name)}^^^^^&{IDNAT_STRUCT_OID}&ISO^IDNST^^^"
        f"{hl7_escape(organisation.idnat_struct)}"
    )


def coded_value(code: Coded) -> str:
    """authorRole / authorSpecialty: code^display^system."""
    return f"{hl7_escape(code.code)}^{hl7_escape(code.display)}^{hl7_escape(code.system)}"


# Building --------------------------------------------------------------------------------
def _rim(parent, tag: str, **attrib) -> etree._Element:
    return etree.SubElement(
        parent, f"{{{NS_RIM}}}{tag}", {k: xml_safe(v) for k, v in attrib.items()}
    )


def slot(parent, name: str, *values: str) -> etree._Element:
    """A `rim:Slot` named `name` holding `values` (also used by the MSSanté XDM metadata)."""
    slot = _rim(parent, "Slot", name=name)
    value_list = _rim(slot, "ValueList")
    for value in values:
        _rim(value_list, "Value").text = xml_safe(value)
    return slot


def _localized(parent, tag: str, text: str) -> None:
    holder = _rim(parent, tag)
    _rim(holder, "LocalizedString", charset="UTF-8", value=text)
    holder[0].set("{http://www.w3.org/XML/1998/namespace}lang", "fr-FR")


def _classification(parent, scheme: str, code: Coded, object_id: str) -> etree._Element:
    element = _rim(
        parent,
        "Classification",
        classificationScheme=scheme,
        classifiedObject=object_id,
        nodeRepresentation=code.code,
        id=new_uuid(),
    )
    slot(element, "codingScheme", code.system)
    _localized(element, "Name", code.display or code.code)
    return element


def _author(parent, scheme: str, object_id: str, slots: list[tuple[str, str]]) -> None:
    element = _rim(
        parent,
        "Classification",
        classificationScheme=scheme,
        classifiedObject=object_id,
        nodeRepresentation="",
        id=new_uuid(),
    )
    for name, value in slots:
        slot(element, name, value)


def _external_id(parent, scheme: str, value: str, object_id: str, name: str) -> None:
    element = _rim(
        parent,
        "ExternalIdentifier",
        identificationScheme=scheme,
        value=value,
        registryObject=object_id,
        id=new_uuid(),
    )
    _localized(element, "Name", name)


def association(parent, kind: str, source: str, target: str, **slots: str) -> etree._Element:
    """A `rim:Association` of `kind` from `source` to `target`, with optional slots."""
    element = _rim(
        parent,
        "Association",
        associationType=kind,
        sourceObject=source,
        targetObject=target,
        id=new_uuid(),
    )
    for name, value in slots.items():
        slot(element, name, value)
    return element


def visibility_codes(visibility: Visibility) -> list[Coded]:
    """The DMP confidentiality codes (1.2.250.1.213.1.1.4.13) of a visibility."""
    codes = []
    for flag, code in (
        (visibility.hidden_from_professionals, MASQUE_PS),
        (visibility.invisible_to_patient, INVISIBLE_PATIENT),
        (visibility.invisible_to_legal_representatives, INVISIBLE_LEGAL_REPRESENTATIVES),
    ):
        if flag:
            codes.append(Coded(code, VISIBILITY_SYSTEM, VISIBILITY_DISPLAY[code]))
    return codes


def confidentiality_codes(confidentiality: str, visibility: Visibility) -> list[Coded]:
    level = confidentiality if confidentiality in CONFIDENTIALITY_DISPLAY else "N"
    return [
        Coded(level, CONFIDENTIALITY_SYSTEM, CONFIDENTIALITY_DISPLAY[level]),
        *visibility_codes(visibility),
    ]


def source_patient_info(patient: PatientIdentity) -> list[str]:
    """PID-5 (birth name, type L), PID-7 (birth date), PID-8 (sex)."""
    return [
        f"PID-5|{hl7_escape(patient.birth_family_name)}^{hl7_escape(patient.first_given_name)}"
        "^^^^^L",
        f"PID-7|{xds_time(patient.birth_date)}",
        f"PID-8|{patient.sex}",
    ]


def document_author_slots(document: DmpDocument) -> list[tuple[str, str]]:
    """The author slots of a DocumentEntry or SubmissionSet made by or for `document`."""
    author = document.author
    slots: list[tuple[str, str]] = []
    if author is not None:
        slots.append(("authorPerson", xcn(author)))
    else:  # a document the software generated: the device is the author
        name, version = document.software
        slots.append(("authorPerson", f"^{hl7_escape(f'{name} {version}'.strip())}"))
    slots.append(("authorInstitution", xon(document.organisation)))
    if author is not None and author.profession is not None:
        slots.append(("authorRole", coded_value(author.profession)))
    if author is not None and author.specialty is not None:
        slots.append(("authorSpecialty", coded_value(author.specialty)))
    return slots


def document_entry(
    parent, document: DmpDocument, cda: bytes, entry_uuid: str, now: dt.datetime
) -> etree._Element:
    """The DocumentEntry (ExtrinsicObject) of the CDA of `document`."""
    entry = _rim(
        parent,
        "ExtrinsicObject",
        id=entry_uuid,
        lid=entry_uuid,
        mimeType=MIME_CDA,
        objectType=DOCUMENT_ENTRY,
    )
    slot(entry, "creationTime", xds_time(document.created_at))
    slot(entry, "submissionTime", xds_time(now))
    slot(entry, "languageCode", document.language)
    if document.legal_authenticator is not None:
        slot(entry, "legalAuthenticator", xcn(document.legal_authenticator))
    slot(entry, "serviceStartTime", xds_time(document.service_start or document.created_at))
    slot(entry, "serviceStopTime", xds_time(document.service_stop or document.created_at))
    slot(entry, "sourcePatientId", document.patient.xds_patient_id)
    slot(entry, "sourcePatientInfo", *source_patient_info(document.patient))
    slot(entry, "hash", hashlib.sha1(cda).hexdigest())  # noqa: S324 - the XDS hash is SHA-1
    slot(entry, "size", str(len(cda)))
    slot(
        entry,
        "urn:ihe:iti:xds:2013:referenceIdList",
        f"{document.set_id}^^^^urn:ihe:iti:xds:2013:uniqueId",
    )
    _localized(entry, "Name", document.title)
    _rim(entry, "VersionInfo", versionName="1")
    _author(entry, DE_AUTHOR, entry_uuid, document_author_slots(document))
    _classification(entry, DE_CLASS, document.class_code, entry_uuid)
    for code in confidentiality_codes(document.confidentiality, document.visibility):
        _classification(entry, DE_CONFIDENTIALITY, code, entry_uuid)
    for code in document.event_codes:
        _classification(entry, DE_EVENT, code, entry_uuid)
    _classification(entry, DE_FORMAT, FORMAT_PDF, entry_uuid)
    _classification(entry, DE_FACILITY_TYPE, document.organisation.facility_type, entry_uuid)
    _classification(entry, DE_PRACTICE_SETTING, document.organisation.practice_setting, entry_uuid)
    _classification(entry, DE_TYPE, document.type, entry_uuid)
    _external_id(
        entry,
        DE_PATIENT_ID,
        document.patient.xds_patient_id,
        entry_uuid,
        "XDSDocumentEntry.patientId",
    )
    _external_id(entry, DE_UNIQUE_ID, document.unique_id, entry_uuid, "XDSDocumentEntry.uniqueId")
    return entry


def _signature_entry(
    parent,
    document: DmpDocument,
    signature: bytes,
    entry_uuid: str,
    unique_id: str,
    now: dt.datetime,
) -> None:
    entry = _rim(
        parent,
        "ExtrinsicObject",
        id=entry_uuid,
        lid=entry_uuid,
        mimeType="text/xml",
        objectType=DOCUMENT_ENTRY,
    )
    stamp = xds_time(now)
    slot(entry, "creationTime", stamp)
    slot(entry, "submissionTime", stamp)
    slot(entry, "languageCode", "art")
    slot(entry, "serviceStartTime", stamp)
    slot(entry, "serviceStopTime", stamp)
    slot(entry, "sourcePatientId", document.patient.xds_patient_id)
    slot(entry, "hash", hashlib.sha1(signature).hexdigest())  # noqa: S324
    slot(entry, "size", str(len(signature)))
    _localized(entry, "Name", "Source")
    _author(entry, DE_AUTHOR, entry_uuid, document_author_slots(document))
    _classification(entry, DE_CLASS, SIGNATURE_CLASS, entry_uuid)
    for code in confidentiality_codes("N", document.visibility):
        _classification(entry, DE_CONFIDENTIALITY, code, entry_uuid)
    _classification(entry, DE_EVENT, SIGNATURE_EVENT, entry_uuid)
    _classification(entry, DE_FORMAT, SIGNATURE_FORMAT, entry_uuid)
    _classification(entry, DE_FACILITY_TYPE, document.organisation.facility_type, entry_uuid)
    _classification(entry, DE_PRACTICE_SETTING, document.organisation.practice_setting, entry_uuid)
    _classification(entry, DE_TYPE, SIGNATURE_TYPE, entry_uuid)
    _external_id(
        entry,
        DE_PATIENT_ID,
        document.patient.xds_patient_id,
        entry_uuid,
        "XDSDocumentEntry.patientId",
    )
    _external_id(entry, DE_UNIQUE_ID, unique_id, entry_uuid, "XDSDocumentEntry.uniqueId")


def submission_set(
    parent,
    *,
    set_uuid: str,
    unique_id: str,
    source_id: str,
    patient: PatientIdentity,
    author_slots: list[tuple[str, str]],
    content_type: Coded,
    title: str,
    now: dt.datetime,
) -> None:
    """The SubmissionSet (RegistryPackage) of a DMP submission or an XDM archive."""
    package = _rim(parent, "RegistryPackage", id=set_uuid, objectType=SUBMISSION_SET)
    slot(package, "submissionTime", xds_time(now))
    _localized(package, "Name", title)
    _author(package, SS_AUTHOR, set_uuid, author_slots)
    _classification(package, SS_CONTENT_TYPE, content_type, set_uuid)
    _rim(
        package,
        "Classification",
        classificationNode=SUBMISSION_SET,
        classifiedObject=set_uuid,
        id=new_uuid(),
    )
    _external_id(
        package, SS_PATIENT_ID, patient.xds_patient_id, set_uuid, "XDSSubmissionSet.patientId"
    )
    _external_id(package, SS_SOURCE_ID, source_id, set_uuid, "XDSSubmissionSet.sourceId")
    _external_id(package, SS_UNIQUE_ID, unique_id, set_uuid, "XDSSubmissionSet.uniqueId")


@dataclass(frozen=True)
class Submission:
    """An ITI-41 body and the parts that travel beside it (MTOM attachments)."""

    request: etree._Element  # xdsb:ProvideAndRegisterDocumentSetRequest
    attachments: dict[str, bytes]  # Content-ID -> exact bytes (CDA, signature)
    entry_uuid: str
    signature_entry_uuid: str
    submission_set_unique_id: str
    signature: bytes


def submission_request(
    document: DmpDocument,
    cda: bytes,
    *,
    replaces: str | None = None,
    credentials,
    source_id: str,
    content_type: Coded = DEFAULT_CONTENT_TYPE,
    now: dt.datetime | None = None,
) -> Submission:
    """The ITI-41 request publishing `cda` (the CDA of `document`), signed by the facility.

    `replaces` is the entryUUID of the version this one replaces (RPLC association).
    """
    from .xades import sign_submission  # signing needs the key; metadata alone does not

    now = now or dt.datetime.now(dt.UTC)
    entry_uuid, signature_uuid, set_uuid = new_uuid(), new_uuid(), new_uuid()
    set_unique_id, signature_unique_id = uuid_oid(), uuid_oid()
    signature = sign_submission(
        set_unique_id,
        [(document.unique_id, cda)],
        signature_id=f"sig-{signature_unique_id}",  # an xs:ID cannot start with a digit
        credentials=credentials,
        now=now,
    )
    request = etree.Element(f"{{{NS_XDSB}}}ProvideAndRegisterDocumentSetRequest", nsmap=NS)
    submit = etree.SubElement(request, f"{{{NS_LCM}}}SubmitObjectsRequest")
    objects = _rim(submit, "RegistryObjectList")
    submission_set(
        objects,
        set_uuid=set_uuid,
        unique_id=set_unique_id,
        source_id=source_id,
        patient=document.patient,
        author_slots=document_author_slots(document),
        content_type=content_type,
        title=document.title,
        now=now,
    )
    document_entry(objects, document, cda, entry_uuid, now)
    _signature_entry(objects, document, signature, signature_uuid, signature_unique_id, now)
    association(objects, HAS_MEMBER, set_uuid, entry_uuid, SubmissionSetStatus="Original")
    association(objects, HAS_MEMBER, set_uuid, signature_uuid, SubmissionSetStatus="Original")
    association(objects, SIGNS, signature_uuid, set_uuid)
    if replaces:
        association(objects, RPLC, entry_uuid, replaces)
    attachments: dict[str, bytes] = {}
    for index, (object_id, content) in enumerate(((entry_uuid, cda), (signature_uuid, signature))):
        cid = f"{index + 1}.{set_uuid.removeprefix('urn:uuid:')}@opendui"
        attachments[cid] = content
        holder = etree.SubElement(request, f"{{{NS_XDSB}}}Document", id=object_id)
        etree.SubElement(holder, f"{{{NS_XOP}}}Include", href=f"cid:{cid}")
    return Submission(
        request=request,
        attachments=attachments,
        entry_uuid=entry_uuid,
        signature_entry_uuid=signature_uuid,
        submission_set_unique_id=set_unique_id,
        signature=signature,
    )


def _update_submission(
    patient: PatientIdentity, author: Professional, source_id: str, now: dt.datetime
) -> tuple[etree._Element, etree._Element, str]:
    submit = etree.Element(f"{{{NS_LCM}}}SubmitObjectsRequest", nsmap=NS)
    objects = _rim(submit, "RegistryObjectList")
    set_uuid = new_uuid()
    submission_set(
        objects,
        set_uuid=set_uuid,
        unique_id=uuid_oid(),
        source_id=source_id,
        patient=patient,
        author_slots=[("authorPerson", xcn(author))],
        content_type=DEFAULT_CONTENT_TYPE,
        title="Mise à jour des métadonnées",
        now=now,
    )
    return submit, objects, set_uuid


def visibility_update_request(
    entry: DmpEntry,
    visibility: Visibility,
    *,
    patient: PatientIdentity,
    author: Professional,
    source_id: str,
    now: dt.datetime | None = None,
) -> etree._Element:
    """ITI-57: a new metadata version of `entry` (same logical id) with other visibility codes."""
    now = now or dt.datetime.now(dt.UTC)
    submit, objects, set_uuid = _update_submission(patient, author, source_id, now)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    updated = etree.fromstring(entry.metadata, parser)
    new_id = new_uuid()
    updated.set("id", new_id)
    updated.set("lid", entry.logical_id)
    for attribute in ("status", "home"):
        updated.attrib.pop(attribute, None)
    for element in updated.iter():
        for name in ("classifiedObject", "registryObject"):
            if element.get(name) == entry.entry_uuid:
                element.set(name, new_id)
    for node in updated.findall("rim:Classification", NS):
        if node.get("classificationScheme") == DE_CONFIDENTIALITY:
            updated.remove(node)
    version_info = updated.find("rim:VersionInfo", NS)
    if version_info is not None:
        updated.remove(version_info)
    for code in confidentiality_codes(entry.confidentiality or "N", visibility):
        updated.append(_classification(etree.Element("x"), DE_CONFIDENTIALITY, code, new_id))
    objects.append(updated)
    association(
        objects,
        HAS_MEMBER,
        set_uuid,
        new_id,
        SubmissionSetStatus="Original",
        PreviousVersion=str(entry.version),
    )
    return submit


def status_update_request(
    entry: DmpEntry,
    new_status: str,
    *,
    patient: PatientIdentity,
    author: Professional,
    source_id: str,
    now: dt.datetime | None = None,
) -> etree._Element:
    """ITI-57: change the availability status of `entry` (DELETED or ARCHIVED)."""
    now = now or dt.datetime.now(dt.UTC)
    submit, objects, set_uuid = _update_submission(patient, author, source_id, now)
    association(
        objects,
        UPDATE_STATUS,
        set_uuid,
        entry.entry_uuid,
        OriginalStatus=entry.status or APPROVED,
        NewStatus=new_status,
    )
    return submit


def _query(query_id: str, slots: dict[str, list[str]]) -> etree._Element:
    request = etree.Element(f"{{{NS_QUERY}}}AdhocQueryRequest", nsmap=NS)
    etree.SubElement(
        request,
        f"{{{NS_QUERY}}}ResponseOption",
        returnComposedObjects="true",
        returnType="LeafClass",
    )
    query = _rim(request, "AdhocQuery", id=query_id)
    for name, values in slots.items():
        slot(query, name, *values)
    return request


def _quoted(values) -> str:
    return "(" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def find_documents_query(
    patient: PatientIdentity, statuses: tuple[str, ...] = (APPROVED,)
) -> etree._Element:
    """ITI-18 FindDocuments for the person's INS."""
    return _query(
        FIND_DOCUMENTS,
        {
            "$XDSDocumentEntryPatientId": [f"'{patient.xds_patient_id}'"],
            "$XDSDocumentEntryStatus": [_quoted(statuses)],
        },
    )


def get_documents_query(unique_ids: list[str]) -> etree._Element:
    """ITI-18 GetDocuments by uniqueId."""
    return _query(GET_DOCUMENTS, {"$XDSDocumentEntryUniqueId": [_quoted(unique_ids)]})


def retrieve_request(repository_unique_id: str, unique_id: str) -> etree._Element:
    """ITI-43 RetrieveDocumentSetRequest for one document."""
    request = etree.Element(f"{{{NS_XDSB}}}RetrieveDocumentSetRequest", nsmap={"xdsb": NS_XDSB})
    item = etree.SubElement(request, f"{{{NS_XDSB}}}DocumentRequest")
    etree.SubElement(item, f"{{{NS_XDSB}}}RepositoryUniqueId").text = repository_unique_id
    etree.SubElement(item, f"{{{NS_XDSB}}}DocumentUniqueId").text = unique_id
    return request


# Reading ---------------------------------------------------------------------------------
def slot_values(obj, name: str) -> list[str]:
    for slot in obj.findall("rim:Slot", NS):
        if slot.get("name") == name:
            return [(v.text or "") for v in slot.findall("rim:ValueList/rim:Value", NS)]
    return []


def slot_value(obj, name: str) -> str:
    values = slot_values(obj, name)
    return values[0] if values else ""


def classifications(obj, scheme: str) -> list[etree._Element]:
    return [
        c for c in obj.findall("rim:Classification", NS) if c.get("classificationScheme") == scheme
    ]


def coded_of(classification) -> Coded:
    name = classification.find("rim:Name/rim:LocalizedString", NS)
    return Coded(
        classification.get("nodeRepresentation", ""),
        slot_value(classification, "codingScheme"),
        name.get("value", "") if name is not None else "",
    )


def external_id(obj, scheme: str) -> str:
    for element in obj.findall("rim:ExternalIdentifier", NS):
        if element.get("identificationScheme") == scheme:
            return element.get("value", "")
    return ""


def name_of(obj) -> str:
    node = obj.find("rim:Name/rim:LocalizedString", NS)
    return node.get("value", "") if node is not None else ""


def person_name(xcn_value: str) -> str:
    """'Given FAMILY' from an XCN, or the device name of a generated document."""
    parts = [hl7_unescape(p) for p in xcn_value.split("^")]
    family = parts[1] if len(parts) > 1 else ""
    given = parts[2] if len(parts) > 2 else ""
    return f"{given} {family}".strip()


@dataclass(frozen=True)
class DmpEntry:
    """One document of a person's DMP, as the registry describes it."""

    entry_uuid: str
    unique_id: str
    repository_unique_id: str
    type: Coded
    class_code: Coded
    title: str
    creation_time: dt.datetime | None
    author_name: str
    organisation_name: str
    mime_type: str
    status: str
    visibility: Visibility
    confidentiality: str
    logical_id: str = ""
    version: int = 1
    patient_id: str = ""
    hash: str = ""
    size: int = 0
    metadata: bytes = field(default=b"", repr=False)  # the ExtrinsicObject, for ITI-57

    @property
    def deleted(self) -> bool:
        return self.status == DELETED

    @property
    def is_signature(self) -> bool:
        """The XAdES signature entry of a submission set (not a document to show)."""
        return self.class_code.code == SIGNATURE_CLASS.code


def entry_of(obj) -> DmpEntry:
    """A DmpEntry from an ExtrinsicObject."""
    codes = [coded_of(c) for c in classifications(obj, DE_CONFIDENTIALITY)]
    flags = {c.code for c in codes if c.system == VISIBILITY_SYSTEM}
    level = next((c.code for c in codes if c.system == CONFIDENTIALITY_SYSTEM), "N")
    authors = classifications(obj, DE_AUTHOR)
    author = authors[0] if authors else None
    institution = slot_value(author, "authorInstitution") if author is not None else ""
    type_codes = classifications(obj, DE_TYPE)
    class_codes = classifications(obj, DE_CLASS)
    version_info = obj.find("rim:VersionInfo", NS)
    try:
        version = int(version_info.get("versionName", "1")) if version_info is not None else 1
    except ValueError:
        version = 1
    try:
        size = int(slot_value(obj, "size") or 0)
    except ValueError:
        size = 0
    return DmpEntry(
        entry_uuid=obj.get("id", ""),
        unique_id=external_id(obj, DE_UNIQUE_ID),
        repository_unique_id=slot_value(obj, "repositoryUniqueId"),
        type=coded_of(type_codes[0]) if type_codes else Coded("", ""),
        class_code=coded_of(class_codes[0]) if class_codes else Coded("", ""),
        title=name_of(obj),
        creation_time=parse_xds_time(slot_value(obj, "creationTime")),
        author_name=person_name(slot_value(author, "authorPerson")) if author is not None else "",
        organisation_name=hl7_unescape(institution.split("^")[0]) if institution else "",
        mime_type=obj.get("mimeType", ""),
        status=obj.get("status", ""),
        visibility=Visibility(
            hidden_from_professionals=MASQUE_PS in flags,
            invisible_to_patient=INVISIBLE_PATIENT in flags,
            invisible_to_legal_representatives=INVISIBLE_LEGAL_REPRESENTATIVES in flags,
        ),
        confidentiality=level,
        logical_id=obj.get("lid", "") or obj.get("id", ""),
        version=version,
        patient_id=external_id(obj, DE_PATIENT_ID),
        hash=slot_value(obj, "hash"),
        size=size,
        metadata=etree.tostring(obj),
    )


def registry_errors(response) -> list[tuple[str, str]]:
    """(errorCode, codeContext) of the errors of a RegistryResponse-like element."""
    return [
        (error.get("errorCode", ""), error.get("codeContext", ""))
        for error in response.iterfind(".//rs:RegistryErrorList/rs:RegistryError", NS)
        if error.get("severity", ERROR_SEVERITY) == ERROR_SEVERITY
    ]


def raise_for_status(response) -> None:
    """Raise the mapped DmpError when a RegistryResponse / AdhocQueryResponse failed."""
    status = response.get("status", "")
    if status == RESPONSE_SUCCESS:
        return
    errors = registry_errors(response)
    if errors:
        code, context = errors[0]
        raise error_for_code(code, context)
    raise local_error(BAD_RESPONSE)


def parse_query_response(response) -> list[DmpEntry]:
    """The entries of an AdhocQueryResponse (raises the mapped DmpError on Failure)."""
    if response is None or response.tag != f"{{{NS_QUERY}}}AdhocQueryResponse":
        raise local_error(BAD_RESPONSE)
    raise_for_status(response)
    return [
        entry_of(obj)
        for obj in response.iterfind("rim:RegistryObjectList/rim:ExtrinsicObject", NS)
        if obj.get("objectType") == DOCUMENT_ENTRY
    ]
