"""Property-based tests of the CNIL password rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.passwords import MIN_LENGTH_FOR_CLASSES, character_classes, password_problem

LOWER, UPPER, DIGITS, SPECIAL = "abcdefghij", "ABCDEFGHIJ", "0123456789", "!?-_@#%&*"


@st.composite
def passwords_with_all_classes(draw, min_size=12, max_size=40):
    body = draw(
        st.text(
            alphabet=LOWER + UPPER + DIGITS + SPECIAL, min_size=min_size - 4, max_size=max_size - 4
        )
    )
    return (
        body
        + draw(st.sampled_from(LOWER))
        + draw(st.sampled_from(UPPER))
        + draw(st.sampled_from(DIGITS))
        + draw(st.sampled_from(SPECIAL))
    )


@given(passwords_with_all_classes())
def test_twelve_characters_of_four_classes_are_accepted(password):
    assert password_problem(password) is None


@given(st.text(alphabet=LOWER + UPPER + DIGITS + SPECIAL, max_size=11))
def test_fewer_than_twelve_characters_are_always_refused(password):
    problem = password_problem(password)
    assert problem is not None and "12 caractères" in problem


@given(st.text(alphabet=LOWER + UPPER + DIGITS + SPECIAL, max_size=30))
def test_acceptance_follows_the_length_table(password):
    classes = max(character_classes(password), 1)
    accepted = password_problem(password) is None
    assert accepted == (len(password) >= MIN_LENGTH_FOR_CLASSES[classes])


@given(passwords_with_all_classes(min_size=12, max_size=20), st.text(alphabet=LOWER, max_size=10))
def test_adding_characters_never_weakens_a_password(password, extra):
    assert password_problem(password + extra) is None
