"""The person search: each form of query, ranking, scope, and the parser's properties."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opendui.core.text import search_key
from opendui.persons.identifiers import medico_social_identifier
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.models import Person
from opendui.persons.selectors import (
    MAX_WORDS,
    NAME_ORDER,
    parse_query,
    search_persons,
)

MATRICULE = "297022A02077878"  # a national test persona (valid key)


def names(user, query) -> list[str]:
    return [p.display_name for p in search_persons(user, query)]


# --- names -----------------------------------------------------------------------------------


def test_prefix_of_birth_name(world, nurse):
    assert names(nurse, "mar") == ["MARTIN Anne"]
    assert names(nurse, "MA") == ["MARTIN Anne"]


def test_infix_from_three_characters_with_prefix_matches_first(world, nurse):
    world.person(world.ehpad, birth_name="Lamarque", first_name="Jeanne")
    world.person(world.ehpad, birth_name="Amar", first_name="Yasmine")
    # 'amar' and 'lamarque' sort before 'martin', but a name starting with the word
    # comes first; the others follow in name order.
    assert names(nurse, "mar") == ["MARTIN Anne", "AMAR Yasmine", "LAMARQUE Jeanne"]
    # Two characters: prefix only.
    assert names(nurse, "ma") == ["MARTIN Anne"]
    assert names(nurse, "ar") == []


def test_infix_in_used_name_accent_and_case_free(world, nurse):
    world.person(world.ehpad, birth_name="Girard", used_name="Du Maréchal", first_name="Lucie")
    assert names(nurse, "RÉCH") == ["DU MARÉCHAL Lucie"]
    assert names(nurse, "efev") == ["LEFÈVRE Bruno"]
    assert names(nurse, "LEFÈV") == ["LEFÈVRE Bruno"]


def test_two_words_name_and_first_name_in_any_order(world, nurse):
    world.person(world.ehpad)  # DUPONT Marie
    world.person(world.ehpad, first_name="Hélène")  # DUPONT Hélène
    world.person(world.ehpad, birth_name="Dupuis", first_name="Jean-Marc")
    assert names(nurse, "dup mar") == ["DUPONT Marie", "DUPUIS Jean-Marc"]
    assert names(nurse, "mar dup") == ["DUPONT Marie", "DUPUIS Jean-Marc"]
    assert names(nurse, "dupont marie") == ["DUPONT Marie"]
    # Accents and capitals of the stored first name do not matter.
    assert names(nurse, "dupont HELENE") == ["DUPONT Hélène"]
    assert names(nurse, "dupont hél") == ["DUPONT Hélène"]
    # A short word matches the start of a first name (or of a part of it).
    assert names(nurse, "dup m") == ["DUPONT Marie", "DUPUIS Jean-Marc"]
    assert names(nurse, "dupont m") == ["DUPONT Marie"]
    assert names(nurse, "dupont a") == []
    # Every word must match, and one at least in a name (not only first names).
    assert names(nurse, "dupont jean") == []
    assert names(nurse, "marie helene") == []


def test_two_words_both_in_names_and_used_first_name(world, nurse):
    world.person(world.ehpad, birth_name="Dupont", used_name="Martin", used_first_name="Lili")
    assert names(nurse, "dupont martin") == ["MARTIN Lili"]
    assert names(nurse, "dupont lil") == ["MARTIN Lili"]


def test_compound_name_phrase_prefix(world, nurse):
    world.person(world.ehpad, birth_name="Le Goff", first_name="Yann")
    world.person(world.ehpad, birth_name="Legrand", first_name="Gérard")
    assert names(nurse, "le g") == ["LE GOFF Yann", "LEGRAND Gérard"]
    assert names(nurse, "le goff") == ["LE GOFF Yann"]
    assert names(nurse, "goff") == ["LE GOFF Yann"]


# --- birth date, INS, local identifiers ------------------------------------------------------


def test_birth_date_alone_and_with_a_name(world, nurse):
    world.person(world.ehpad, birth_name="Marchand", birth_date=dt.date(1950, 1, 2))
    assert names(nurse, "17/05/1940") == ["LEFÈVRE Bruno", "MARTIN Anne"]
    assert names(nurse, "mar 17/05/1940") == ["MARTIN Anne"]
    assert names(nurse, "2/1/1950") == ["MARCHAND Marie"]
    # A date that does not exist finds nobody (it does not widen the search to everyone).
    assert names(nurse, "31/02/1940") == []


def test_ins_matricule_exact_with_or_without_spaces_whatever_the_status(world, nurse, login):
    world.anne.ins_matricule, world.anne.ins_oid = MATRICULE, INS_NIR_OID
    world.anne.save()
    assert not world.anne.transmittable_ins  # provisional identity: never displayed
    assert names(nurse, MATRICULE) == ["MARTIN Anne"]
    assert names(nurse, "2 97 02 2A 020 778 78") == ["MARTIN Anne"]
    assert names(nurse, "2 97 02 2a 020 778 78") == ["MARTIN Anne"]
    assert names(nurse, "297022A02077879") == []  # another key: exact match only
    body = login(nurse).get("/personnes/", {"q": MATRICULE}).content.decode()
    # Shown: the person; the matricule only in the search box it was typed in.
    assert "MARTIN Anne" in body and body.count(MATRICULE) == 1


def test_local_identifier(world, nurse):
    assert names(nurse, world.anne.local_id.lower()) == ["MARTIN Anne"]
    assert names(nurse, f" {world.anne.local_id} ") == ["MARTIN Anne"]


def test_medico_social_identifier_needs_a_stay_in_that_facility(world, director):
    own = medico_social_identifier(world.ehpad.finess_et, world.anne.local_id)
    assert names(director, own) == ["MARTIN Anne"]
    assert names(director, own.replace("3", "3+", 1)) == ["MARTIN Anne"]
    # Same local id behind the FINESS of a facility where Anne never stayed: nobody.
    elsewhere = medico_social_identifier(world.ime.finess_et, world.anne.local_id)
    assert names(director, elsewhere) == []
    chloe = medico_social_identifier(world.ime.finess_et, world.chloe.local_id)
    assert names(director, chloe) == ["PETIT Chloé"]


# --- scope and page --------------------------------------------------------------------------


def test_search_stays_within_the_scope(world, nurse, director):
    assert names(nurse, world.chloe.local_id) == []  # IME: not the nurse's facility
    assert names(director, world.denis.local_id) == []  # another organisation
    assert names(director, "dur") == []
    assert names(director, "eti") == ["PETIT Chloé"]


def test_page_query_count_is_the_same_for_every_form(world, nurse, login):
    """Every query below finds someone (an empty page skips the prefetch and the audit)."""
    world.person(world.ehpad)  # DUPONT Marie
    world.anne.ins_matricule, world.anne.ins_oid = MATRICULE, INS_NIR_OID
    world.anne.save()
    ms_id = medico_social_identifier(world.ehpad.finess_et, world.anne.local_id)
    client = login(nurse)
    client.get("/personnes/")
    counts = {}
    queries = ["", "mar", "ma", "dup mar", "17/05/1940", MATRICULE, world.anne.local_id, ms_id]
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/personnes/", {"q": query}).status_code == 200
        counts[query] = len(captured)
    assert len(set(counts.values())) == 1, counts


# --- parser properties (hypothesis) ----------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâçîïôöûüùñ"
name_words = st.text(alphabet=LETTERS + LETTERS.upper() + "-'", min_size=1, max_size=12)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
matricules = st.builds(
    lambda sex, body, dept, rest: f"{sex}{body}{dept}{rest}",
    st.sampled_from("12378"),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.sampled_from(["75", "2A", "2B", "13", "97"]),
    st.from_regex(r"[0-9]{8}", fullmatch=True),
)
finesses = st.from_regex(r"(?:[0-9]{2}|2[AB])[0-9]{7}", fullmatch=True)
local_ids = st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)


@given(st.text(max_size=150))
def test_parser_never_fails_and_words_are_search_keys(text):
    terms = parse_query(text)
    assert len(terms.words) <= MAX_WORDS
    for word in terms.words:
        assert word and word == search_key(word) and not re.search(r"\s", word)
    if terms.ins:
        assert not terms.words and terms.birth_date is None and len(terms.ins) == 15


@given(st.lists(name_words, min_size=1, max_size=3), dates)
def test_parser_splits_names_and_birth_date(words, birth_date):
    # Hypothesis may place the date anywhere; the name words keep their order.
    query = " ".join([*words, f"{birth_date.day}/{birth_date.month:02d}/{birth_date.year}"])
    terms = parse_query(query)
    assert terms.birth_date == birth_date
    assert terms.words == tuple(search_key(" ".join(words)).split())[:MAX_WORDS]


@given(matricules, st.lists(st.integers(min_value=0, max_value=15), max_size=6))
def test_parser_reads_an_ins_matricule_typed_with_spaces(matricule, cuts):
    spaced = matricule
    for cut in sorted(set(cuts), reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]
    assert parse_query(spaced.lower()).ins == matricule


@given(finesses, local_ids, st.lists(name_words, max_size=2))
def test_parser_reads_a_medico_social_identifier_beside_names(finess, local_id, words):
    terms = parse_query(" ".join([medico_social_identifier(finess, local_id), *words]))
    assert terms.medico_social is not None
    assert (terms.medico_social.finess_et, terms.medico_social.local_id) == (finess, local_id)
    assert terms.words == tuple(search_key(" ".join(words)).split())


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first_name=st.text(alphabet=LETTERS + LETTERS.upper() + "-' ", min_size=1, max_size=15),
    used=st.booleans(),
    data=st.data(),
)
def test_a_word_of_the_first_name_finds_the_person(world, nurse, first_name, used, data):
    """A word found inside a first name as stored (accents, capitals, hyphens), or starting
    one of its words, finds the person together with a name."""
    key = search_key(first_name)
    assume(key)
    part = data.draw(st.sampled_from(key.split()))
    start = data.draw(st.integers(min_value=0, max_value=len(part) - 1))
    word = part[start:] if len(part) - start >= 3 else part[: max(1, min(len(part), 2))]
    with transaction.atomic():
        person = world.person(
            world.ehpad,
            birth_name="Zorglub",
            first_name="Anne" if used else first_name,
            used_first_name=first_name if used else "",
        )
        assert person.pk in [p.pk for p in search_persons(nurse, f"zorg {word}")], word
        assert search_persons(nurse, "zorg qqqq").count() == 0
        transaction.set_rollback(True)


def test_several_short_words_list_the_persons_in_name_order(world, director):
    for birth_name, first_name in [("Lucas", "Marc"), ("Laurent", "Max"), ("Léger", "Marie")]:
        world.person(world.ime, birth_name=birth_name, first_name=first_name)
    world.person(world.ime, birth_name="Laurent", first_name="Anne", used_first_name="Mona")
    # By birth name key, then first birth first name (Anne before Max), as every list.
    assert names(director, "l m") == [
        "LAURENT Mona",
        "LAURENT Max",
        "LÉGER Marie",
        "LUCAS Marc",
    ]


# Few letters, so that words often match, and the characters tsquery syntax uses: none
# may change what a word matches.
NAME_CHARACTERS = "abÉ:&|\\- '"
short_words = st.text(alphabet="abé:&|\\", min_size=1, max_size=2)
identities = st.lists(
    st.tuples(
        st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=8),  # birth name
        st.text(alphabet=NAME_CHARACTERS, max_size=8),  # used name
        st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=8),  # first name
    ),
    min_size=1,
    max_size=6,
)


def finds_short_words(person, words: list[str]) -> bool:
    """What a search of short words means: each starts a word of a name or first name,
    and one at least starts the birth or used name."""
    keys = (person.birth_name_key, person.used_name_key, person.first_name_key)
    name_words = [word for key in keys for word in key.split(" ") if word]
    return all(any(n.startswith(w) for n in name_words) for w in words) and any(
        key.startswith(w) for key in keys[:2] for w in words
    )


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=identities, typed=st.lists(short_words, min_size=2, max_size=3))
def test_several_short_words_find_exactly_the_persons_whose_names_start_with_them(
    world, director, people, typed
):
    """On PostgreSQL by the indexed words expression (persons.name_words), on SQLite by
    LIKE tests: both must mean the same thing."""
    words = [search_key(word) for word in typed]
    assume(all(words) and all(" " not in word for word in words))
    with transaction.atomic():
        created = [
            world.person(world.ehpad, birth_name=birth, used_name=used, first_name=first)
            for birth, used, first in people
        ]
        found = list(search_persons(director, " ".join(typed)).values_list("pk", flat=True))
        expected = {p.pk for p in created if finds_short_words(p, words)}
        assert set(found) & {p.pk for p in created} == expected
        # In name order, whatever expression orders them (selectors._UNWALKED_NAME).
        in_name_order = Person.objects.filter(pk__in=found).order_by(*NAME_ORDER)
        assert found == list(in_name_order.values_list("pk", flat=True))
        transaction.set_rollback(True)
