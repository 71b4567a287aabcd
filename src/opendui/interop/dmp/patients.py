"""The DMP's "patients" and "habilitations" services: existence test and authorisation.

The existence test (`TEST_EXST`, code system 1.2.250.1.213.1.1.4.11) is an HL7 v3
PRPA_IN201307UV02 query on the INS; setAuthorization(AJOUT) records that the professional
is authorised on the person's DMP. Request shapes follow the ANS reference DMP client.

The answer's shape is OpenDUI's reading (the DMPi integration guide is not public): an
HL7 v3 PRPA_IN201306UV02 whose `queryAck/queryResponseCode` is OK (a DMP exists) or NF
(none), whose `registrationEvent/statusCode` is `active` or `terminated` (closed DMP),
and with two observations `subjectOf/observation`: AUTORISATION (VALIDE, NON_EXISTE,
INTERDIT — the values the reference client reads) and OPPOSITION (true/false).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from lxml import etree

from .document import PatientIdentity

NS_HL7 = "urn:hl7-org:v3"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_HAB = "urn:si-dmp-habilitations"
ACTION_TEST_EXISTENCE = "urn:hl7-org:v3:PRPA_IN201307UV02"
ACTION_SET_AUTHORIZATION = "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization"
REASON_SYSTEM = "1.2.250.1.213.1.1.4.11"
AUTHORISED = "VALIDE"
NOT_AUTHORISED = "NON_EXISTE"
FORBIDDEN = "INTERDIT"
_NS = {"hl7": NS_HL7, "hab": NS_HAB}


@dataclass(frozen=True)
class DmpPatientStatus:
    """What the existence test says about a person's DMP for the acting professional."""

    exists: bool
    authorised: bool  # the professional is in the DMP's authorised list
    closed: bool = False
    forbidden: bool = False  # the person blocked this professional
    opposed: bool = False  # the person opposed feeding/consultation by professionals


def _hl7(parent, tag: str, text: str | None = None, **attrib):
    element = etree.SubElement(parent, f"{{{NS_HL7}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")


def patient_status_request(
    patient: PatientIdentity, *, software: str = "OpenDUI"
) -> etree._Element:
    """The PRPA_IN201307UV02 TEST_EXST query for the person's INS."""
    root = etree.Element(f"{{{NS_HL7}}}PRPA_IN201307UV02", nsmap={None: NS_HL7, "xsi": NS_XSI})
    root.set("ITSVersion", "XML_1.0")
    _hl7(root, "id", root="2.25", extension=str(uuid.uuid4()))
    _hl7(root, "creationTime", value=_now())
    _hl7(root, "interactionId", root="2.16.840.1.113883.1.6", extension="PRPA_IN201307UV02")
    _hl7(root, "processingCode", code="P")
    _hl7(root, "processingModeCode", code="T")
    _hl7(root, "acceptAckCode", code="AL")
    receiver = _hl7(
        _hl7(root, "receiver", typeCode="RCV"), "device", classCode="DEV", determinerCode="INSTANCE"
    )
    _hl7(receiver, "id", root="1.2.250.1.213.4.1.1.1")
    _hl7(receiver, "softwareName", "DMP")
    sender = _hl7(
        _hl7(root, "sender", typeCode="SND"), "device", classCode="DEV", determinerCode="INSTANCE"
    )
    _hl7(sender, "id", root="2.25")
    _hl7(sender, "softwareName", software)
    control = _hl7(root, "controlActProcess", classCode="CACT", moodCode="EVN")
    _hl7(
        control,
        "reasonCode",
        code="TEST_EXST",
        codeSystem=REASON_SYSTEM,
        displayName="Test d'existence de dossier",
    )
    query = _hl7(control, "queryByParameter")
    _hl7(query, "queryId", root="2.25", extension=str(uuid.uuid4()))
    _hl7(query, "statusCode", code="new")
    identifier = _hl7(_hl7(query, "parameterList"), "patientIdentifier")
    _hl7(identifier, "value", root=patient.ins_oid, extension=patient.ins)
    _hl7(identifier, "semanticsText", "Patient.id")
    return root


def requested_ins(request: etree._Element) -> tuple[str, str] | None:
    """(matricule, OID) asked by a TEST_EXST query, None when it is not one."""
    reason = request.find("hl7:controlActProcess/hl7:reasonCode", _NS)
    value = request.find(
        "hl7:controlActProcess/hl7:queryByParameter/hl7:parameterList/hl7:patientIdentifier/hl7:value",
        _NS,
    )
    if reason is None or reason.get("code") != "TEST_EXST" or value is None:
        return None
    return value.get("extension", ""), value.get("root", "")


def patient_status_response(
    status: DmpPatientStatus, patient_ins: str, patient_oid: str
) -> etree._Element:
    """The PRPA_IN201306UV02 answer (simulator)."""
    root = etree.Element(f"{{{NS_HL7}}}PRPA_IN201306UV02", nsmap={None: NS_HL7})
    root.set("ITSVersion", "XML_1.0")
    _hl7(root, "id", root="2.25", extension=str(uuid.uuid4()))
    _hl7(root, "creationTime", value=_now())
    _hl7(_hl7(root, "acknowledgement"), "typeCode", code="AA")
    control = _hl7(root, "controlActProcess", classCode="CACT", moodCode="EVN")
    if status.exists:
        event = _hl7(
            _hl7(control, "subject", typeCode="SUBJ"),
            "registrationEvent",
            classCode="REG",
            moodCode="EVN",
        )
        _hl7(event, "statusCode", code="terminated" if status.closed else "active")
        patient = _hl7(_hl7(event, "subject1", typeCode="SBJ"), "patient", classCode="PAT")
        _hl7(patient, "id", root=patient_oid, extension=patient_ins)
        authorisation = (
            FORBIDDEN if status.forbidden else AUTHORISED if status.authorised else NOT_AUTHORISED
        )
        for code, value in (
            ("AUTORISATION", authorisation),
            ("OPPOSITION", str(status.opposed).lower()),
        ):
            observation = _hl7(
                _hl7(patient, "subjectOf"), "observation", classCode="OBS", moodCode="EVN"
            )
            _hl7(observation, "code", code=code)
            _hl7(observation, "value", code=value)
    _hl7(_hl7(control, "queryAck"), "queryResponseCode", code="OK" if status.exists else "NF")
    return root


def parse_patient_status(response: etree._Element) -> DmpPatientStatus | None:
    """The status in a PRPA_IN201306UV02, None when the element is not one."""
    if response.tag != f"{{{NS_HL7}}}PRPA_IN201306UV02":
        return None
    code = response.find("hl7:controlActProcess/hl7:queryAck/hl7:queryResponseCode", _NS)
    if code is None or code.get("code") not in ("OK", "NF"):
        return None
    if code.get("code") == "NF":
        return DmpPatientStatus(exists=False, authorised=False)
    event = response.find("hl7:controlActProcess/hl7:subject/hl7:registrationEvent", _NS)
    observations = {}
    if event is not None:
        for observation in event.iterfind(".//hl7:subjectOf/hl7:observation", _NS):
            key = observation.find("hl7:code", _NS)
            value = observation.find("hl7:value", _NS)
            if key is not None and value is not None:
                observations[key.get("code")] = value.get("code")
    status_code = event.find("hl7:statusCode", _NS) if event is not None else None
    authorisation = observations.get("AUTORISATION", NOT_AUTHORISED)
    return DmpPatientStatus(
        exists=True,
        authorised=authorisation == AUTHORISED,
        closed=status_code is not None and status_code.get("code") == "terminated",
        forbidden=authorisation == FORBIDDEN,
        opposed=observations.get("OPPOSITION") == "true",
    )


def authorization_request() -> etree._Element:
    """setAuthorization(AJOUT): add the acting professional to the authorised list."""
    root = etree.Element(f"{{{NS_HAB}}}setAuthorization", nsmap={None: NS_HAB})
    etree.SubElement(root, f"{{{NS_HAB}}}action").text = "AJOUT"
    return root


def authorization_response(ok: bool = True) -> etree._Element:
    root = etree.Element(f"{{{NS_HAB}}}setAuthorizationResponse", nsmap={None: NS_HAB})
    etree.SubElement(root, f"{{{NS_HAB}}}status").text = "OK" if ok else "KO"
    return root


def authorization_ok(response: etree._Element) -> bool:
    return (
        response.tag == f"{{{NS_HAB}}}setAuthorizationResponse"
        and (response.findtext("hab:status", default="", namespaces=_NS) or "").strip() == "OK"
    )
