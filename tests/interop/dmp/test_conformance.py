"""The conformance harness itself: the official example passes, broken documents fail,
the kit is never written to, and the value sets the kit leaves out are derived faithfully."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from opendui.interop.dmp import conformance
from opendui.interop.dmp.cda import build_cda
from tests.interop.dmp import samples

HL7 = {"h": "urn:hl7-org:v3"}
N1_EXAMPLE = "ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml"


def _mutate(xml: bytes, change) -> bytes:
    tree = etree.fromstring(xml)
    change(tree)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_the_official_n1_example_passes_xsd_and_structuration_minimale(kit: Path, strucmin: str):
    example = (kit / N1_EXAMPLE).read_bytes()
    assert conformance.xsd_errors(example) == []
    assert conformance.schematron_errors(example, strucmin) == []


def test_a_document_without_record_target_fails_both_checks(strucmin: str):
    broken = _mutate(
        build_cda(samples.document()),
        lambda tree: tree.remove(tree.find("h:recordTarget", HL7)),
    )
    assert any("recordTarget" in error for error in conformance.xsd_errors(broken))
    errors = conformance.schematron_errors(broken, strucmin)
    assert any("hl7:recordTarget[not(@nullFlavor)] is mandatory" in error for error in errors)


def test_a_type_code_outside_jdv_j07_fails(strucmin: str):
    broken = _mutate(
        build_cda(samples.document()),
        lambda tree: tree.find("h:code", HL7).set("code", "00000-0"),
    )
    assert conformance.xsd_errors(broken) == []  # schema-valid: only the value set catches it
    errors = conformance.schematron_errors(broken, strucmin)
    assert errors == [
        "/ClinicalDocument/code: (SMDS_CDAClinicalDocument): The value for code SHALL be "
        "selected from value set '1.2.250.1.213.1.1.5.471' JDV_J07_XdsTypeCode_CISIS (DYNAMIC)."
    ]


def test_an_empty_ins_fails(strucmin: str):
    def empty_ins(tree):
        tree.find("h:recordTarget/h:patientRole/h:id", HL7).set("extension", "")

    broken = _mutate(build_cda(samples.document()), empty_ins)
    errors = conformance.schematron_errors(broken, strucmin)
    assert errors, "an INS without matricule must not pass"
    assert all("patientRole" in error or "INS" in error for error in errors)


def test_an_ins_without_birthplace_fails(strucmin: str):
    def no_birthplace(tree):
        patient = tree.find("h:recordTarget/h:patientRole/h:patient", HL7)
        patient.remove(patient.find("h:birthplace", HL7))

    broken = _mutate(build_cda(samples.document()), no_birthplace)
    errors = conformance.schematron_errors(broken, strucmin)
    assert len(errors) == 1 and "traits de l'INS" in errors[0]


def test_malformed_xml_is_reported_not_raised(kit: Path):
    assert conformance.xsd_errors(b"<ClinicalDocument>")[0].startswith("not well-formed XML")
    assert conformance.schematron_errors(b"<a>")[0].startswith("not well-formed XML")


def test_the_kit_is_never_written_to(kit: Path, strucmin: str):
    assert not list(kit.rglob("*.compiled.xsl"))
    include = kit / "schematrons/profils/structurationMinimale/include"
    assert not (include / "voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml").exists()
    compiled = conformance.compiled_schematron_path(strucmin)
    assert kit not in compiled.parents
    assert compiled.parent.name == "structurationMinimale"


def test_the_derived_j07_value_set_holds_every_svs_concept(kit: Path, strucmin: str):
    svs = etree.parse(str(kit / "jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml"))
    expected = {
        (c.get("code"), c.get("codeSystem")) for c in svs.iter(f"{{{conformance.SVS_NS}}}Concept")
    }
    derived_path = (
        conformance.compiled_schematron_path(strucmin).parent
        / "include/voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml"
    )
    derived = etree.parse(str(derived_path))
    value_set = derived.find("valueSet")
    assert value_set.get("id") == "1.2.250.1.213.1.1.5.471"
    found = {(c.get("code"), c.get("codeSystem")) for c in value_set.iter("concept")}
    assert found == expected and len(found) == 114


def test_kit_dir_follows_the_environment(kit: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv(conformance.ENV_VAR, str(kit))
    assert conformance.kit_dir() == kit
    monkeypatch.setenv(conformance.ENV_VAR, str(kit.parent))
    assert conformance.kit_dir() == kit
    monkeypatch.setenv(conformance.ENV_VAR, str(tmp_path))
    assert conformance.kit_dir() is None
    with pytest.raises(conformance.ConformanceKitError, match=conformance.ENV_VAR):
        conformance.xsd_errors(b"<a/>")
