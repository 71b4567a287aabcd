"""RNIV character rules for identity traits (opendui.persons.traits).

Facts: shared/reference/services_socles.md §1.4 — INSi carries names in upper case
without diacritics, matching ^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from opendui.persons import traits
from opendui.persons.traits import (
    ALLOWED_OUTPUT,
    INPUT_ALPHABET,
    NAME_PATTERN,
    TraitError,
    normalise_birth_date,
    normalise_birth_place,
    normalise_first_names,
    normalise_name,
    normalise_sex,
    validate_identity,
)

TODAY = dt.date(2026, 6, 1)


def refusal(value: str, trait: str = "birth_name") -> str:
    with pytest.raises(TraitError) as caught:
        normalise_name(value, trait)
    assert caught.value.trait == trait
    message = caught.value.message
    assert message[0].isupper() and message.endswith("."), message
    return message


# --- examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Dupont", "DUPONT"),
        ("Lefèvre", "LEFEVRE"),
        ("HÉLOÏSE", "HELOISE"),
        ("François", "FRANCOIS"),
        ("Œillet", "OEILLET"),
        ("Lætitia", "LAETITIA"),
        ("L'Haÿ", "L'HAY"),
        ("d’Artagnan", "D'ARTAGNAN"),  # typographic apostrophe
        ("Martin--Dupont", "MARTIN--DUPONT"),  # two birth names
        ("Jean-Pierre", "JEAN-PIERRE"),
        ("jean\u2011pierre", "JEAN-PIERRE"),  # non-breaking hyphen
        ("  Jean   Pierre  ", "JEAN PIERRE"),  # spaces collapsed and trimmed
        ("Jean - Pierre", "JEAN-PIERRE"),  # no space beside a hyphen
        ("De\u00a0La Tour", "DE LA TOUR"),  # non-breaking space
        ("e\u0301lise", "ELISE"),  # decomposed é (macOS input) is the French é
    ],
)
def test_typed_names_are_stored_in_ins_form(typed, stored):
    assert normalise_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "shown", "kind"),
    [
        ("DUPONT3 Jean!", "« 3 »", "(chiffre)"),
        ("DUPONT Jean!", "« ! »", "(signe de ponctuation)"),
        ("<b>DUPONT</b>", "« < »", "(symbole)"),
        ("DUPONT\u202e", "« U+202E »", "(caractère invisible de mise en forme)"),
        ("\ufeffDUPONT", "« U+FEFF »", "(caractère invisible de mise en forme)"),
        ("DUPONT\u200b", "« U+200B »", "(caractère invisible de mise en forme)"),
        ("DUPONT😀", "« 😀 »", "(symbole ou émoji, U+1F600)"),
        ("DUPONT\u0301", "« U+0301 »", "(signe diacritique isolé)"),
        ("DU\tPONT", "« U+0009 »", "(caractère de contrôle)"),
        ("Muñoz", "« ñ »", "saisissez « N »"),
        ("Straße", "« ß »", "saisissez « SS »"),
        ("Dupont–Durand", "« – »", "utilisez le trait d'union"),
        ("\u0410NNE", "« \u0410 »", "(lettre d'un autre alphabet que l'alphabet latin, U+0410)"),
    ],
)
def test_a_refused_character_is_named_with_what_it_is(typed, shown, kind):
    message = refusal(typed)
    assert message.startswith(f"Caractère non autorisé dans le nom de naissance : {shown}")
    assert kind in message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("-DUPONT", "ne peut pas commencer par « - »"),
        ("DUPONT'", "ne peut pas finir par « ' »"),
        ("DU---PONT", "Séparateur non autorisé dans le nom de naissance : « --- »"),
        ("D''ARTAGNAN", "« '' »"),
        ("D'-ARTAGNAN", "« '- »"),
        ("", "Le nom de naissance est obligatoire."),
        ("   ", "Le nom de naissance est obligatoire."),
        ("A" * 101, "compte 101 caractères : 100 au plus"),
    ],
)
def test_separators_and_edges(typed, expected):
    assert expected in refusal(typed)


def test_messages_name_the_trait_with_its_article():
    assert refusal("Jean2", "birth_first_names").startswith(
        "Caractère non autorisé dans les prénoms de naissance : « 2 »"
    )
    assert refusal("", "birth_first_names") == "Les prénoms de naissance sont obligatoires."
    assert refusal("Zoé!", "used_first_name").startswith(
        "Caractère non autorisé dans le prénom utilisé"
    )
    assert normalise_name("", "used_name", required=False) == ""


def test_first_names_keep_their_order_and_the_first_is_the_first():
    names = normalise_first_names("Héloïse  Marie-Thérèse")
    assert names == "HELOISE MARIE-THERESE"
    assert traits.first_of(names) == "HELOISE"


def test_sex_birth_date_and_birth_place():
    assert normalise_sex(" f ") == "F" and normalise_sex("I") == "I"
    with pytest.raises(TraitError, match=r"« F » .* « M » .* « I »"):
        normalise_sex("X")
    assert normalise_birth_date(dt.date(1940, 5, 17), TODAY) == dt.date(1940, 5, 17)
    with pytest.raises(TraitError, match="dans le futur"):
        normalise_birth_date(TODAY + dt.timedelta(days=1), TODAY)
    with pytest.raises(TraitError, match="1er janvier 1900"):
        normalise_birth_date(dt.date(1899, 12, 31), TODAY)
    assert normalise_birth_place(" 2a004 ") == "2A004"
    with pytest.raises(TraitError, match="Code commune INSEE inconnu"):
        normalise_birth_place("2A020")  # not in the COG
    # INSi's national test identities carry codes the COG does not know: format only.
    assert normalise_birth_place("2A020", known_only=False) == "2A020"
    with pytest.raises(TraitError, match="5 caractères"):
        normalise_birth_place("2C<20", known_only=False)


def test_validate_identity_names_every_wrong_field():
    with pytest.raises(traits.TraitsInvalid) as caught:
        validate_identity(
            {
                "birth_name": "DUPONT3",
                "birth_first_names": "Jean!",
                "sex": "M",
                "birth_date": dt.date(1950, 1, 1),
                "used_name": "X\u202e",
            },
            today=TODAY,
        )
    errors = caught.value.errors
    assert set(errors) == {"birth_name", "birth_first_names", "used_name"}
    assert "« 3 »" in errors["birth_name"] and "« ! »" in errors["birth_first_names"]
    identity = validate_identity(
        {
            "birth_name": "Lefèvre",
            "birth_first_names": "Héloïse Marie",
            "sex": "F",
            "birth_date": dt.date(1948, 3, 12),
            "birth_place_code": "75056",
            "used_first_name": "Zoé",
        },
        today=TODAY,
    )
    assert identity.strict() == (
        "LEFEVRE",
        "HELOISE MARIE",
        "F",
        dt.date(1948, 3, 12),
        "75056",
    )
    assert (identity.first_name, identity.used_name, identity.used_first_name) == (
        "HELOISE",
        "",
        "ZOE",
    )


# --- properties -------------------------------------------------------------------------------

INPUT_CHARS = st.sampled_from(sorted(INPUT_ALPHABET))
FORBIDDEN_CHARS = st.characters().filter(
    lambda c: unicodedata.normalize("NFC", c) == c and c not in INPUT_ALPHABET
)
TRAITS = st.sampled_from(sorted(traits.NAME_TRAITS))


def _shown(char: str) -> str:
    return f"« {char} »" if traits.shown_character(char) == char else f"« U+{ord(char):04X} »"


@given(st.text(INPUT_CHARS, max_size=40) | st.text(max_size=40), TRAITS)
def test_every_accepted_name_is_in_the_ins_alphabet(value, trait):
    try:
        stored = normalise_name(value, trait, required=False)
    except TraitError:
        return
    assert set(stored) <= ALLOWED_OUTPUT
    assert stored == "" or NAME_PATTERN.match(stored)
    assert len(stored) <= traits.MAX_LENGTHS[trait]


@given(st.text(INPUT_CHARS, max_size=40), TRAITS)
def test_typed_letters_are_only_refused_for_their_separators(value, trait):
    """The input alphabet never meets a character refusal; what can still be refused is
    an edge, a separator run, emptiness or the length."""
    try:
        normalise_name(value, trait)
    except TraitError as error:
        assert error.character is None
        assert "Caractère non autorisé" not in error.message


@given(st.text(INPUT_CHARS, max_size=20), FORBIDDEN_CHARS, st.text(INPUT_CHARS, max_size=20))
def test_a_forbidden_character_is_refused_and_named(before, char, after):
    # A space before the character: a lone combining mark must not join a letter.
    value = before + " " + char + after
    with pytest.raises(TraitError) as caught:
        normalise_name(value, "birth_name")
    assert caught.value.character == char
    assert _shown(char) in caught.value.message
    assert caught.value.message.startswith("Caractère non autorisé dans le nom de naissance")


@given(st.text(INPUT_CHARS, max_size=60) | st.text(max_size=60), TRAITS)
def test_normalisation_is_idempotent(value, trait):
    try:
        stored = normalise_name(value, trait, required=False)
    except TraitError:
        assume(False)
    assert normalise_name(stored, trait, required=False) == stored
    assert traits.lenient_name(stored, trait) == stored
