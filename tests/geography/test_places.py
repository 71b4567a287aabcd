"""INSEE birth-place codes: format, lookup in the committed COG data, search."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from django.template import Context, Template
from hypothesis import assume, given
from hypothesis import strategies as st

from opendui.geography.places import (
    FORMAT_MESSAGE,
    PlaceKind,
    birth_place_problem,
    place_of,
    search_places,
)

DIGITS = st.text(string.digits, min_size=3, max_size=3)


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("2A004", "Ajaccio", PlaceKind.COMMUNE),
        ("2b033", "Bastia", PlaceKind.COMMUNE),
        ("75056", "Paris", PlaceKind.COMMUNE),
        ("75114", "Paris 14e Arrondissement", PlaceKind.ARRONDISSEMENT),
        ("69381", "Lyon 1er Arrondissement", PlaceKind.ARRONDISSEMENT),
        ("13216", "Marseille 16e Arrondissement", PlaceKind.ARRONDISSEMENT),
        ("97411", "Saint-Denis", PlaceKind.COMMUNE),
        ("97101", "Les Abymes", PlaceKind.COMMUNE),
        ("97611", "Mamoudzou", PlaceKind.COMMUNE),
        ("98735", "Papeete", PlaceKind.COMMUNE),
        ("99134", "ESPAGNE", PlaceKind.COUNTRY),
        ("99141", "REPUBLIQUE DEMOCRATIQUE ALLEMANDE", PlaceKind.COUNTRY),
    ],
)
def test_known_places(code, name, kind):
    place = place_of(code)
    assert place is not None
    assert (place.name, place.kind) == (name, kind)
    assert birth_place_problem(code) is None


def test_arrondissement_belongs_to_its_commune():
    place = place_of("13201")
    assert (place.parent_code, place.parent_name) == ("13055", "Marseille")


def test_former_commune_is_accepted_and_says_what_it_became():
    # Octeville merged into Cherbourg-Octeville (2000), then Cherbourg-en-Cotentin (2016).
    place = place_of("50383")
    assert place.kind is PlaceKind.FORMER and not place.is_current
    assert place.name == "Octeville"
    assert place.parent_code == "50129"
    assert place.label == "Octeville (ancienne commune, aujourd'hui Cherbourg-en-Cotentin)"
    assert birth_place_problem("50383", dt.date(1940, 5, 1)) is None


def test_corsica_before_1976_and_seine_before_1968_codes():
    assert place_of("20004").parent_code == "2A004"
    boulogne = place_of("75012")  # Seine code of Boulogne-Billancourt until 1968
    assert boulogne.kind is PlaceKind.FORMER and boulogne.parent_code == "92012"


def test_commune_deleguee_keeps_its_own_code():
    place = place_of("01340")
    assert place.kind is PlaceKind.DELEGUEE and place.parent_name == "Arboys en Bugey"


def test_former_commune_after_its_disappearance_is_refused_with_the_birth_date():
    place = place_of("02077")  # Berzy-le-Sec, a commune in the 2022 COG, merged since
    assert place.valid_until == 2022
    assert birth_place_problem("02077", dt.date(1980, 1, 1)) is None
    assert birth_place_problem("02077", dt.date(2023, 6, 1)) is None  # year unsure: allowed
    problem = birth_place_problem("02077", dt.date(2025, 1, 1))
    assert problem.startswith("La commune « Berzy-le-Sec » (code 02077) n'existait plus")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("75999", "Code commune INSEE inconnu : « 75999 »."),
        ("2A999", "Code commune INSEE inconnu : « 2A999 »."),
        ("99999", "Le code « 99999 » n'est pas un code pays INSEE connu."),
        ("99100", "Le code « 99100 » désigne la France"),
        ("7505", FORMAT_MESSAGE),
        ("2C123", FORMAT_MESSAGE),
        ("", FORMAT_MESSAGE),
    ],
)
def test_bad_codes_give_a_precise_french_message(code, message):
    assert place_of(code) is None
    assert birth_place_problem(code).startswith(message)


@given(st.text(max_size=7))
def test_anything_off_format_is_refused_for_its_format(text):
    code = text.strip().upper()
    well_formed = len(code) == 5 and code.isascii() and code[2:].isdigit()
    assume(not (well_formed and (code[:2].isdigit() or code[:2] in ("2A", "2B"))))
    assert birth_place_problem(text) == FORMAT_MESSAGE
    assert place_of(text) is None


@given(
    st.one_of(st.sampled_from(["2A", "2B"]), st.text(string.digits, min_size=2, max_size=2)), DIGITS
)
def test_well_formed_codes_are_known_or_named_unknown(head, tail):
    code = head + tail
    problem = birth_place_problem(code)
    place = place_of(code)
    if place is not None:
        assert problem is None or "n'existait plus" not in problem  # no birth date given
        assert place.code == code and (place.name or place.kind is PlaceKind.FORMER)
    else:
        assert problem is not None and f"« {code} »" in problem
        assert problem != FORMAT_MESSAGE


@given(DIGITS)
def test_lookup_is_case_and_space_insensitive(tail):
    assert place_of(f" 2a{tail} ") == place_of(f"2A{tail}")


def test_search_ignores_accents_case_and_punctuation():
    found = search_places("saint etienne", limit=3)
    assert found[0].code == "42218" and found[0].name == "Saint-Étienne"
    assert [p.code for p in search_places("ÉZY-sur")] == ["27230"]
    assert search_places("espagne")[0].code == "99134"
    assert search_places("Arbignieu")[0].code == "01015"  # a commune déléguée, by its name
    assert search_places("") == []
    assert len(search_places("saint", limit=5)) == 5


def test_place_label_filter():
    template = Template("{% load geography %}{{ code|place_label }}")
    assert template.render(Context({"code": "75114"})) == "Paris 14e Arrondissement"
    assert template.render(Context({"code": "75999"})) == ""
    assert template.render(Context({"code": ""})) == ""
