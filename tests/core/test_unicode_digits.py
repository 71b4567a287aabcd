"""Digits that are not 0–9 ("²", "①", "٣", "５") in identifiers, phones and posted ids.

`str.isdigit` accepts them and `int` then refuses some ("²") or reads others as digits
("٣" → 3): a key check crashed on them and a posted id made a view answer 500. They are
refused as invalid values, never converted.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.addresses import postal_code_problem
from opendui.core.identifiers import (
    adeli_problem,
    ascii_digits,
    finess_problem,
    idnat_ps_problem,
    luhn_is_valid,
    rpps_problem,
    siret_problem,
)
from opendui.core.phones import normalise_phone

UNICODE_DIGITS = st.characters(categories=["Nd", "No"]).filter(lambda c: c not in "0123456789")
ODD_DIGIT_STRINGS = (
    st.lists(st.one_of(UNICODE_DIGITS, st.sampled_from("0123456789")), min_size=1, max_size=16)
    .map("".join)
    .filter(lambda s: not s.isascii())
)


def test_ascii_digits_accepts_only_0_to_9():
    assert ascii_digits("0123456789")
    for value in ("", "²", "12²", "٣", "５", "1 2", "-1", "+1", "1.0"):
        assert not ascii_digits(value), value


@given(ODD_DIGIT_STRINGS)
def test_identifier_checks_refuse_unicode_digits_without_crashing(value):
    assert not luhn_is_valid(value)
    for check, length in (
        (finess_problem, 9),
        (siret_problem, 14),
        (rpps_problem, 11),
        (adeli_problem, 9),
        (idnat_ps_problem, 12),
        (postal_code_problem, 5),
    ):
        padded = (value * length)[:length]
        assert check(padded), (check.__name__, padded)


@given(ODD_DIGIT_STRINGS)
def test_phones_with_unicode_digits_are_refused(value):
    for typed in (value, "+33" + value, "0" + value):
        stored, problem = normalise_phone(typed)
        assert stored == "" and problem, typed


@pytest.mark.parametrize("value", ["²" * 7, "٣" * 7, "1" * 6 + "²"])
def test_a_corsican_finess_with_unicode_digits_is_refused(value):
    assert finess_problem("2A" + value)
