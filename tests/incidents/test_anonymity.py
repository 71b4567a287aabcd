"""Anonymisation of the ARS declaration's free texts: whole names only (anonymity.py)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from opendui.incidents.anonymity import WORD, Concerned, fold, redact

PERSON = "[personne n°1]"
STAFF = "[professionnel]"


def test_case_accents_and_identifiers():
    text = "Mme martin (Anne) a frappé M. LEFEVRE ; née le 17/05/1940, dossier T000001."
    out = redact(
        text,
        [
            Concerned(PERSON, ("MARTIN", "Anne"), ("17/05/1940", "T000001")),
            Concerned("[personne n°2]", ("Lefèvre",)),
        ],
    )
    assert out == (
        "Mme [personne n°1] ([personne n°1]) a frappé M. [personne n°2] ; née le "
        "[personne n°1], dossier [personne n°1]."
    )
    # Whole words only: "Annecy" stays.
    assert redact("Sortie à Annecy", [Concerned("X", ("Anne",))]) == "Sortie à Annecy"


def test_aide_soignante_keeps_its_words():
    """The demo's aide-soignante is Nadia Benali, address aide-soignant@…: the address is
    an identifier, never cut into words, so "aide" is no name (it gave
    "[professionnel]-soignante")."""
    nurse = Concerned(STAFF, ("Nadia", "Benali"), ("aide-soignant@demo.opendui.fr",))
    text = "Chute signalée par l'aide-soignante Nadia BENALI (aide-soignant@demo.opendui.fr)."
    assert redact(text, [nurse]) == (
        "Chute signalée par l'aide-soignante [professionnel] [professionnel] ([professionnel])."
    )
    # Named "Soignante", the word goes, "aide" stays.
    assert redact("l'aide-soignante", [Concerned("X", ("Soignante",))]) == "l'aide-X"


@pytest.mark.parametrize("word", ["Blanc", "Petit", "Paris"])
def test_ordinary_words_change_only_when_they_are_a_name(word):
    text = "Le Petit Blanc, venu de Paris, est tombé ; blanc de peur, petit malaise à PARIS."
    others = [Concerned(PERSON, ("DURAND", "Jeanne")), Concerned(STAFF, ("Karim", "Haddad"))]
    assert redact(text, others) == text
    named = redact(text, [*others, Concerned("[personne n°2]", (word.upper(),))])
    assert not any(fold(w) == fold(word) for w in WORD.findall(named))
    for other in {"Blanc", "Petit", "Paris"} - {word}:
        assert other in named


def test_compound_names_particles_and_first_names():
    person = Concerned(PERSON, ("LE GALL", "Marie-Claire", "Josette"))
    text = "Marie Claire le Gall, dite Claire, voit Mme Gall ; le médecin de Josette passe."
    assert redact(text, [person]) == (
        f"{PERSON} {PERSON}, dite {PERSON}, voit Mme {PERSON} ; le médecin de {PERSON} passe."
    )
    # Apostrophes and hyphens separate words of the text: "d'Anne", "Anne-Sophie".
    anne = [Concerned(PERSON, ("Anne",))]
    assert redact("le sac d’Anne", anne) == f"le sac d’{PERSON}"
    assert redact("ANNE-SOPHIE", anne) == f"{PERSON}-SOPHIE"
    # Ligatures fold like their letters.
    assert redact("M. Lœuvre", [Concerned("X", ("LOEUVRE",))]) == "M. X"


def test_the_first_person_named_so_wins_and_placeholders_are_not_redacted_again():
    people = [Concerned("[personne n°1]", ("Personne",)), Concerned("[personne n°2]", ("N",))]
    assert redact("Personne et n", people) == "[personne n°1] et n"


# --- properties ------------------------------------------------------------------------------

ACCENTED = {"a": "àâä", "e": "éèêë", "i": "îï", "o": "ôö", "u": "ùûü", "c": "ç", "y": "ÿ"}
LETTERS = "abcdefghijklmnopqrstuvwxyz" + "".join(ACCENTED.values())
names = st.text(alphabet=LETTERS, min_size=2, max_size=10)
ordinary = st.text(alphabet=LETTERS + "0123456789", min_size=1, max_size=10)
glue = st.sampled_from([" ", "-", "'", "’", ", ", ". ", " (", ") ", " ; ", "\n"])


@st.composite
def spelled(draw, name: str) -> str:
    """`name` with each letter in any case, with or without (any) accent."""
    out = []
    for char in name:
        base = fold(char)
        char = draw(st.sampled_from([base, *ACCENTED.get(base, "")]))
        out.append(char.upper() if draw(st.booleans()) else char)
    return "".join(out)


@st.composite
def text_with(draw, words: list[str]) -> str:
    parts = [draw(glue) if draw(st.booleans()) else ""]
    for word in words:
        parts += [word, draw(glue)]
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=names, filler=st.lists(ordinary, max_size=8))
def test_a_name_disappears_in_any_case_and_accent(data, name, filler):
    variant = data.draw(spelled(name))
    words = data.draw(st.permutations([*filler, variant, variant.upper()]))
    out = redact(data.draw(text_with(words)), [Concerned("[X]", (name,))])
    assert all(fold(w) != fold(name) for w in WORD.findall(out)), out
    assert out.count("[X]") >= 2


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=names, words=st.lists(ordinary, max_size=12))
def test_words_that_are_not_names_never_change(data, name, words):
    assume(all(fold(w) != fold(name) for w in words))
    text = data.draw(text_with(words))
    assert redact(text, [Concerned("[X]", (name,), ("T999999",))]) == text
