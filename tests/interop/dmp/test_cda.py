"""`build_cda`: header values, the PDF body, the structured-body plug-in, refusals, and
conformance of the generated documents to the CDA XSD and the structuration minimale."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from opendui.interop.dmp import codes, conformance
from opendui.interop.dmp.cda import CdaError, build_cda
from opendui.interop.dmp.document import DmpDocument, StructuredBody
from tests.interop.dmp import samples

NS = {"h": "urn:hl7-org:v3"}


def _tree(document: DmpDocument) -> etree._Element:
    xml = build_cda(document)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(xml)


def _attr(tree, path: str, name: str) -> str:
    return tree.find(path, NS).get(name)


# -- Header values (no kit needed) -----------------------------------------------------------


def test_header_of_an_n1_document():
    tree = _tree(samples.document())
    assert _attr(tree, "h:realmCode", "code") == "FR"
    assert _attr(tree, "h:typeId", "extension") == "POCD_HD000040"
    assert [t.get("root") for t in tree.findall("h:templateId", NS)] == [
        "2.16.840.1.113883.2.8.2.1",
        "1.2.250.1.213.1.1.1.1",
        "1.3.6.1.4.1.19376.1.2.20",
    ]
    assert _attr(tree, "h:id", "root") == "1.2.250.1.999.2.1.7.1"
    assert (_attr(tree, "h:code", "code"), _attr(tree, "h:code", "codeSystem")) == (
        "80788-3",
        codes.LOINC,
    )
    assert tree.findtext("h:title", namespaces=NS) == "Projet personnalisé — synthèse"
    assert _attr(tree, "h:effectiveTime", "value") == "20250314103000+0100"
    assert _attr(tree, "h:confidentialityCode", "code") == "N"
    assert _attr(tree, "h:languageCode", "code") == "fr-FR"
    assert _attr(tree, "h:setId", "root") == "1.2.250.1.999.2.1.7"
    assert _attr(tree, "h:versionNumber", "value") == "1"
    assert tree.find("h:relatedDocument", NS) is None


def test_record_target_carries_the_ins_the_ipp_and_the_strict_traits():
    role = _tree(samples.document()).find("h:recordTarget/h:patientRole", NS)
    ids = [(i.get("root"), i.get("extension")) for i in role.findall("h:id", NS)]
    assert ids == [
        ("1.2.250.1.213.1.4.10", "279035121518989"),
        ("1.2.250.1.999.1.1", "IPP-000123"),
    ]
    name = role.find("h:patient/h:name", NS)
    parts = [(p.tag.split("}")[1], p.get("qualifier"), p.text) for p in name]
    assert parts == [
        ("family", "BR", "PAT-TROIS"),
        ("given", None, "DOMINIQUE MARIE-LOUISE"),
        ("given", "BR", "DOMINIQUE"),
    ]
    assert _attr(role, "h:patient/h:administrativeGenderCode", "code") == "F"
    assert _attr(role, "h:patient/h:birthTime", "value") == "19790328"
    assert role.findtext("h:patient/h:birthplace/h:place/h:addr/h:county", namespaces=NS) == "51215"


def test_author_organisation_and_facility_codes():
    tree = _tree(samples.document())
    author = tree.find("h:author/h:assignedAuthor", NS)
    assert (_attr(author, "h:id", "root"), _attr(author, "h:id", "extension")) == (
        "1.2.250.1.71.4.2.1",
        "3750000002/ed-17",
    )
    assert (_attr(author, "h:code", "code"), _attr(author, "h:code", "codeSystem")) == (
        "326",
        codes.TRE_R85_ROLE,
    )
    assert author.findtext("h:assignedPerson/h:name/h:family", namespaces=NS) == "MARTIN"
    org = author.find("h:representedOrganization", NS)
    assert (_attr(org, "h:id", "root"), _attr(org, "h:id", "extension")) == (
        "1.2.250.1.71.4.2.2",
        "1750000002",
    )
    facility = tree.find(
        "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility", NS
    )
    assert _attr(facility, "h:code", "code") == "SA17"
    setting = tree.find(
        "h:documentationOf/h:serviceEvent/h:performer/h:assignedEntity/"
        "h:representedOrganization/h:standardIndustryClassCode",
        NS,
    )
    assert setting.get("code") == "ESSMS"
    period = tree.find("h:documentationOf/h:serviceEvent/h:effectiveTime", NS)
    assert [p.get("value") for p in period] == ["20250106090000+0100", "20250314100000+0100"]
    assert (
        _attr(tree, "h:legalAuthenticator/h:assignedEntity/h:id", "extension") == "3750000002/ed-17"
    )


def test_a_generated_document_is_authored_by_the_software_and_authenticated_by_the_facility():
    tree = _tree(
        samples.document(author=None, legal_authenticator=None, software=("OpenDUI", "2.3"))
    )
    author = tree.find("h:author/h:assignedAuthor", NS)
    assert author.find("h:assignedPerson", NS) is None
    assert _attr(author, "h:code", "code") == "LOGICIEL_DUI"
    device = author.find("h:assignedAuthoringDevice", NS)
    assert device.findtext("h:manufacturerModelName", namespaces=NS) == "OpenDUI"
    assert device.findtext("h:softwareName", namespaces=NS) == "OpenDUI 2.3"
    legal = tree.find("h:legalAuthenticator", NS)
    assert _attr(legal, "h:signatureCode", "code") == "S"
    assert (_attr(legal, "h:assignedEntity/h:id", "root"),) == ("1.2.250.1.71.4.2.2",)
    assert legal.find("h:assignedEntity/h:assignedPerson", NS) is None


def test_a_new_version_replaces_the_previous_one():
    tree = _tree(
        samples.document(
            version=2, unique_id="1.2.250.1.999.2.1.7.2", replaces="1.2.250.1.999.2.1.7.1"
        )
    )
    related = tree.find("h:relatedDocument", NS)
    assert related.get("typeCode") == "RPLC"
    assert _attr(related, "h:parentDocument/h:id", "root") == "1.2.250.1.999.2.1.7.1"
    assert _attr(tree, "h:versionNumber", "value") == "2"
    assert _attr(tree, "h:setId", "root") == "1.2.250.1.999.2.1.7"


@given(pdf=st.binary(min_size=1, max_size=4096))
@settings(max_examples=30, deadline=None)
def test_the_pdf_round_trips_through_base64(pdf: bytes):
    text = _tree(samples.document(pdf=pdf)).find("h:component/h:nonXMLBody/h:text", NS)
    assert (text.get("mediaType"), text.get("representation")) == ("application/pdf", "B64")
    assert base64.b64decode(text.text, validate=True) == pdf


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patient": samples.patient(ins="")}, "matricule INS"),
        ({"patient": samples.patient(ins="27903512151898")}, "matricule INS"),
        ({"patient": samples.patient(ins_oid="1.2.3")}, "OID de l'INS"),
        ({"patient": samples.patient(sex="U")}, "M ou F"),
        ({"patient": samples.patient(birth_place_cog="")}, "lieu de naissance"),
        ({"patient": samples.patient(first_given_name=" ")}, "premier prénom"),
        ({"created_at": dt.datetime(2025, 3, 14, 10, 30)}, "fuseau horaire"),
        ({"title": "  "}, "titre"),
        ({"pdf": b""}, "PDF"),
        ({"author": dataclasses.replace(samples.NURSE, idnat="")}, "identifiant national"),
        ({"confidentiality": "X"}, "confidentialité"),
    ],
)
def test_documents_that_cannot_be_conformant_are_refused_in_french(changes, message):
    with pytest.raises(CdaError if "confidentiality" not in changes else ValueError, match=message):
        build_cda(samples.document(**changes))


# -- The structured-body plug-in --------------------------------------------------------------


class _NoteBody(StructuredBody):
    """A test plug-in: one narrative section, as a DLU body would bring many."""

    template_ids = ("1.2.250.1.999.9.1",)

    def build(self, document: DmpDocument):
        h = "{urn:hl7-org:v3}"
        body = etree.Element(f"{h}structuredBody")
        section = etree.SubElement(etree.SubElement(body, f"{h}component"), f"{h}section")
        etree.SubElement(
            section, f"{h}code", code="28653-4", codeSystem=codes.LOINC, displayName="Note"
        )
        etree.SubElement(section, f"{h}title").text = document.title
        etree.SubElement(section, f"{h}text").text = "Synthèse < structurée > & lisible"
        return body


def test_a_structured_body_replaces_the_pdf_and_the_xds_sd_template():
    tree = _tree(samples.document(structured_body=_NoteBody()))
    assert [t.get("root") for t in tree.findall("h:templateId", NS)] == [
        "2.16.840.1.113883.2.8.2.1",
        "1.2.250.1.213.1.1.1.1",
        "1.2.250.1.999.9.1",
    ]
    assert tree.find("h:component/h:nonXMLBody", NS) is None
    section = tree.find("h:component/h:structuredBody/h:component/h:section", NS)
    assert section.findtext("h:text", namespaces=NS) == "Synthèse < structurée > & lisible"


# -- Conformance of generated documents (the ANS kit) -------------------------------------


VARIANTS = {
    "pp-social": {},
    "synthese-medicale": {
        "type": codes.document_type_coded("J07", "60591-5"),
        "class_code": codes.class_coded("11"),
        "title": "Synthèse médicale",
        "author": samples.DOCTOR,
        "legal_authenticator": samples.DOCTOR,
    },
    "grille": {
        "type": codes.document_type_coded("J07", "34842-5"),
        "title": "Grille AGGIR",
        "author": samples.NURSE,
        "legal_authenticator": samples.NURSE,
        "service_stop": None,
    },
    "generated": {"author": None, "legal_authenticator": None},
    "restricted": {"confidentiality": "R"},
    "nia": {"patient": samples.patient(ins="155037512345678", ins_oid="1.2.250.1.213.1.4.9")},
    "used-name": {
        "patient": samples.patient(used_family_name="DUPONT", used_given_name="Dominique")
    },
    "new-version": {"version": 2, "replaces": "1.2.250.1.999.2.1.7.0"},
    "local-type": {"type": codes.document_type_coded("LOCAL", "CR-SOCIAL"), "event_codes": ()},
    "structured": {"structured_body": _NoteBody()},
    "bare-organisation": {
        "organisation": dataclasses.replace(
            samples.EHPAD,
            address_lines=(),
            postal_code="",
            city="",
            phone="",
            facility_type=codes.facility_type_of("246"),
        )
    },
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_documents_pass_xsd_and_structuration_minimale(variant: str, strucmin: str):
    xml = build_cda(samples.document(**VARIANTS[variant]))
    assert conformance.xsd_errors(xml) == []
    assert conformance.schematron_errors(xml, strucmin) == []


_SPECIAL = "<>&\"' éèêëàâçîïôûüÿœæÉÈÀÇŒ’–—«»"
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(_SPECIAL),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    ),
    min_size=1,
    max_size=40,
).filter(lambda value: value.strip() and value == value.strip())


@given(title=_TEXT, family=_TEXT, given_name=_TEXT, organisation=_TEXT)
@settings(max_examples=25, deadline=None)
def test_free_text_with_xml_specials_and_accents_stays_valid_and_round_trips(
    strucmin: str, title: str, family: str, given_name: str, organisation: str
):
    author = dataclasses.replace(samples.EDUCATOR, family_name=family, given_name=given_name)
    document = samples.document(
        title=title,
        author=author,
        legal_authenticator=author,
        patient=samples.patient(birth_family_name=family, first_given_name=given_name),
        organisation=dataclasses.replace(samples.EHPAD, name=organisation),
    )
    xml = build_cda(document)
    assert conformance.xsd_errors(xml) == []
    assert conformance.schematron_errors(xml, strucmin) == []
    tree = etree.fromstring(xml)
    assert tree.findtext("h:title", namespaces=NS) == title
    name = tree.find("h:recordTarget/h:patientRole/h:patient/h:name", NS)
    assert name.findtext("h:family[@qualifier='BR']", namespaces=NS) == family
    assert name.findtext("h:given[@qualifier='BR']", namespaces=NS) == given_name
    assert (
        tree.findtext("h:custodian//h:representedCustodianOrganization/h:name", namespaces=NS)
        == organisation
    )
