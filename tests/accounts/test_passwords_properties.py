"""Property-based tests of the password rules: CNIL length, common passwords, personal data."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator, validate_password
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.password_rules import fold, is_common, lookup_forms, personal_words_in
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


# --------------------------------------------------------------------------- guessable passwords

COMMON = frozenset(CommonPasswordValidator().passwords)
LISTED_WORDS = sorted(w for w in COMMON if w.isalpha() and w.isascii() and len(w) >= 4)
DECORATION = DIGITS + SPECIAL


def test_the_review_example_is_refused():
    with pytest.raises(ValidationError) as refused:
        validate_password("Azerty123456!")
    assert "password_too_common" in [e.code for e in refused.value.error_list]


@given(
    st.sampled_from(LISTED_WORDS),
    st.text(alphabet=DECORATION, max_size=6),
    st.text(alphabet=DECORATION, min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=1, max_size=30),
)
def test_a_listed_word_stays_refused_whatever_its_case_and_decoration(word, before, after, caps):
    cased = "".join(c.upper() if up else c for c, up in zip(word, caps * 30, strict=False))
    assert is_common(before + cased + after, COMMON)


@given(st.text(alphabet=LOWER + UPPER + DIGITS + SPECIAL + "éèàç", max_size=30))
def test_every_lookup_form_is_folded_and_not_empty(password):
    for form in lookup_forms(password):
        assert form and form == fold(form)


@given(
    st.sampled_from(["Élodie", "Jean-Marc", "Le Goff", "N'Diaye", "Dupont"]),
    st.text(alphabet=LOWER + UPPER + DIGITS + SPECIAL, max_size=8),
    st.text(alphabet=DIGITS + SPECIAL, max_size=8),
    st.booleans(),
)
def test_a_name_inside_a_password_is_found_whatever_the_case_and_accents(
    name, before, after, upper
):
    written = fold(name).upper() if upper else name
    found = personal_words_in(before + written + after, [name])
    assert found, (name, before + written + after)


@given(st.text(alphabet=DIGITS + SPECIAL, min_size=12, max_size=20))
def test_passwords_without_letters_contain_no_personal_word(password):
    assert personal_words_in(password, ["Marie", "Dupont", "marie.dupont@ehpad.fr"]) == []


@pytest.mark.parametrize(
    "password",
    ["Dupont-2026-Soleil!", "Marie#Tilleuls-88", "mdupont!Tilleuls-88", "Xk9!m.dupont-rt"],
)
def test_the_validators_refuse_the_users_names_and_email(password, db):
    from opendui.accounts.models import User

    user = User(first_name="Marie", last_name="Dupont", email="m.dupont@ehpad.fr")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert "password_personal_data" in [e.code for e in refused.value.error_list]


def test_strong_unrelated_passwords_pass_every_validator(db):
    from opendui.accounts.models import User

    user = User(first_name="Marie", last_name="Dupont", email="m.dupont@ehpad.fr")
    for password in ["Marmotte-Bleue-74!", "Tilleul#Vert-Horizon-9", "Kq7!vR2#pX9m"]:
        validate_password(password, user)


def test_temporary_passwords_pass_every_validator(db):
    from opendui.accounts.models import User
    from opendui.accounts.passwords import temporary_password

    user = User(first_name="Marie", last_name="Dupont", email="m.dupont@ehpad.fr")
    passwords = {temporary_password(user) for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        validate_password(password, user)
