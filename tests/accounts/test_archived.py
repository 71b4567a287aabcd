"""Access ends after a person leaves: a facility's (or unit's) professionals see a record
while a stay or an admission request there is current, and for
OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS after it ended; then the record is archived for that
facility and opens only with person.view_archived (or break-the-glass). Lists and pages
agree: both come from accounts.access.scope_for."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.accounts.access import check
from opendui.audit.models import AuditEvent
from opendui.persons.selectors import visible_persons
from opendui.stays.archiving import is_current
from opendui.stays.models import AdmissionRequest, Stay

TODAY = timezone.localdate


def ago(days: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days)


def discharge(person, days_ago: int, **where) -> None:
    """End the person's stays (all, or those matching `where`) `days_ago` days ago."""
    Stay.objects.filter(person=person, **where).update(
        start_date=ago(days_ago + 400), end_date=ago(days_ago)
    )


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_carer_loses_the_record_of_a_resident_discharged_11_months_ago(world):
    carer = world.user("aide-soignant", facility=world.ehpad)
    discharge(world.anne, 335)
    assert not check(carer, "person.view_identity", person=world.anne)
    assert client_of(carer).get(f"/personnes/{world.anne.pk}/").status_code == 403
    assert world.anne not in visible_persons(carer)
    assert world.anne not in visible_persons(carer, world.ehpad, archived=True)


def test_access_lasts_the_configured_period_after_the_discharge(world, settings):
    carer = world.user("aide-soignant", facility=world.ehpad)
    discharge(world.anne, 30)
    assert check(carer, "person.view_identity", person=world.anne)  # default: 30 days
    discharge(world.anne, 31)
    world.anne.__dict__.pop("_opendui_placements", None)  # cached on the instance
    assert not check(carer, "person.view_identity", person=world.anne)
    settings.ACCESS_AFTER_DISCHARGE_DAYS = 60
    assert check(carer, "person.view_identity", person=world.anne)
    assert world.anne in visible_persons(carer)


def test_a_readmission_makes_the_record_current_again(world):
    carer = world.user("aide-soignant", facility=world.ehpad)
    discharge(world.anne, 200)
    Stay.objects.create(person=world.anne, facility=world.ehpad, start_date=TODAY())
    assert check(carer, "person.view_identity", person=world.anne)
    assert world.anne in visible_persons(carer, world.ehpad)


def test_a_unit_scope_follows_the_stays_in_the_unit(world):
    carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    discharge(world.anne, 100)
    assert not check(carer, "person.view_identity", person=world.anne)
    # Back in the EHPAD, but in another unit: still not in the carer's unit.
    Stay.objects.create(
        person=world.anne, facility=world.ehpad, unit=world.lilas, start_date=TODAY()
    )
    world.anne.__dict__.pop("_opendui_placements", None)
    assert not check(carer, "person.view_identity", person=world.anne)
    Stay.objects.create(
        person=world.anne, facility=world.ehpad, unit=world.glycines, start_date=TODAY()
    )
    world.anne.__dict__.pop("_opendui_placements", None)
    assert check(carer, "person.view_identity", person=world.anne)
    assert world.anne in visible_persons(carer)


def test_an_admission_request_counts_while_open(world, newcomer_request):
    secretary_of_ime = world.user("educateur", facility=world.ime)
    person, request = newcomer_request
    assert check(secretary_of_ime, "person.view_identity", person=person)
    request.status = "refusee"
    request.save()
    # Refused today: still current for the grace period, then archived.
    assert world.ime.pk in {f for f, _, _ in _placements(person)}
    AdmissionRequest.objects.filter(pk=request.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=45)
    )
    person.__dict__.pop("_opendui_placements", None)
    assert not check(secretary_of_ime, "person.view_identity", person=person)


def _placements(person):
    from opendui.accounts.access import person_placements

    person.__dict__.pop("_opendui_placements", None)
    return person_placements(person)


@pytest.fixture
def newcomer_request(world):
    from opendui.persons.models import Person

    person = Person.objects.create(
        organisation=world.og,
        local_id="NEW001",
        birth_name="NOUVEAU",
        first_name="Léo",
        birth_date=dt.date(2014, 2, 1),
        sex="M",
    )
    request = AdmissionRequest.objects.create(
        person=person, facility=world.ime, received_on=ago(10)
    )
    return person, request


@pytest.mark.parametrize("role", ["accueil", "medecin", "directeur"])
def test_holders_of_view_archived_open_the_record_marked_archived(world, role):
    reader = world.user(role, facility=world.ehpad)
    discharge(world.anne, 335)
    decision = check(reader, "person.view_identity", person=world.anne)
    assert decision.allowed and decision.archived
    response = client_of(reader).get(f"/personnes/{world.anne.pk}/")
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Archivé" in body and "Dossier archivé pour votre établissement" in body
    event = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert event.details.get("archived") is True
    # A current record shows no such banner.
    current = client_of(reader).get(f"/personnes/{world.bruno.pk}/").content.decode()
    assert "Dossier archivé" not in html.unescape(current)


def test_view_archived_opens_archives_only_where_it_is_held(world):
    """A physician of the IME does not open the EHPAD's archives."""
    physician = world.user("medecin", facility=world.ime)
    discharge(world.chloe, 335)
    Stay.objects.create(
        person=world.chloe,
        facility=world.ehpad,
        start_date=ago(600),
        end_date=ago(500),
    )
    assert check(physician, "person.view_identity", person=world.chloe).archived
    assert not check(physician, "person.view_identity", person=world.anne)
    # Data categories follow: the same archived reach, no more.
    assert check(physician, "person.view_medical", person=world.chloe)


def test_the_list_hides_archived_records_unless_asked_by_a_holder(world, login):
    discharge(world.anne, 335)
    secretary = login(world.user("accueil", facility=world.ehpad))
    listed = secretary.get("/personnes/")
    names = [row.pk for row in listed.context["persons"]]
    assert world.anne.pk not in names and world.bruno.pk in names
    assert "Inclure les dossiers archivés" in html.unescape(listed.content.decode())
    both = secretary.get("/personnes/", {"archives": "on"})
    rows = {row.pk: row for row in both.context["persons"]}
    assert rows[world.anne.pk].archived and not rows[world.bruno.pk].archived
    assert "Archivé</span>" in both.content.decode()
    assert AuditEvent.objects.filter(action="person.list").latest("seq").details["archived"]

    carer = Client()
    carer.force_login(world.user("aide-soignant", facility=world.ehpad))
    page = carer.get("/personnes/", {"archives": "on"})
    assert world.anne.pk not in [row.pk for row in page.context["persons"]]
    assert "Inclure les dossiers archivés" not in html.unescape(page.content.decode())


def test_the_list_with_archives_costs_one_query_more_whatever_the_rows(world, login):
    """Which rows are archived is read for the page's persons only (one query)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    secretary = login(world.user("accueil", facility=world.ehpad))
    discharge(world.anne, 335)
    with CaptureQueriesContext(connection) as plain:
        secretary.get("/personnes/")
    with CaptureQueriesContext(connection) as archived:
        secretary.get("/personnes/", {"archives": "on"})
    for number in range(20):
        person = world.person(world.ehpad, birth_name=f"ANCIEN{number}")
        discharge(person, 100 + number)
    with CaptureQueriesContext(connection) as more:
        page = secretary.get("/personnes/", {"archives": "on"})
    assert sum(row.archived for row in page.context["persons"]) == 21
    assert len(archived) == len(plain) + 1 == len(more)


# --- lists and pages agree with the pure rule ----------------------------------------------

ROLE_PLACES = st.sampled_from(
    [
        ("aide-soignant", "ehpad", None),
        ("aide-soignant", "ehpad", "glycines"),
        ("accueil", "ehpad", None),  # holds person.view_archived
        ("medecin", "ehpad", "glycines"),  # holds person.view_archived, in one unit
        ("educateur", "ime", None),
    ]
)
ENDS = st.one_of(st.none(), st.integers(0, 90))  # days ago (None: not ended)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    role_place=ROLE_PLACES,
    stays=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["glycines", "lilas", "ime"]), ENDS),
        max_size=6,
    ),
    grace=st.integers(0, 60),
)
def test_lists_pages_and_the_pure_rule_agree(world, role_place, stays, grace):
    from django.conf import settings as django_settings
    from django.db import transaction

    from opendui.accounts.models import Role, User

    role, facility_name, unit_name = role_place
    persons = [world.anne, world.bruno, world.chloe]
    units = {"glycines": world.glycines, "lilas": world.lilas, "ime": None}
    original = django_settings.ACCESS_AFTER_DISCHARGE_DAYS
    django_settings.ACCESS_AFTER_DISCHARGE_DAYS = grace
    try:
        with transaction.atomic():
            Stay.objects.filter(person__in=persons).delete()
            for p, place, end in stays:
                Stay.objects.create(
                    person=persons[p],
                    facility=world.ime if place == "ime" else world.ehpad,
                    unit=units[place],
                    start_date=ago(400),
                    end_date=None if end is None else ago(end),
                )
            reader = world.user(
                role,
                facility=getattr(world, facility_name),
                unit=getattr(world, unit_name) if unit_name else None,
            )
            holds_archives = "person.view_archived" in Role.objects.get(code=role).permissions
            listed = set(visible_persons(reader))
            with_archives = set(visible_persons(reader, archived=True))
            for person in persons:
                # The pure rule: the stays the reader's assignment reaches, current or not.
                reached = [
                    None if end is None else ago(end)
                    for p, place, end in stays
                    if persons[p] == person
                    and (place == "ime") == (facility_name == "ime")
                    and (unit_name is None or place == unit_name)
                ]
                current = any(is_current(end, grace, TODAY()) for end in reached)
                expected_page = current or (bool(reached) and holds_archives)
                fresh = User.objects.get(pk=reader.pk)
                decision = check(
                    fresh, "person.view_identity", person=type(person).objects.get(pk=person.pk)
                )
                assert decision.allowed is expected_page, (person, reached)
                assert decision.archived is (expected_page and not current)
                assert (person in listed) is current
                assert (person in with_archives) is expected_page
            transaction.set_rollback(True)
    finally:
        django_settings.ACCESS_AFTER_DISCHARGE_DAYS = original
