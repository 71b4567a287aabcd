"""The medico-social identifier `3+FINESS/idLocal` (pure functions)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.persons.identifiers import (
    MedicoSocialId,
    medico_social_identifier,
    parse_medico_social_identifier,
    person_identifier_in,
)


def test_identifier_of_a_person_in_a_facility():
    person = SimpleNamespace(local_id="U0000042")
    facility = SimpleNamespace(finess_et="750000028")
    assert person_identifier_in(person, facility) == "3750000028/U0000042"
    corsica = SimpleNamespace(finess_et="2A0000019")
    assert person_identifier_in(person, corsica) == "32A0000019/U0000042"


@pytest.mark.parametrize(
    ("finess", "local_id"),
    [
        ("75000002", "U1"),
        ("7500000289", "U1"),
        ("2C0000019", "U1"),
        ("750000028", ""),
        ("750000028", "A B"),
        ("750000028", "A/B"),
        ("750000028", "X" * 21),
    ],
)
def test_malformed_parts_are_refused(finess, local_id):
    with pytest.raises(ValueError):
        medico_social_identifier(finess, local_id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3750000028/U0000042", MedicoSocialId("750000028", "U0000042")),
        (" 3+750000028/u0000042 ", MedicoSocialId("750000028", "U0000042")),
        ("32a0000019/X-1", MedicoSocialId("2A0000019", "X-1")),
        ("750000028/U0000042", None),  # no leading 3
        ("4750000028/U0000042", None),
        ("375000002/U0000042", None),  # 8-character FINESS
        ("3750000028/", None),
        ("3750000028/U1/2", None),
        ("dupont", None),
        ("", None),
    ],
)
def test_parse(text, expected):
    assert parse_medico_social_identifier(text) == expected


@given(
    st.from_regex(r"(?:[0-9]{2}|2[AB])[0-9]{7}", fullmatch=True),
    st.from_regex(r"[A-Z0-9_.\-]{1,20}", fullmatch=True),
)
def test_round_trip(finess, local_id):
    text = medico_social_identifier(finess, local_id)
    assert parse_medico_social_identifier(text) == MedicoSocialId(finess, local_id)
    assert str(MedicoSocialId(finess, local_id)) == text
