"""The facility's overdue lists for the chief of service: right rows, bounded queries, scope."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.accompaniment import selectors
from opendui.accompaniment.models import PersonalisedProject
from opendui.accompaniment.rules import first_objectives_due, is_overdue
from opendui.persons.models import Person
from opendui.stays.models import Stay
from opendui.stays.rules import add_months


def _person(world, n: int, start: dt.date, unit=None) -> Stay:
    person = Person.objects.create(
        organisation=world.og,
        local_id=f"O{n:05d}",
        birth_name="TEST",
        first_name=f"P{n}",
        birth_date=dt.date(1950, 1, 1),
        sex="F",
    )
    return Stay.objects.create(person=person, facility=world.ehpad, unit=unit, start_date=start)


def _running(stay: Stay, due: dt.date, status="ENCOURS"):
    """A version validated a year before `due`, without review: the rule gives `due`."""
    validated_on = add_months(due, -12)
    return PersonalisedProject.objects.create(
        stay=stay,
        person=stay.person,
        project_type="PP",
        title="P",
        status=status,
        frozen=True,
        validated_at=timezone.now(),
        validated_on=validated_on,
        next_review_due=due,
    )


def test_overdue_reviews_are_exactly_the_running_versions_past_due(world, chief):
    today = timezone.localdate()
    late = _running(_person(world, 1, dt.date(2020, 1, 1)), today - dt.timedelta(days=1))
    paused = _running(
        _person(world, 2, dt.date(2020, 1, 1)), today - dt.timedelta(days=30), status="ENPAUSE"
    )
    _running(_person(world, 3, dt.date(2020, 1, 1)), today)  # due today
    ended_stay = _person(world, 4, dt.date(2020, 1, 1))
    ended_stay.end_date = today - dt.timedelta(days=1)
    ended_stay.save()
    _running(ended_stay, today - dt.timedelta(days=5))
    rows = list(selectors.overdue_reviews(chief, world.ehpad, today))
    assert rows == [paused, late]


def test_first_projects_overdue(world, chief):
    today = timezone.localdate()
    old = _person(world, 1, add_months(today, -7))
    boundary = _person(world, 2, add_months(today, -6))  # due today: not yet overdue
    validated = _person(world, 3, add_months(today, -8))
    _running(validated, add_months(today, 12))
    drafted = _person(world, 4, add_months(today, -9))
    PersonalisedProject.objects.create(
        stay=drafted, person=drafted.person, project_type="PP", title="Brouillon"
    )
    ids = [s.pk for s in selectors.first_projects_overdue(chief, world.ehpad, today)]
    # world's own stays started 2024-01-01 without a PP: overdue too.
    expected = {
        old.pk,
        drafted.pk,
        *world.ehpad.stays.filter(start_date=dt.date(2024, 1, 1)).values_list("pk", flat=True),
    }
    assert set(ids) == expected
    assert boundary.pk not in ids
    for stay in Stay.objects.filter(pk__in=ids):
        assert is_overdue(first_objectives_due(stay.start_date), today)


def test_unit_professional_sees_only_their_unit(world):
    today = timezone.localdate()
    nurse = world.user("chef-de-service", facility=world.ehpad, unit=world.lilas)
    ids = {s.person_id for s in selectors.first_projects_overdue(nurse, world.ehpad, today)}
    assert ids == {world.bruno.pk}


def test_overdue_page_queries_do_not_grow(
    client, login, world, chief, django_assert_max_num_queries
):
    today = timezone.localdate()
    for n in range(60):
        stay = _person(world, n, dt.date(2020, 1, 1), unit=world.glycines)
        if n % 2:
            _running(stay, today - dt.timedelta(days=n + 1))
    login(chief)
    url = f"/projets/etablissement/{world.ehpad.pk}/"
    for query in ("", "?liste=premiers", "?liste=premiers&page=2"):
        with django_assert_max_num_queries(14):
            response = client.get(url + query)
        assert response.status_code == 200
    response = client.get(url)
    assert len(response.context["rows"]) == 30
    assert client.get(f"/projets/etablissement/{world.other.pk}/").status_code == 403


def test_demo_data_seeds_valid_projects_some_overdue(world, chief, educator):
    import random

    from opendui.accompaniment.demo_data import seed_projects

    today = timezone.localdate()
    stays = [_person(world, n, today - dt.timedelta(days=30 * (n % 40) + 1)) for n in range(80)]
    count = seed_projects(stays, random.Random(4), [chief, educator], today)
    assert 50 <= count <= 80
    assert PersonalisedProject.objects.filter(status="ENPREPARATION").exists()
    assert PersonalisedProject.objects.filter(status="ENCOURS").exists()
    assert selectors.overdue_reviews(chief, world.ehpad, today).exists()
