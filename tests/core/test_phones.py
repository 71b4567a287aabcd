"""Telephone numbers (core.phones): one rule for the administrative file and the
directory, stored in E.164, shown in the French national form. By property and example."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.phones import (
    NOT_STORED_FORM,
    OVERSEAS_PREFIXES,
    display_phone,
    normalise_phone,
    phone_problem,
    stored_phone,
)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def spaced(national: str) -> str:
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def test_examples_become_e164():
    assert normalise_phone("01 23 45 67 89") == ("+33123456789", None)
    assert normalise_phone("06.12.34.56.78") == ("+33612345678", None)
    assert normalise_phone("0033 6 12 34 56 78") == ("+33612345678", None)
    assert normalise_phone("+33 (0)6 12 34 56 78") == ("+33612345678", None)
    assert normalise_phone("0692 12 34 56") == ("+262692123456", None)
    assert normalise_phone("0596 12 34 56") == ("+596596123456", None)
    assert normalise_phone("02 62 12 34 56") == ("+262262123456", None)
    assert normalise_phone("+32 2 123 45 67") == ("+3221234567", None)
    assert normalise_phone("+354 123 4567") == ("+3541234567", None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345",
        "00 12 34 56 78",
        "00012345678",
        "+33 0 12 34 56 78",
        "+33 1 23",
        "+0123456789",
        "+123456",
        "01234567890",
        "0692 12 34 56 7",
        "06 12 AB 56 78",
        "abc",
    ],
)
def test_bad_numbers_are_refused_in_french(text):
    number, problem = normalise_phone(text)
    assert number == "" and problem and problem[0].isupper()
    assert phone_problem(text) == problem
    assert stored_phone(text) == text  # never lost


@given(st.integers(1, 9), digits(8))
def test_french_numbers_in_every_spelling_are_stored_alike(first, rest):
    national = f"0{first}{rest}"
    stored, problem = normalise_phone(national)
    assert problem is None and stored.startswith("+")
    typed = [spaced(national), national.replace("", ".").strip(".")]
    if stored.startswith("+33"):  # overseas numbers are not written with +33
        typed += [f"0033{first}{rest}", f"+33 (0){first} {rest}", f"+33{first}{rest}"]
    for text in typed:
        assert normalise_phone(text) == (stored, None), text
        assert stored_phone(text) == stored
    assert phone_problem(stored) is None


@given(st.from_regex(r"0[1-9][0-9]{8}", fullmatch=True))
def test_every_french_national_number_round_trips_through_display(national):
    stored, problem = normalise_phone(national)
    assert problem is None
    assert display_phone(stored) == spaced(national)
    assert normalise_phone(display_phone(stored)) == (stored, None)


@given(st.sampled_from(sorted(OVERSEAS_PREFIXES)), digits(6))
def test_overseas_numbers_take_their_own_country_code(prefix, rest):
    stored, problem = normalise_phone(prefix + rest)
    assert problem is None
    assert stored == f"+{OVERSEAS_PREFIXES[prefix]}{prefix[1:]}{rest}"


@given(st.sampled_from(["+32", "+41", "+1", "+44", "+49"]), digits(9))
def test_international_numbers_are_kept_in_e164(country, rest):
    stored, problem = normalise_phone(f"{country} {rest}")
    assert (stored, problem) == (country + rest, None)
    assert phone_problem(stored) is None
    assert display_phone(stored) == stored


@given(st.text(max_size=30))
def test_the_rule_never_fails_and_stores_e164(text):
    number, problem = normalise_phone(text)
    assert (number == "") == (problem is not None)
    if number:
        assert number.startswith("+") and number[1:].isdigit() and 10 <= len(number) <= 16
        assert normalise_phone(number) == (number, None)  # idempotent
        assert phone_problem(number) is None
    assert stored_phone(text) == (number or text)


def test_a_valid_number_not_in_its_stored_form_is_refused_as_stored_value():
    assert phone_problem("01 23 45 67 89") == NOT_STORED_FORM
    assert phone_problem("+33123456789") is None


def test_the_template_filter_shows_the_national_form():
    template = Template("{% load phones %}[{{ a|phone }}][{{ b|phone }}][{{ c|phone }}]")
    context = Context({"a": "+33123456789", "b": "+3221234567", "c": ""})
    assert template.render(context) == "[01 23 45 67 89][+3221234567][]"
