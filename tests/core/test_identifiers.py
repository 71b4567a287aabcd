"""Checks of national identifiers (FINESS, SIRET, RPPS), by property and by example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.identifiers import (
    finess_problem,
    luhn_check_digit,
    luhn_is_valid,
    normalise_identifier,
    rpps_problem,
    siret_problem,
)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def with_one_digit_changed(value: str, data: st.DataObject) -> str:
    position = data.draw(st.integers(0, len(value) - 1), label="position")
    replacement = data.draw(
        st.sampled_from([d for d in "0123456789" if d != value[position]]), label="digit"
    )
    return value[:position] + replacement + value[position + 1 :]


# Same length and alphabet for each identifier: (check, body length).
CHECKS = {"finess": (finess_problem, 8), "siret": (siret_problem, 13), "rpps": (rpps_problem, 10)}


@pytest.mark.parametrize("kind", CHECKS)
@given(data=st.data())
def test_body_plus_luhn_digit_is_valid(kind, data):
    check, length = CHECKS[kind]
    body = data.draw(digits(length), label="body")
    assert check(body + luhn_check_digit(body)) is None


@pytest.mark.parametrize("kind", CHECKS)
@given(data=st.data())
def test_changing_any_single_digit_is_detected(kind, data):
    check, length = CHECKS[kind]
    body = data.draw(digits(length), label="body")
    valid = body + luhn_check_digit(body)
    changed = with_one_digit_changed(valid, data)
    if kind == "siret" and changed.startswith("356000000"):
        # La Poste establishments follow another rule (sum of digits multiple of 5).
        return
    problem = check(changed)
    assert problem is not None
    assert "clé" in problem and "Luhn" in problem


@given(body=digits(8))
def test_exactly_one_check_digit_fits(body):
    fitting = [d for d in "0123456789" if luhn_is_valid(body + d)]
    assert fitting == [luhn_check_digit(body)]


@pytest.mark.parametrize("finess", ["130783293", "010000347", "750712184"])
def test_known_real_finess_numbers_are_valid(finess):
    assert finess_problem(finess) is None


def test_corsican_finess_is_checked_on_structure_only():
    assert finess_problem("2A0000123") is None
    assert finess_problem("2B000A123") == (
        "Un numéro FINESS ne contient que des chiffres après le département."
    )


@given(value=st.text(alphabet="0123456789", max_size=20).filter(lambda v: len(v) != 9))
def test_finess_of_wrong_length_says_so(value):
    assert finess_problem(value) == "Un numéro FINESS comporte 9 caractères."


@pytest.mark.parametrize("value", ["13078329A", "ABCDEFGHI", "1307 8329", "13078-329"])
def test_finess_with_letters_or_separators_says_digits_only(value):
    assert finess_problem(value) == (
        "Un numéro FINESS ne contient que des chiffres (ou 2A/2B pour la Corse)."
    )


@given(value=st.text(alphabet="0123456789", max_size=20).filter(lambda v: len(v) != 14))
def test_siret_of_wrong_length_says_so(value):
    assert siret_problem(value) == "Un numéro SIRET comporte exactement 14 chiffres."


def test_siret_with_letters_says_digits_only():
    assert siret_problem("7750000010000A") == "Un numéro SIRET comporte exactement 14 chiffres."


def test_la_poste_siret_follows_its_own_rule():
    # La Poste (SIREN 356 000 000): digits summing to a multiple of 5 are accepted even
    # when the Luhn key does not match; the siège (NIC 00048) passes Luhn anyway.
    assert not luhn_is_valid("35600000000001")
    assert siret_problem("35600000000001") is None
    assert siret_problem("35600000000048") is None
    assert siret_problem("35600000012345") is not None


@given(value=st.text(alphabet="0123456789AZ", max_size=20).filter(lambda v: len(v) != 11))
def test_rpps_of_wrong_length_or_letters_says_so(value):
    assert rpps_problem(value) == "Un numéro RPPS comporte exactement 11 chiffres."


def test_rpps_with_letters_says_so():
    assert rpps_problem("1000000000A") == "Un numéro RPPS comporte exactement 11 chiffres."


@given(
    body=st.text(alphabet="0123456789AB", min_size=1, max_size=14),
    separators=st.lists(st.sampled_from([" ", ".", "-", "\t", "\u00a0"]), max_size=14),
    data=st.data(),
)
def test_normalise_removes_spaces_dots_and_dashes(body, separators, data):
    value = body
    for separator in separators:
        position = data.draw(st.integers(0, len(value)), label="position")
        value = value[:position] + separator + value[position:]
    assert normalise_identifier(value) == body


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("750 712 184", "750712184"),
        ("13.078.329.3", "130783293"),
        ("775-000-001-00005", "77500000100005"),
        (" 2a0000123 ", "2A0000123"),
        ("", ""),
    ],
)
def test_normalise_examples(typed, normalised):
    assert normalise_identifier(typed) == normalised


def test_normalise_accepts_none():
    assert normalise_identifier(None) == ""  # type: ignore[arg-type]
