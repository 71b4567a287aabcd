"""Agenda pages: access (403 + audit), forms (nothing saved on refusal, 409), bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opendui.agenda.models import Event, EventChange, EventParticipant, EventProfessional
from opendui.audit.models import AuditEvent

from .helpers import at, make


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


def _form(world, educator, **overrides):
    values = {
        "kind": "activite",
        "title": "Atelier mémoire",
        "start": "2026-03-02T10:00",
        "end": "2026-03-02T11:00",
        "persons": [world.anne.pk],
        "professionals": [educator.pk],
        "category": "social",
        "rep-frequency": "",
        "rep-interval": "1",
    }
    values.update(overrides)
    return values


def _token(client, url):
    return client.get(url).context["token"]


def test_create_form_saves_and_redirects(world, educator, client, login):
    login(educator)
    url = reverse("agenda:create", kwargs={"facility_pk": world.ehpad.pk})
    response = client.post(url, {**_form(world, educator), "form_token": _token(client, url)})
    assert response.status_code == 302
    event = Event.objects.get()
    assert response.url == reverse("agenda:detail", kwargs={"pk": event.pk})
    assert EventChange.objects.filter(event_id=event.pk, person_id=world.anne.pk).exists()


def test_end_before_start_shows_a_french_message_and_saves_nothing(world, educator, client, login):
    login(educator)
    url = reverse("agenda:create", kwargs={"facility_pk": world.ehpad.pk})
    response = client.post(
        url, {**_form(world, educator, end="2026-03-02T09:00"), "form_token": _token(client, url)}
    )
    assert response.status_code == 200
    assert "se termine" in response.content.decode()
    assert "Rien n&#x27;a été enregistré" in response.content.decode()
    assert not Event.objects.exists() and not EventChange.objects.exists()


def test_recurring_creation_and_conflict_warning(world, educator, client, login):
    login(educator)
    make(
        educator, world.ehpad, at(4, 10), at(4, 11), persons=[world.bruno], professionals=[educator]
    )
    url = reverse("agenda:create", kwargs={"facility_pk": world.ehpad.pk})
    values = {
        **_form(world, educator),
        "rep-frequency": "hebdomadaire",
        "rep-weekdays": ["0", "2"],
        "rep-count": "4",
    }
    response = client.post(url, {**values, "form_token": _token(client, url)}, follow=True)
    assert Event.objects.count() == 5
    page = response.content.decode()
    assert "4 événements enregistrés" in page
    assert "conflit d&#x27;agenda" in page  # Wednesday 4 March, 10:00, educator booked twice


def test_detail_and_planning_are_audited_and_show_conflicts(world, educator, client, login):
    a = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    make(
        educator,
        world.ehpad,
        at(2, 10, 30),
        at(2, 11, 30),
        persons=[world.bruno],
        professionals=[educator],
    )
    login(educator)
    response = client.get(reverse("agenda:detail", kwargs={"pk": a.pk}))
    assert response.status_code == 200
    assert "Conflit d'agenda" in response.content.decode()
    assert AuditEvent.objects.filter(action="event.view", person_ids=[world.anne.pk]).exists()
    response = client.get(
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}),
        {"date": "2026-03-04"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Semaine précédente" in page and 'scope="row"' in page and "badge-alert" in page
    assert "2 événements de cette page ont un professionnel réservé deux fois" in page
    planning = AuditEvent.objects.filter(action="event.planning").latest("seq")
    assert sorted(planning.person_ids) == sorted([world.anne.pk, world.bruno.pk])
    day = client.get(
        reverse("agenda:planning_day", kwargs={"facility_pk": world.ehpad.pk}),
        {"date": "2026-03-02"},
    )
    assert day.status_code == 200 and "Atelier mémoire" in day.content.decode()


def test_unit_educator_sees_only_their_persons_on_the_planning(world, educator, client, login):
    make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], title="Chez Anne")
    make(educator, world.ehpad, at(2, 12), at(2, 13), persons=[world.bruno], title="Chez Bruno")
    login(world.user("educateur", facility=world.ehpad, unit=world.glycines))
    page = client.get(
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}),
        {"date": "2026-03-02"},
    ).content.decode()
    assert "Chez Anne" in page and "Chez Bruno" not in page


def test_outsiders_get_403_with_an_audit_row(world, educator, client, login):
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    login(world.user("educateur", facility=world.ime))
    for url in (
        reverse("agenda:detail", kwargs={"pk": event.pk}),
        reverse("agenda:person", kwargs={"pk": world.anne.pk}),
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}),
    ):
        denied = AuditEvent.objects.filter(action="access.denied").count()
        assert client.get(url).status_code == 403
        assert AuditEvent.objects.filter(action="access.denied").count() == denied + 1
    response = client.post(
        reverse("agenda:status", kwargs={"pk": event.pk}), {"status": "ANNULE", "reason": "x"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.status == "PLANIFIE"


def test_reader_without_the_category_does_not_see_the_report(world, educator, client, login):
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    Event.objects.filter(pk=event.pk).update(report="Texte confidentiel", category="psychological")
    login(educator)
    page = client.get(reverse("agenda:detail", kwargs={"pk": event.pk})).content.decode()
    assert "Texte confidentiel" not in page and "ne donne pas accès" in page


def test_concurrent_edits_answer_409(world, educator, client, login):
    event = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    login(educator)
    status_url = reverse("agenda:status", kwargs={"pk": event.pk})
    assert client.post(status_url, {"status": "VALIDE", "expected_version": 1}).status_code == 302
    response = client.post(status_url, {"status": "TERMINE", "expected_version": 1})
    assert response.status_code == 409
    edit_url = reverse("agenda:edit", kwargs={"pk": event.pk})
    values = {**_form(world, educator, title="Autre"), "expected_version": 1, "scope": "une"}
    response = client.post(edit_url, values)
    assert response.status_code == 409
    event.refresh_from_db()
    assert (event.status, event.title, event.version) == ("VALIDE", "Atelier mémoire", 2)
    response = client.post(edit_url, {**values, "expected_version": 2})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Autre"


def test_presence_and_report_through_the_page(world, educator, client, login):
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    login(educator)
    client.post(
        reverse("agenda:presence", kwargs={"pk": event.pk}),
        {f"presence_{world.anne.pk}": "oui", "expected_version": 1},
    )
    client.post(
        reverse("agenda:report", kwargs={"pk": event.pk}),
        {"report": "Très bonne participation.", "expected_version": 2},
    )
    event.refresh_from_db()
    assert EventParticipant.objects.get(event=event).present == "oui"
    assert event.report == "Très bonne participation." and event.version == 3


def _many(world, educator, count):
    """`count` events this week with two persons and a professional, built in bulk."""
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    start0 = dt.datetime.combine(monday, dt.time(8)).replace(tzinfo=at(2, 0).tzinfo)
    events = Event.objects.bulk_create(
        [
            Event(
                facility=world.ehpad,
                unit=world.glycines if i % 2 else world.lilas,
                kind="activite",
                title=f"Activité {i}",
                start=start0 + dt.timedelta(hours=i % 60),
                end=start0 + dt.timedelta(hours=i % 60, minutes=45),
            )
            for i in range(count)
        ]
    )
    EventParticipant.objects.bulk_create(
        [
            EventParticipant(event=e, person=p, start=e.start)
            for e in events
            for p in (world.anne, world.bruno)
        ]
    )
    EventProfessional.objects.bulk_create(
        [EventProfessional(event=e, user=educator, start=e.start, end=e.end) for e in events]
    )


@pytest.mark.parametrize("count", [5, 120])
def test_pages_issue_a_bounded_number_of_queries(
    world, educator, client, login, django_assert_max_num_queries, count
):
    _many(world, educator, count)
    login(educator)
    today = timezone.localdate().isoformat()
    urls = [
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}) + f"?date={today}",
        reverse("agenda:planning_day", kwargs={"facility_pk": world.ehpad.pk}) + f"?date={today}",
        reverse("agenda:mine"),
        reverse("agenda:person", kwargs={"pk": world.anne.pk}),
    ]
    for url in urls:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
    event = Event.objects.first()
    with django_assert_max_num_queries(22):
        assert client.get(reverse("agenda:detail", kwargs={"pk": event.pk})).status_code == 200


def test_person_agenda_queries_do_not_grow_with_the_readers_facilities(world, client, login):
    """A director of the whole organisation: one more facility must not cost a query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opendui.organisations.models import Facility
    from tests.conftest import valid_finess

    director = world.user("directeur", organisation=world.og)
    login(director)
    url = reverse("agenda:person", kwargs={"pk": world.anne.pk})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for number in range(6):
        Facility.objects.create(
            organisation=world.og,
            name=f"Service {number}",
            finess_et=valid_finess(f"7500010{number}"),
            category=world.ehpad.category,
            couloir=world.ehpad.couloir,
        )
    assert queries() == before
