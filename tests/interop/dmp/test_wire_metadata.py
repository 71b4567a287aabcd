"""XDS metadata and the error table, without network."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from opendui.interop.dmp import errors, simulator, soap, xds
from opendui.interop.dmp.document import Professional, Visibility

from .wire_support import cda_bytes, document, patient

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def classification_codes(entry, scheme):
    return [
        (c.get("nodeRepresentation"), xds.slot_value(c, "codingScheme"))
        for c in xds.classifications(entry, scheme)
    ]


def test_the_document_entry_carries_the_dmp_metadata():
    doc = document(
        patient(),
        visibility=Visibility(
            hidden_from_professionals=True, invisible_to_legal_representatives=True
        ),
    )
    cda = cda_bytes(doc)
    root = etree.Element("root")
    entry = xds.document_entry(root, doc, cda, "urn:uuid:1", NOW)
    assert xds.slot_value(entry, "creationTime") == "20260504103000"
    assert xds.slot_value(entry, "sourcePatientId") == "248039263001064^^^&1.2.250.1.213.1.4.10&ISO"
    assert xds.slot_values(entry, "sourcePatientInfo") == [
        "PID-5|PAT-TROIS^DOMINIQUE^^^^^L",
        "PID-7|19480309",
        "PID-8|F",
    ]
    assert len(xds.slot_value(entry, "hash")) == 40 and xds.slot_value(entry, "size") == str(
        len(cda)
    )
    assert classification_codes(entry, xds.DE_FORMAT) == [
        ("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3")
    ]
    assert classification_codes(entry, xds.DE_CONFIDENTIALITY) == [
        ("N", "2.16.840.1.113883.5.25"),
        ("MASQUE_PS", "1.2.250.1.213.1.1.4.13"),
        ("INVISIBLE_REPRESENTANTS_LEGAUX", "1.2.250.1.213.1.1.4.13"),
    ]
    author = xds.classifications(entry, xds.DE_AUTHOR)[0]
    assert xds.slot_value(author, "authorPerson") == (
        "810001234567^MARTIN^Claire^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    )
    assert xds.slot_value(author, "authorInstitution").endswith("^IDNST^^^1010000016")
    assert xds.slot_value(author, "authorRole") == "60^Infirmier^1.2.250.1.71.1.2.7"
    assert xds.external_id(entry, xds.DE_PATIENT_ID) == doc.patient.xds_patient_id
    assert xds.external_id(entry, xds.DE_UNIQUE_ID) == doc.unique_id


def test_a_generated_document_names_the_software_as_author():
    doc = document(patient(), author=None, legal_authenticator=None, software=("OpenDUI", "0.1.0"))
    entry = xds.document_entry(etree.Element("root"), doc, b"<x/>", "urn:uuid:1", NOW)
    author = xds.classifications(entry, xds.DE_AUTHOR)[0]
    assert xds.slot_value(author, "authorPerson") == "^OpenDUI 0.1.0"
    assert xds.slot_values(entry, "legalAuthenticator") == []


def test_mtom_round_trip_keeps_binary_parts_byte_for_byte():
    binary = bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"
    message = soap.build_mtom(b"<root/>", {"a@x": binary, "b@x": b""}, action="urn:x")
    root, parts = soap.parse_multipart(message.content_type, message.body)
    assert root.content == b"<root/>"
    assert root.content_type.startswith("application/xop+xml")
    assert parts["a@x"].content == binary
    assert parts["b@x"].content == b""


def test_a_soap_fault_becomes_the_mapped_error():
    fault = soap.parse_xml(soap.build_fault(errors.OPPOSED, "Opposition."))
    with pytest.raises(errors.DmpRefused) as refused:
        soap.body_of(fault)
    assert refused.value.code == errors.OPPOSED
    assert refused.value.message_fr == errors.FAULT_MESSAGES[errors.OPPOSED][0]


@pytest.mark.parametrize(("code", "expected"), sorted(errors.FAULT_MESSAGES.items()))
def test_every_fault_code_has_a_french_message_and_the_right_class(code, expected):
    message, retryable = expected
    error = errors.error_for_code(code)
    assert error.message_fr == message and message.endswith(".")
    assert error.retryable is retryable
    expected_class = (
        errors.DmpConfigurationError
        if code == errors.VIHF_INVALID
        else errors.DmpUnavailable
        if retryable
        else errors.DmpRefused
    )
    assert type(error) is expected_class


def test_every_code_the_simulator_emits_is_in_the_table():
    source = Path(simulator.__file__).read_text("utf-8")
    constants = set(re.findall(r"errors\.([A-Z_]+)", source)) - {"FAULT_MESSAGES"}
    literals = set(re.findall(r'(?:RegistryFailure|_query_failure)\(\s*"(XDS\w+)"', source))
    emitted = {getattr(errors, name) for name in constants} | literals
    assert emitted, "the simulator emits codes"
    assert emitted <= set(errors.FAULT_MESSAGES)


def test_an_unknown_code_keeps_the_services_reason():
    error = errors.error_for_code("DMP_INCONNU", "motif du service")
    assert isinstance(error, errors.DmpRefused)
    assert "motif du service" in error.message_fr


names = st.text(min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(family=names, given_name=names, title=names)
def test_any_name_or_title_gives_well_formed_metadata_that_reads_back(family, given_name, title):
    person = patient(birth_family_name=family, first_given_name=given_name)
    author = Professional("810001234567", family, given_name)
    doc = document(person, title=title, author=author, legal_authenticator=author)
    request = etree.Element(f"{{{xds.NS_RIM}}}RegistryObjectList", nsmap=xds.NS)
    xds.document_entry(request, doc, b"<x/>", "urn:uuid:1", NOW)
    reparsed = soap.parse_xml(etree.tostring(request))
    entry = xds.entry_of(reparsed[0])
    assert entry.title == xds.xml_safe(title)
    expected = f"{xds.xml_safe(given_name)} {xds.xml_safe(family)}".strip()
    assert entry.author_name == expected
    info = xds.slot_values(reparsed[0], "sourcePatientInfo")
    assert len(info) == 3 and info[0].count("^") == 6  # no delimiter leaked from the name
