"""The yearly review deadline: a later next review is refused, and the overdue list
computes the due date by the rule instead of trusting a stored later one."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Value
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.accompaniment import selectors, services
from opendui.accompaniment.due_sql import AddMonths, review_due_expression
from opendui.accompaniment.models import PersonalisedProject, Review
from opendui.accompaniment.rules import review_due
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.stays.models import Stay
from opendui.stays.rules import add_months


def test_a_next_review_more_than_a_year_after_the_review_is_refused(running, edu):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="au moins une fois par an"):
        services.add_review(
            edu,
            running,
            held_on=today,
            synthesis="Tout va bien.",
            next_review_on=add_months(today, 12) + dt.timedelta(days=1),
        )
    assert not Review.objects.exists()
    running.refresh_from_db()
    assert running.next_review_due == add_months(today, 12)


def test_the_review_form_says_why_in_french(running, chief, client, login):
    today = timezone.localdate()
    login(chief)
    url = f"/projets/{running.pk}/"
    token = client.get(url).context["tokens"]["bilan"]
    response = client.post(
        f"{url}ajouter/bilan/",
        {
            "form_token": token,
            "held_on": today.isoformat(),
            "kind": "annuel",
            "synthesis": "Bilan.",
            "next_review_on": add_months(today, 24).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "au moins une fois par an" in response.content.decode()
    assert not Review.objects.exists()


def _stay(world, n: int) -> Stay:
    person = Person.objects.create(
        organisation=world.og,
        local_id=f"R{n:05d}",
        birth_name="REVUE",
        first_name=f"P{n}",
        birth_date=dt.date(1950, 1, 1),
        sex="F",
    )
    return Stay.objects.create(person=person, facility=world.ehpad, start_date=dt.date(2020, 1, 1))


def _validated(stay: Stay, validated_on: dt.date, stored_due: dt.date) -> PersonalisedProject:
    return PersonalisedProject.objects.create(
        stay=stay,
        person=stay.person,
        project_type="PP",
        title="P",
        status="ENCOURS",
        frozen=True,
        validated_at=timezone.now(),
        validated_on=validated_on,
        next_review_due=stored_due,
    )


def test_overdue_list_does_not_trust_a_stored_later_due_date(world, chief, client, login):
    """Data written before the rule was enforced: a review asked for a date two years on."""
    today = timezone.localdate()
    validated = add_months(today, -14)
    stored_later = add_months(today, 10)
    no_review = _validated(_stay(world, 1), validated, stored_later)
    reviewed = _validated(_stay(world, 2), validated, stored_later)
    Review.objects.create(
        project=reviewed,
        held_on=add_months(validated, 1),
        synthesis="Premier bilan.",
        next_review_on=add_months(validated, 25),
    )
    on_time = _validated(_stay(world, 3), add_months(today, -11), add_months(today, 1))
    rows = list(selectors.overdue_reviews(chief, world.ehpad, today))
    assert rows == [no_review, reviewed]
    assert [r.review_due_on for r in rows] == [
        add_months(validated, 12),
        add_months(add_months(validated, 1), 12),
    ]
    assert on_time not in rows
    login(chief)
    listed = client.get(f"/projets/etablissement/{world.ehpad.pk}/").content.decode()
    assert f"{add_months(validated, 12):%d/%m/%Y}" in listed
    assert f"{stored_later:%d/%m/%Y}" not in listed


def test_detail_page_shows_the_due_date_by_the_rule(world, chief, client, login):
    today = timezone.localdate()
    validated = add_months(today, -13)
    project = _validated(_stay(world, 1), validated, add_months(today, 6))
    login(chief)
    html = client.get(f"/projets/{project.pk}/").content.decode()
    assert f"au plus tard le {add_months(validated, 12):%d/%m/%Y} – <strong>en retard" in html


def test_migration_sets_the_stored_copy_back_to_the_rule(world):
    today = timezone.localdate()
    validated = add_months(today, -3)
    project = _validated(_stay(world, 1), validated, add_months(today, 30))
    Review.objects.create(
        project=project,
        held_on=add_months(validated, 1),
        synthesis="Bilan.",
        next_review_on=add_months(validated, 4),
    )
    draft = PersonalisedProject.objects.create(
        stay=_stay(world, 2), person=Person.objects.last(), project_type="PP", title="D"
    )
    version = project.version
    module = importlib.import_module("opendui.accompaniment.migrations.0002_review_due_by_the_rule")
    module.recompute(global_apps, None)
    project.refresh_from_db()
    draft.refresh_from_db()
    assert project.next_review_due == add_months(validated, 4)
    assert project.version == version
    assert draft.next_review_due is None


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))
SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=80, deadline=None, suppress_health_check=SLOW)
@given(day=dates, months=st.integers(0, 30))
def test_add_months_in_sql_is_the_pure_rule(world, day, months):
    value = Value(day, output_field=DateField())
    computed = (
        Facility.objects.filter(pk=world.ehpad.pk)
        .annotate(d=AddMonths(value, months))
        .values_list("d", flat=True)
        .get()
    )
    assert computed == add_months(day, months)


@settings(max_examples=80, deadline=None, suppress_health_check=SLOW)
@given(
    validated=dates,
    reviews=st.lists(
        st.tuples(st.integers(-30, 800), st.one_of(st.none(), st.integers(1, 500))), max_size=3
    ),
)
def test_review_due_in_sql_is_the_pure_rule(world, validated, reviews):
    """Reviews at any distance from the validation, asking any next date (as old data may)."""
    stay = world.anne.stays.get()
    with transaction.atomic():
        project = _validated(stay, validated, None)
        rows = [
            Review.objects.create(
                project=project,
                held_on=validated + dt.timedelta(days=offset),
                synthesis="s",
                next_review_on=(
                    validated + dt.timedelta(days=offset + ahead) if ahead is not None else None
                ),
            )
            for offset, ahead in reviews
        ]
        latest = max(rows, key=lambda r: (r.held_on, r.pk)) if rows else None
        expected = review_due(
            validated,
            latest.held_on if latest else None,
            latest.next_review_on if latest else None,
        )
        computed = (
            PersonalisedProject.objects.filter(pk=project.pk)
            .annotate(due=review_due_expression())
            .values_list("due", flat=True)
            .get()
        )
        assert computed == expected
        transaction.set_rollback(True)
