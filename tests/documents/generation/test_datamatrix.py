"""The INS datamatrix: payload layout (services_socles.md §1.8) and a round trip through
the image, decoded by libdmtx, compared field by field with the person's traits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.documents.generation.datamatrix import (
    GS,
    HEADER,
    PayloadError,
    build_payload,
    datamatrix_png,
    parse_payload,
    payload_for,
    render_png,
)
from opendui.documents.generation.ins import ins_block
from opendui.persons.ins import INS_NIA_OID, INS_NIR_OID, INS_NIR_TEST_OID, INS_OIDS
from opendui.persons.traits import normalise_name

from .conftest import TEST_IDENTITIES, decode_datamatrix, make_person
from .test_ins import DATES, NAME, matricules

LONG_NAME = st.from_regex(r"[A-Z]{1,40}(?:(?:-|--|'| )[A-Z]{1,40}){0,3}", fullmatch=True).filter(
    lambda n: len(n) <= 100
)


def example(**overrides) -> dict:
    values = {
        "matricule": "277010115400329",
        "oid": INS_NIR_OID,
        "birth_first_names": "JEAN PIERRE",
        "birth_name": "DUPONT",
        "sex": "M",
        "birth_date": dt.date(1975, 12, 31),
        "birth_place_code": "63220",
    }
    return values | overrides


def test_the_reference_example():
    assert build_payload(**example()) == (
        "IS010000000000000000000000"
        "S1277010115400329"
        "S21.2.250.1.213.1.4.8\x1d"
        "S3JEAN PIERRE\x1d"
        "S4DUPONT\x1d"
        "S5M"
        "S631-12-1975"
        "S763220"
    )


def test_header_is_26_characters():
    assert len(HEADER) == 26 and HEADER.startswith("IS01")


def test_a_20_character_oid_is_at_its_maximum_and_has_no_separator():
    payload = build_payload(**example(oid=INS_NIR_TEST_OID))
    assert "S21.2.250.1.213.1.4.10S3" in payload


def test_variable_fields_at_their_maximum_have_no_separator():
    names = ("A" * 100, "B" * 100)
    payload = build_payload(**example(birth_first_names=names[0], birth_name=names[1]))
    assert f"S3{names[0]}S4{names[1]}S5M" in payload
    assert parse_payload(payload)["S3"] == names[0]


def test_without_birth_place_the_date_is_last():
    payload = build_payload(**example(birth_place_code=""))
    assert payload.endswith("S5MS631-12-1975")
    assert "S7" not in parse_payload(payload)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"matricule": "27701011540032"}, "S1"),
        ({"oid": "1.2.250.1.213.1.4"}, "S2"),
        ({"birth_name": "A" * 101}, "S4"),
        ({"birth_first_names": ""}, "S3"),
        ({"birth_name": "LEFÈVRE"}, "S4"),
        ({"birth_place_code": "2A02"}, "S7"),
    ],
)
def test_a_value_that_does_not_fit_is_refused(override, field):
    with pytest.raises(PayloadError) as error:
        build_payload(**example(**override))
    assert field in error.value.message


def test_sex_is_m_or_f():
    with pytest.raises(PayloadError):
        build_payload(**example(sex="I"))


def test_parse_refuses_a_foreign_message():
    with pytest.raises(PayloadError):
        parse_payload("DC03" + "0" * 22)
    with pytest.raises(PayloadError):
        parse_payload(HEADER + "S1277010115400329")


@given(
    matricule=matricules(),
    oid=st.sampled_from(sorted(INS_OIDS)),
    first_names=LONG_NAME,
    name=LONG_NAME,
    sex=st.sampled_from("FM"),
    birth_date=DATES,
    place=st.one_of(st.just(""), st.from_regex(r"(?:[0-9]{2}|2[AB])[0-9]{3}", fullmatch=True)),
)
def test_payload_round_trip(matricule, oid, first_names, name, sex, birth_date, place):
    payload = build_payload(
        matricule=matricule,
        oid=oid,
        birth_first_names=first_names,
        birth_name=name,
        sex=sex,
        birth_date=birth_date,
        birth_place_code=place,
    )
    assert payload.isascii()
    fields = parse_payload(payload)
    assert fields["S1"] == matricule
    assert fields["S2"] == oid
    assert fields["S3"] == first_names
    assert fields["S4"] == name
    assert fields["S5"] == sex
    assert fields["S6"] == birth_date.strftime("%d-%m-") + f"{birth_date.year:04d}"
    assert fields.get("S7", "") == place
    # One separator after each variable field below its maximum, none elsewhere.
    expected_gs = sum(len(v) < m for v, m in ((oid, 20), (first_names, 100), (name, 100)))
    assert payload.count(GS) == expected_gs


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    matricule=matricules(),
    oid=st.sampled_from([INS_NIR_OID, INS_NIA_OID, INS_NIR_TEST_OID]),
    first_names=NAME,
    name=LONG_NAME,
    sex=st.sampled_from("FM"),
    birth_date=DATES,
)
def test_image_round_trip_through_libdmtx(matricule, oid, first_names, name, sex, birth_date):
    payload = build_payload(
        matricule=matricule,
        oid=oid,
        birth_first_names=first_names,
        birth_name=name,
        sex=sex,
        birth_date=birth_date,
        birth_place_code="2B020",
    )
    assert decode_datamatrix(render_png(payload)) == payload


def test_the_png_has_a_quiet_zone():
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(render_png(build_payload(**example()), module_pixels=3)))
    assert image.format == "PNG"
    image = image.convert("L")
    width, height = image.size
    quiet = 2 * 3  # two modules of three pixels
    border = [
        image.getpixel((x, y))
        for x in range(width)
        for y in range(height)
        if min(x, y, width - 1 - x, height - 1 - y) < quiet
    ]
    assert set(border) == {255}
    assert image.getpixel((quiet, height - 1 - quiet)) == 0  # the finder pattern's corner


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(TEST_IDENTITIES))
def test_decoded_symbol_matches_the_person_field_by_field(world, case):
    person = make_person(world.ehpad, **TEST_IDENTITIES[case])
    block = ins_block(person)
    decoded = parse_payload(decode_datamatrix(datamatrix_png(block)))
    assert decoded["S1"] == person.ins_matricule
    assert decoded["S2"] == person.ins_oid
    assert decoded["S3"] == normalise_name(person.birth_first_names, "birth_first_names")
    assert decoded["S3"].split(" ")[0] == normalise_name(person.first_name, "first_name")
    assert decoded["S4"] == normalise_name(person.birth_name)
    assert decoded["S5"] == person.sex
    assert decoded["S6"] == person.birth_date.strftime("%d-%m-%Y")
    assert decoded.get("S7", "") == person.birth_place_code
    assert decode_datamatrix(datamatrix_png(block)) == payload_for(block)


@pytest.mark.django_db
def test_the_special_cases_as_printed(world):
    """The values themselves, not only their agreement: accents and compound names, the
    list of first names, NIA, Corsica."""
    accents = ins_block(make_person(world.ehpad, **TEST_IDENTITIES["compound_and_accents"]))
    fields = parse_payload(decode_datamatrix(datamatrix_png(accents)))
    assert fields["S4"] == "D'ARC-LE GOFF--LEFEVRE"
    assert fields["S3"] == "HELOISE MARIE-EVE NOELLE"
    assert "S7" not in fields
    nia = ins_block(make_person(world.ehpad, **TEST_IDENTITIES["nia"]))
    assert parse_payload(decode_datamatrix(datamatrix_png(nia)))["S2"] == "1.2.250.1.213.1.4.9"
    corsica = ins_block(make_person(world.ehpad, **TEST_IDENTITIES["corse_2b"]))
    fields = parse_payload(decode_datamatrix(datamatrix_png(corsica)))
    assert (fields["S1"], fields["S7"]) == ("160012B02077713", "2B020")
    several = ins_block(make_person(world.ehpad, **TEST_IDENTITIES["several_first_names"]))
    fields = parse_payload(decode_datamatrix(datamatrix_png(several)))
    assert fields["S3"].split(" ") == ["PIERRE-ALAIN", "MURIEL", "FLORIANT"]
