"""Hand-made values for the DMP wire tests: a person, a professional, a document, its CDA.

The CDA is a minimal R2 N1 header built with lxml (the CDA generator is tested elsewhere):
enough for the simulator's checks (id, recordTarget INS) and the CDA XSD.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from lxml import etree

from opendui.accounts.national_identity import Code, ProfessionalIdentity
from opendui.interop.dmp.document import (
    Coded,
    DmpDocument,
    Organisation,
    PatientIdentity,
    Professional,
    Visibility,
)

FINESS = "010000016"
NS_CDA = "urn:hl7-org:v3"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def patient(ins: str = "248039263001064", **changes) -> PatientIdentity:
    values = dict(
        ins=ins,
        ins_oid="1.2.250.1.213.1.4.10",
        birth_family_name="PAT-TROIS",
        birth_given_names="DOMINIQUE ALIX",
        first_given_name="DOMINIQUE",
        sex="F",
        birth_date=dt.date(1948, 3, 9),
    )
    values.update(changes)
    return PatientIdentity(**values)


def professional(
    idnat: str = "810001234567", finess: str = FINESS, **changes
) -> ProfessionalIdentity:
    values = dict(
        idnat=idnat,
        family_name="MARTIN",
        given_name="Claire",
        profession=Code("60", "1.2.250.1.71.1.2.7"),
        activity_role=None,
        sector=Code("SA17", "1.2.250.1.71.4.2.4"),
        authentication_mode="INDIRECTE_RENFORCEE",
        facility_finess=finess,
    )
    values.update(changes)
    return ProfessionalIdentity(**values)


def organisation(name: str = "EHPAD Les Tilleuls") -> Organisation:
    return Organisation(
        finess=FINESS,
        name=name,
        facility_type=Coded("SA17", "1.2.250.1.71.4.2.4", "Établissement pour personnes âgées"),
        practice_setting=Coded("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9", "Établissement de santé"),
    )


def document(person: PatientIdentity, *, title: str = "Synthèse du projet personnalisé", **changes):
    author = Professional(
        "810001234567",
        "MARTIN",
        "Claire",
        profession=Coded("60", "1.2.250.1.71.1.2.7", "Infirmier"),
    )
    values = dict(
        unique_id=f"2.25.{uuid.uuid4().int}",
        set_id=f"2.25.{uuid.uuid4().int}",
        version=1,
        type=Coded("SYNTH", "1.2.250.1.213.1.1.4.12", "Synthèse"),
        class_code=Coded("11", "1.2.250.1.213.1.1.4.1", "Synthèse"),
        title=title,
        created_at=dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC),
        patient=person,
        organisation=organisation(),
        author=author,
        legal_authenticator=author,
        pdf=PDF,
        visibility=Visibility(),
    )
    values.update(changes)
    return DmpDocument(**values)


def _el(parent, tag: str, **attrib):
    return etree.SubElement(parent, f"{{{NS_CDA}}}{tag}", attrib)


def cda_bytes(doc: DmpDocument, *, ins: str | None = None, doc_id: str | None = None) -> bytes:
    """A minimal CDA R2 N1 of `doc` (PDF body), valid against the CDA schema."""
    root = etree.Element(f"{{{NS_CDA}}}ClinicalDocument", nsmap={None: NS_CDA})
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _el(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    _el(root, "id", root=doc_id or doc.unique_id)
    _el(root, "code", code=doc.type.code, codeSystem=doc.type.system, displayName=doc.type.display)
    _el(root, "title").text = doc.title
    _el(root, "effectiveTime", value=doc.created_at.strftime("%Y%m%d%H%M%S+0000"))
    _el(root, "confidentialityCode", code="N", codeSystem="2.16.840.1.113883.5.25")
    _el(root, "languageCode", code="fr-FR")
    _el(root, "setId", root=doc.set_id)
    _el(root, "versionNumber", value=str(doc.version))
    role = _el(_el(root, "recordTarget"), "patientRole")
    _el(role, "id", root=doc.patient.ins_oid, extension=ins or doc.patient.ins)
    person = _el(role, "patient")
    name = _el(person, "name")
    _el(name, "given").text = doc.patient.first_given_name
    _el(name, "family", qualifier="BR").text = doc.patient.birth_family_name
    _el(
        person, "administrativeGenderCode", code=doc.patient.sex, codeSystem="2.16.840.1.113883.5.1"
    )
    _el(person, "birthTime", value=doc.patient.birth_date.strftime("%Y%m%d"))
    author = _el(root, "author")
    _el(author, "time", value=doc.created_at.strftime("%Y%m%d%H%M%S+0000"))
    assigned = _el(author, "assignedAuthor")
    _el(assigned, "id", root="1.2.250.1.71.4.2.1", extension=doc.author.idnat)
    custodian = _el(
        _el(_el(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization"
    )
    _el(custodian, "id", root="1.2.250.1.71.4.2.2", extension=doc.organisation.idnat_struct)
    body = _el(_el(root, "component"), "nonXMLBody")
    text = _el(body, "text", mediaType="application/pdf", representation="B64")
    text.text = base64.b64encode(doc.pdf).decode("ascii")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
