"""National code look-ups of the DMP documents, and a table test: every code OpenDUI can
emit exists in the value sets of the ANS kit (`jeuxDeValeurs/`), with the same code system."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from opendui.accounts.professions import Profession
from opendui.interop.dmp import codes
from opendui.interop.dmp.conformance import SVS_NS
from opendui.interop.dmp.document import Coded, Professional

J01 = "JDV_J01_XdsAuthorSpecialty_CISIS.xml"
J02 = "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml"
J04 = "JDV_J04_XdsPracticeSettingCode_CISIS.xml"
J07 = "JDV_J07_XdsTypeCode_CISIS.xml"
J08 = "JDV_J08_XdsConfidentialityCode_CISIS.xml"

#: JDV_J07 codes of OpenDUI's list (value set 20260629) that the kit's copy (20240927) predates.
NEWER_THAN_THE_KIT = {
    "34876-3",
    "34895-3",
    "55751-2",
    "68814-3",
    "83963-9",
    "84067-8",
    "96163-1",
    "97694-4",
    "100967-9",
}


@cache
def _value_set(kit: Path, name: str) -> dict[tuple[str, str], str]:
    """{(code, code system): display} of one SVS file of the kit."""
    tree = etree.parse(str(kit / "jeuxDeValeurs" / name))
    return {
        (c.get("code"), c.get("codeSystem")): c.get("displayName")
        for c in tree.iter(f"{{{SVS_NS}}}Concept")
    }


def _assert_in(kit: Path, name: str, coded: Coded, *, same_display: bool = True) -> None:
    concepts = _value_set(kit, name)
    assert (coded.code, coded.system) in concepts, f"{coded} not in {name}"
    if same_display:
        assert coded.display == concepts[(coded.code, coded.system)]


# -- Facility type and practice setting -------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "sector"),
    [
        ("500", "SA17"),  # EHPAD
        ("183", "SA16"),  # IME
        ("255", "SA16"),  # MAS
        ("437", "SA16"),  # FAM / EAM
        ("246", "SA16"),  # ESAT
        ("382", "SA16"),  # foyer de vie
        ("182", "SA16"),  # SESSAD
        ("177", "SA20"),  # MECS
        ("214", "SA21"),  # CHRS
        ("354", "SA41"),  # SSIAD
        ("460", "SA41"),  # SAAD
        ("999", "SA41"),  # any other category
        ("", "SA41"),
    ],
)
def test_facility_type_of_finess_categories(category: str, sector: str):
    coded = codes.facility_type_of(category)
    assert (coded.code, coded.system) == (sector, codes.TRE_R02_SECTOR)


def test_every_facility_type_and_practice_setting_is_in_j02_and_j04(kit: Path):
    for category in [*codes.FACILITY_SECTOR_BY_CATEGORY, "999"]:
        _assert_in(kit, J02, codes.facility_type_of(category))
    for category in ("500", "354", "460", ""):
        coded = codes.practice_setting_of(category)
        assert coded.code == "ESSMS"
        _assert_in(kit, J04, coded)


# -- Confidentiality -------------------------------------------------------------------------


def test_confidentiality_codes_are_those_of_j08(kit: Path):
    for level in ("N", "R", "V"):
        _assert_in(kit, J08, codes.confidentiality_coded(level))
    with pytest.raises(ValueError, match="confidentialité"):
        codes.confidentiality_coded("MASQUE_PS")


# -- Document types and classes -----------------------------------------------------------


def test_document_type_lookups():
    assert codes.document_type_coded("J07", "80788-3") == Coded(
        "80788-3", codes.LOINC, "Projet personnalisé d'accompagnement"
    )
    assert codes.document_type_coded("J07", "EXPPAT_3").system == codes.TRE_A05_TYPE_DOC
    # A local type travels under its J07 equivalent…
    assert codes.document_type_coded("LOCAL", "PROJET-PERSO").code == "80788-3"
    assert codes.document_type_coded("LOCAL", "ORDONNANCE-EXT").code == "57833-6"
    # …and one without equivalent, an unknown code or the ASTM code cannot be sent.
    assert codes.document_type_coded("LOCAL", "PHOTO") is None
    assert codes.document_type_coded("LOCAL", "NOPE") is None
    assert codes.document_type_coded("J07", "00000-0") is None
    assert codes.document_type_coded("J07", "E1762") is None
    assert codes.document_type_coded("OTHER", "80788-3") is None


def _csv(name: str) -> list[dict[str, str]]:
    with (codes.DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_sendable_type_is_in_the_kit_j07_but_the_newer_ones(kit: Path):
    emitted = [
        codes.document_type_coded("J07", row["code"]) for row in _csv("jdv_j07_type_codes.csv")
    ]
    emitted = [coded for coded in emitted if coded is not None]
    assert len(emitted) == 122  # all but the ASTM code
    outside = {c.code for c in emitted if (c.code, c.system) not in _value_set(kit, J07)}
    assert outside == NEWER_THAN_THE_KIT
    for row in _csv("opendui_document_types.csv"):
        coded = codes.document_type_coded("LOCAL", row["code"])
        if row["j07_equivalent"]:
            _assert_in(kit, J07, coded, same_display=False)
        else:
            assert coded is None


def test_the_sources_of_the_issue_have_types_the_kit_knows(kit: Path):
    """PP synthesis, grille, synthèse médicale, DLU, lettres de liaison, directives anticipées."""
    for code in ("80788-3", "34842-5", "60591-5", "74207-2", "83981-1", "88348-8", "EXPPAT_3"):
        _assert_in(kit, J07, codes.document_type_coded("J07", code), same_display=False)


def test_class_codes():
    assert codes.class_coded("11") == Coded("11", codes.TRE_A03_CLASS, "Synthèse")
    assert codes.class_coded("10").display == "Compte rendu"
    with pytest.raises(ValueError, match="JDV_J06"):
        codes.class_coded("12")


# -- Author specialty (JDV_J01) -------------------------------------------------------------


def _professional(value: str) -> Professional:
    system, _sep, code = value.partition(":")
    oid = {"G15": codes.TRE_G15_PROFESSION, "SOC": codes.SOCIAL_PROFESSION}.get(system, "")
    return Professional("800000000018", "NOM", "Prénom", Coded(code, oid, ""))


@pytest.mark.parametrize("profession", [p for p in Profession if p != Profession.OTHER])
def test_every_profession_of_opendui_has_a_j01_author_code(kit: Path, profession: Profession):
    coded = codes.author_specialty_of(_professional(profession.value))
    assert coded is not None
    _assert_in(kit, J01, coded, same_display=False)
    assert coded.display


def test_author_specialty_values_and_unknowns(kit: Path):
    assert codes.author_specialty_of(_professional("G15:60")) == Coded(
        "G15_60", codes.PROFESSION_SAVOIR_FAIRE, "Infirmier"
    )
    assert codes.author_specialty_of(_professional("G15:93")) == Coded(
        "93", codes.NON_PS_PROFESSION, "Psychologue"
    )
    assert codes.author_specialty_of(_professional("SOC:51")).code == "326"
    assert codes.author_specialty_of(_professional("AUTRE")) is None
    assert codes.author_specialty_of(_professional("G15:99")) is None
    assert codes.author_specialty_of(Professional("1", "A", "B")) is None
    for row in _csv_g15():
        coded = codes.author_specialty_of(_professional(f"G15:{row}"))
        _assert_in(kit, J01, coded, same_display=False)
    _assert_in(kit, J01, codes.DUI_SOFTWARE_AUTHOR)


def _csv_g15() -> list[str]:
    with (codes.DATA / "tre_g15_professions.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle, delimiter=";")]


def test_the_g15_list_matches_opendui_professions_file():
    assert set(_csv_g15()) == codes.G15_IN_J01
