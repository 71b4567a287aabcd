"""The INS block: built only for a qualified identity, with the strict traits in INS form."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.documents.generation.ins import IncompleteInsError, build_ins_block, ins_block
from opendui.persons.ins import INS_NIA_OID, INS_NIR_OID, INS_OIDS, control_key

from .conftest import TEST_IDENTITIES, make_person

NAME = st.from_regex(r"[A-Z]{1,12}(?:(?:-|--|'| )[A-Z]{1,12}){0,3}", fullmatch=True)
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def matricules(draw) -> str:
    """Valid matricules: sex digit, year, month, department (with 2A/2B), commune, order, key."""
    sex = draw(st.sampled_from("1278"))
    year = draw(st.integers(0, 99))
    month = draw(st.integers(1, 12))
    department = draw(st.sampled_from(["75", "2A", "2B", "63", "99", "13"]))
    commune = draw(st.integers(1, 999))
    order = draw(st.integers(1, 999))
    body = f"{sex}{year:02d}{month:02d}{department}{commune:03d}{order:03d}"
    return f"{body}{control_key(body):02d}"


def traits(**overrides):
    values = {
        "matricule": "297022A02077878",
        "oid": INS_NIR_OID,
        "birth_name": "ADRTROIS",
        "birth_first_names": "DOMINIQUE",
        "sex": "F",
        "birth_date": dt.date(1997, 2, 26),
        "birth_place_code": "2A020",
    }
    return values | overrides


@given(
    matricule=matricules(),
    oid=st.sampled_from(sorted(INS_OIDS)),
    name=NAME,
    first_names=NAME,
    sex=st.sampled_from("FM"),
    birth_date=DATES,
)
def test_a_qualified_identity_carries_its_traits_unchanged(
    matricule, oid, name, first_names, sex, birth_date
):
    block = build_ins_block(
        qualified=True,
        matricule=matricule,
        oid=oid,
        birth_name=name,
        birth_first_names=first_names,
        sex=sex,
        birth_date=birth_date,
    )
    assert (block.matricule, block.oid, block.birth_name) == (matricule, oid, name)
    assert (block.birth_first_names, block.sex, block.birth_date) == (first_names, sex, birth_date)
    assert block.first_name_list == tuple(first_names.split(" "))
    assert block.oid_label == INS_OIDS[oid]


@given(
    matricule=st.text(max_size=20),
    name=st.text(max_size=30),
    sex=st.sampled_from("FMI"),
    birth_date=DATES,
)
def test_an_identity_not_qualified_has_no_block_whatever_its_traits(
    matricule, name, sex, birth_date
):
    assert (
        build_ins_block(
            qualified=False,
            matricule=matricule,
            oid=INS_NIR_OID,
            birth_name=name,
            birth_first_names=name,
            sex=sex,
            birth_date=birth_date,
        )
        is None
    )


def test_names_typed_with_diacritics_are_printed_in_ins_form():
    block = build_ins_block(
        qualified=True,
        **traits(birth_name="Lefèvre d’Aubigné", birth_first_names="Héloïse  Marie-Ève"),
    )
    assert block.birth_name == "LEFEVRE D'AUBIGNE"
    assert block.birth_first_names == "HELOISE MARIE-EVE"


def test_the_first_birth_first_name_stands_for_an_empty_list():
    block = build_ins_block(qualified=True, first_name="ZOE", **traits(birth_first_names=""))
    assert block.birth_first_names == "ZOE"


def test_nia_and_nir_labels():
    assert build_ins_block(qualified=True, **traits(oid=INS_NIA_OID)).is_nia
    nir = build_ins_block(qualified=True, **traits())
    assert (nir.oid_label, nir.is_nia) == ("INS-NIR", False)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"matricule": ""}, "matricule INS est absent"),
        ({"matricule": "297022A02077879"}, "Matricule INS invalide"),
        ({"oid": "1.2.250.1.213.1.4.5"}, "n'est pas un OID de l'INS"),
        ({"sex": "I"}, "indéterminé"),
        ({"birth_place_code": "2A0"}, "5 lettres ou chiffres"),
        ({"birth_name": "N°7"}, "nom de naissance"),
        ({"birth_first_names": "", "first_name": ""}, "prénoms de naissance"),
    ],
)
def test_a_qualified_identity_with_a_bad_trait_is_refused(override, message):
    values = traits(**override)
    with pytest.raises(IncompleteInsError) as error:
        build_ins_block(qualified=True, **values)
    assert message in error.value.message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("retrieved", "checked", "doubtful", "expected"),
    [
        (True, True, False, True),  # QUAL
        (True, False, False, False),  # RECUP
        (False, True, False, False),  # VALI
        (False, False, False, False),  # PROV
        (True, False, True, False),  # RECUP + douteuse
    ],
)
def test_only_a_qualified_person_gets_a_block(world, retrieved, checked, doubtful, expected):
    person = make_person(world.ehpad, **TEST_IDENTITIES["several_first_names"])
    person.identity_retrieved_from_insi = retrieved
    person.identity_document_checked = checked
    person.identity_doubtful = doubtful
    block = ins_block(person)
    assert (block is not None) is expected
    if expected:
        assert block.birth_first_names == "PIERRE-ALAIN MURIEL FLORIANT"
        assert block.birth_place_code == "63220"
        assert block.matricule == "109076322083489"
