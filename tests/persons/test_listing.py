"""The person list's rows (persons.listing): what each line shows, and that a search split
into branches (selectors.search_branches) lists exactly what search_persons finds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.persons.listing import person_rows_page
from opendui.persons.models import Person, shown_birth_name
from opendui.persons.selectors import NAME_ORDER, search_branches, search_persons
from opendui.stays.models import Stay


def test_a_row_shows_the_used_name_the_birth_name_and_the_current_stays(world, director):
    married = world.person(
        world.ehpad, world.lilas, birth_name="Roux", first_name="Léa", used_name="Le Goff"
    )
    Stay.objects.create(person=married, facility=world.ime, start_date=dt.date(2025, 2, 1))
    Stay.objects.create(
        person=married,
        facility=world.ime,
        start_date=dt.date(2010, 1, 1),
        end_date=dt.date(2011, 1, 1),
    )
    [row] = person_rows_page(director, "le goff", None, None, 50).object_list
    assert row.name == "LE GOFF Léa"
    assert row.birth_name == "ROUX"
    assert row.birth_date_text == "17/05/1940"
    assert row.url == f"/personnes/{married.pk}/"
    # Stays in progress, most recent first; the ended one is not shown.
    assert row.current_stays == ("IME Les Sources", "EHPAD Les Tilleuls – Les Lilas")
    [anne] = person_rows_page(director, "martin", None, None, 50).object_list
    assert anne.birth_name == ""  # no used name: the name shown is the birth name


def test_the_list_page_prints_the_rows(world, director, login):
    married = world.person(world.ehpad, birth_name="Roux", first_name="Léa", used_name="Le Goff")
    Stay.objects.create(person=married, facility=world.ime, start_date=dt.date(2025, 2, 1))
    Stay.objects.filter(person=world.chloe).update(end_date=dt.date(2025, 1, 1))
    html = login(director).get("/personnes/").content.decode()
    assert "LE GOFF Léa</a> <small>(né·e ROUX)</small>" in html
    # Two stays in progress: one per line, the line break printed as markup.
    assert "<td>IME Les Sources<br>EHPAD Les Tilleuls</td>" in html
    assert "<td>17/05/1940</td>" in html
    chloe_row = html[html.index("PETIT Chloé") :]
    assert chloe_row[: chloe_row.index("</tr>")].endswith(
        '<span class="badge">aucun</span></td>\n  '
    )


def test_pages_follow_each_other_without_gap_or_repeat(world, director):
    for n in range(7):
        world.person(
            world.ehpad, birth_name=f"Le{chr(97 + n)}", used_name="" if n % 2 else "Lambert"
        )
    seen, page = [], 1
    while True:
        result = person_rows_page(director, "l", None, str(page), 3)
        seen += [row.pk for row in result.object_list]
        if not result.has_next:
            break
        page += 1
    assert seen == list(search_persons(director, "l").values_list("pk", flat=True))
    assert len(set(seen)) == len(seen) >= 7


# --- the branches list what search_persons finds (hypothesis) ---------------------------------

NAMES = ["LE GOFF", "LEROY", "LEFEBVRE", "MARTIN", "LAMBERT", "LÉA", "ALLARD", "ROUX"]
people = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(["", *NAMES]),
        st.sampled_from(["Anne", "Léa", "Marc", "Jean Marc", "Gaëlle"]),
        st.booleans(),  # in the EHPAD (else the IME)
    ),
    max_size=12,
)
prefixes = st.sampled_from(
    [
        "l",
        "le",
        "LE",
        "lé",
        "m",
        "a",
        "r",
        "x",
        "T0",
        "le g",
        "l m",
        "ma le",
        "g le",
        "a l m",
        "le le",
    ]
)


def merged_branches(user, query, facility):
    """The union of the branches, ordered and without repeats, computed in Python."""
    rows = {}
    for branch in search_branches(user, query, facility):
        for pk, *key in branch.values_list("pk", *NAME_ORDER[:2]):
            rows[pk] = (*key, pk)
    return sorted(rows, key=rows.get)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=people, query=prefixes, size=st.integers(1, 5))
def test_branches_list_what_the_search_finds(world, nurse, director, rows, query, size):
    with transaction.atomic():
        for birth_name, used_name, first_name, in_ehpad in rows:
            world.person(
                world.ehpad if in_ehpad else world.ime,
                birth_name=birth_name,
                used_name=used_name,
                first_name=first_name,
            )
        for user, facility in ((nurse, world.ehpad), (director, None)):
            expected = list(search_persons(user, query, facility).values_list("pk", flat=True))
            assert merged_branches(user, query, facility) == expected
            listed, page = [], 1
            while True:  # the page's own query: a UNION on PostgreSQL
                result = person_rows_page(user, query, facility, str(page), size)
                listed += [row.pk for row in result.object_list]
                if not result.has_next:
                    break
                page += 1
            assert listed == expected
        transaction.set_rollback(True)


def test_the_birth_name_is_shown_where_a_different_used_name_names_the_person():
    """One rule for the list rows, the duplicate candidates and the merge page."""
    assert shown_birth_name("Roux", "Le Goff") == "ROUX"
    assert shown_birth_name("Roux", "") == ""
    assert shown_birth_name("Roux", "Roux") == ""
    married = Person(birth_name="Roux", first_name="Léa", used_name="Le Goff", local_id="T1")
    html = render_to_string(
        "persons/_duplicate_candidates.html", {"candidates": [(married, 90)], "form": None}
    )
    assert "LE GOFF Léa <small>(né·e ROUX)</small>" in html
