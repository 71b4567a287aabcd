from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from opendui.persons.duplicates import Traits, candidate_score, phonetic_key

FRENCH = st.text(alphabet="abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ -'", max_size=30)


def _unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("æ", "ae")


@given(FRENCH)
def test_phonetic_key_ignores_case_and_accents(name):
    assert phonetic_key(name) == phonetic_key(name.upper()) == phonetic_key(_unaccent(name))


@given(FRENCH)
def test_phonetic_key_is_idempotent(name):
    key = phonetic_key(name)
    assert phonetic_key(key) == key


def test_phonetic_key_groups_spelling_variants():
    assert phonetic_key("Dupont") == phonetic_key("DUPOND") == phonetic_key("dupons")
    assert phonetic_key("Lefèvre") == phonetic_key("LEFEVRE")
    assert phonetic_key("Le Goff") == phonetic_key("Legoff")
    assert phonetic_key("Philippe") == phonetic_key("Filipe")
    assert phonetic_key("Cécile") == phonetic_key("Sesile")
    assert phonetic_key("Marie") == phonetic_key("Mary")
    assert phonetic_key("Dupont") != phonetic_key("Durand")
    assert phonetic_key("Martin") != phonetic_key("Marteau")


BIRTH = dt.date(1940, 5, 17)


def _traits(**kwargs):
    values = {"birth_name": "DUPONT", "birth_date": BIRTH, "birth_first_names": "Marie Louise"}
    values.update(kwargs)
    return Traits.of(**values)


def test_same_identity_scores_highest():
    assert candidate_score(_traits(), _traits()) == 100


def test_accents_case_and_first_name_order_do_not_matter():
    entered = _traits(birth_name="Lefèvre", birth_first_names="Louise Marie")
    assert candidate_score(entered, _traits(birth_name="LEFEVRE")) == 100


def test_birth_and_used_names_are_crossed():
    entered = _traits(birth_name="MARTIN", used_name="DUPONT")
    existing = _traits(birth_name="DUPONT", used_name="")
    assert candidate_score(entered, existing) == 100
    assert candidate_score(
        _traits(birth_name="DUPONT"), _traits(birth_name="X", used_name="Dupont")
    )


def test_sound_alike_name_with_the_same_birth_date_is_a_candidate():
    score = candidate_score(_traits(birth_name="Dupond", birth_first_names="Jeanne"), _traits())
    assert score is not None and score < 100


def test_typing_slip_in_the_birth_date_still_matches_same_names():
    assert candidate_score(_traits(birth_date=dt.date(1940, 5, 18)), _traits()) == 85
    swapped = _traits(birth_date=dt.date(1940, 7, 5))
    assert candidate_score(swapped, _traits(birth_date=dt.date(1940, 5, 7))) == 85


def test_unrelated_persons_and_a_shared_birth_date_alone_are_not_candidates():
    assert (
        candidate_score(_traits(birth_name="DURAND", birth_first_names="Paul"), _traits()) is None
    )
    other = _traits(birth_date=dt.date(1975, 1, 2), birth_first_names="Paul")
    assert candidate_score(other, _traits()) is None
