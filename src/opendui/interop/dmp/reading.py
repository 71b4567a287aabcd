"""Reading a document retrieved from the DMP: its CDA header in plain words, its PDF.

Pure (lxml, no Django): the "DMP" tab never shows raw XML to the user. `read_cda(data)`
parses a CDA R2 (untrusted: no entities, no network, soap.parse_xml) into a
`CdaSummary` — title, type, patient, author, organisation, dates — and the PDF of a level 1
document (`nonXMLBody/text`, B64). A document that is a PDF itself (mime type
application/pdf) needs no parsing. Anything else is "not readable here" (None).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from lxml import etree

from .soap import parse_xml

NS = {"cda": "urn:hl7-org:v3"}
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class CdaSummary:
    title: str
    type_label: str
    patient_name: str
    patient_birth_date: dt.date | None
    patient_ins: str
    author_name: str
    organisation: str
    effective_time: dt.datetime | dt.date | None
    service_start: dt.datetime | dt.date | None
    service_stop: dt.datetime | dt.date | None
    version: str
    pdf: bytes | None  # the body of a level 1 document, when it is a PDF


def hl7_time(value: str | None) -> dt.datetime | dt.date | None:
    """An HL7 TS (`YYYYMMDD[HHMM[SS]][±ZZZZ]`) as a date or an aware datetime; None when
    absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    offset = None
    for sign in ("+", "-"):
        if sign in text[8:]:
            head, tail = text[:8] + text[8:].split(sign)[0], text[8:].split(sign)[1]
            if len(tail) == 4 and tail.isdigit():
                minutes = int(tail[:2]) * 60 + int(tail[2:])
                offset = dt.timezone(dt.timedelta(minutes=minutes if sign == "+" else -minutes))
            text = head
            break
    text = text.split(".")[0]
    try:
        if len(text) == 8:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        if len(text) in (12, 14):
            moment = dt.datetime.strptime(text, "%Y%m%d%H%M%S" if len(text) == 14 else "%Y%m%d%H%M")
            return moment.replace(tzinfo=offset or dt.UTC)
    except ValueError:
        return None
    return None


def _text(node, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path, NS)
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


def _name(node) -> str:
    """`Given Family` of a CDA name (each part once, in document order)."""
    if node is None:
        return ""
    given = [" ".join("".join(g.itertext()).split()) for g in node.findall("cda:given", NS)]
    family = [" ".join("".join(f.itertext()).split()) for f in node.findall("cda:family", NS)]
    return " ".join(part for part in [*given[:1], *family[:1]] if part)


def _pdf_of(root) -> bytes | None:
    text = root.find("cda:component/cda:nonXMLBody/cda:text", NS)
    if text is None or text.get("representation", "B64") != "B64":
        return None
    try:
        content = base64.b64decode("".join((text.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return content if content.startswith(PDF_MAGIC) else None


def read_cda(data: bytes) -> CdaSummary | None:
    """The readable summary of a CDA R2 document; None when `data` is not one."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return None
    if root.tag != "{urn:hl7-org:v3}ClinicalDocument":
        return None
    patient_role = root.find("cda:recordTarget/cda:patientRole", NS)
    patient = patient_role.find("cda:patient", NS) if patient_role is not None else None
    ins = ""
    if patient_role is not None:
        ids = patient_role.findall("cda:id", NS)
        ins = next(
            (
                i.get("extension", "")
                for i in ids
                if i.get("root", "").startswith("1.2.250.1.213.1.4.")
            ),
            "",
        )
    birth = patient.find("cda:birthTime", NS) if patient is not None else None
    birth_value = hl7_time(birth.get("value")) if birth is not None else None
    author = root.find("cda:author/cda:assignedAuthor", NS)
    author_name = (
        _name(author.find("cda:assignedPerson/cda:name", NS)) if author is not None else ""
    )
    if not author_name and author is not None:
        author_name = _text(author, "cda:assignedAuthoringDevice/cda:softwareName")
    organisation = _text(
        root, "cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization/cda:name"
    )
    if not organisation and author is not None:
        organisation = _text(author, "cda:representedOrganization/cda:name")
    code = root.find("cda:code", NS)
    event = root.find("cda:documentationOf/cda:serviceEvent/cda:effectiveTime", NS)
    effective = root.find("cda:effectiveTime", NS)
    version = root.find("cda:versionNumber", NS)
    return CdaSummary(
        title=_text(root, "cda:title"),
        type_label=code.get("displayName", "") if code is not None else "",
        patient_name=_name(patient.find("cda:name", NS)) if patient is not None else "",
        patient_birth_date=(
            birth_value.date() if isinstance(birth_value, dt.datetime) else birth_value
        ),
        patient_ins=ins,
        author_name=author_name,
        organisation=organisation,
        effective_time=hl7_time(effective.get("value")) if effective is not None else None,
        service_start=_bound(event, "low"),
        service_stop=_bound(event, "high"),
        version=version.get("value", "") if version is not None else "",
        pdf=_pdf_of(root),
    )


def _bound(event, name: str):
    if event is None:
        return None
    node = event.find(f"cda:{name}", NS)
    return hl7_time(node.get("value")) if node is not None else None


def pdf_of(mime_type: str, content: bytes) -> bytes | None:
    """The PDF to show of a retrieved document: the document itself when it is a PDF, the
    body of a level 1 CDA; None otherwise."""
    if content.startswith(PDF_MAGIC):
        return content
    summary = read_cda(content)
    return summary.pdf if summary is not None else None
