"""The duplicate check of the creation form stays within the reader's scope, is audited,
and lets the professional alert the identity-vigilance referent about the rest."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client

from opendui.audit.models import AuditEvent
from opendui.persons.models import Person
from opendui.persons.models_alerts import AlertStatus, IdentityAlert

from .test_create import URL, _form

ALERT_URL = "/personnes/nouveau/signalement/"
ALERTS_PAGE = "/personnes/fusions/signalements/"


@pytest.fixture
def fontaine(world):
    """An IME child, out of the EHPAD secretary's scope."""
    return world.person(
        world.ime,
        birth_name="FONTAINE",
        first_name="Alice",
        birth_date=dt.date(2010, 7, 26),
        birth_first_names="Alice Marie",
    )


@pytest.fixture
def secretary(world, login):
    return login(world.user("accueil", facility=world.ehpad))


def created(fontaine):
    """Records of FONTAINE created by the test (the fixture's one aside)."""
    return Person.objects.filter(birth_name__iexact="Fontaine").exclude(pk=fontaine.pk)


def _fontaine_again(client, **extra):
    return _form(
        client,
        birth_name="Fontaine",
        birth_first_names="Alice",
        birth_date="2010-07-26",
        **extra,
    )


def test_a_record_out_of_scope_is_reported_without_its_identity(world, fontaine, secretary):
    assert secretary.get(f"/personnes/{fontaine.pk}/").status_code == 403
    response = secretary.post(URL, _fontaine_again(secretary))
    body = html.unescape(response.content.decode())
    assert response.status_code == 200 and not created(fontaine)
    assert response.context["candidates"] == []
    assert "Un dossier proche existe dans un autre établissement de l'organisme" in body
    for trait in ("FONTAINE Alice", "26/07/2010", fontaine.local_id, "%", str(fontaine.pk)):
        assert trait not in body.split("Doublons possibles")[1], trait
    assert "Signaler au référent en identitovigilance" in body


def test_every_check_is_audited_with_the_persons_it_matched(world, fontaine, secretary):
    near = world.person(
        world.ehpad, birth_name="FONTAINE", first_name="Alice", birth_date=dt.date(2010, 7, 26)
    )
    secretary.post(URL, _fontaine_again(secretary))
    event = AuditEvent.objects.filter(action="person.duplicate_check").latest("seq")
    assert event.kind == "access" and event.facility_id == world.ehpad.pk
    assert sorted(event.person_ids) == sorted([fontaine.pk, near.pk])
    assert event.details == {"shown": [near.pk], "elsewhere": [fontaine.pk]}
    # A check that matches nobody is recorded too.
    secretary.post(URL, _form(secretary, birth_name="Zyzomys", birth_date="1950-01-01"))
    empty = AuditEvent.objects.filter(action="person.duplicate_check").latest("seq")
    assert empty.seq > event.seq and empty.person_ids == [] and empty.details["shown"] == []


def test_the_record_outside_blocks_until_confirmed(world, fontaine, secretary):
    data = _fontaine_again(secretary)
    assert secretary.post(URL, data).status_code == 200
    response = secretary.post(URL, {**data, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert created(fontaine).count() == 1


def test_the_alert_reaches_the_referent_with_the_records_the_secretary_cannot_see(
    world, fontaine, secretary
):
    data = _fontaine_again(secretary)
    response = secretary.post(ALERT_URL, data)
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Le référent en identitovigilance est alerté" in body
    assert "FONTAINE Alice" not in body and fontaine.local_id not in body
    alert = IdentityAlert.objects.get()
    assert list(alert.matches.all()) == [fontaine]
    assert alert.entered["birth_name"].upper() == "FONTAINE" and alert.status == AlertStatus.OPEN
    assert alert.facility == world.ehpad
    raised = AuditEvent.objects.get(action="identity_alert.create")
    assert raised.person_ids == [fontaine.pk] and raised.kind == "change"
    assert not created(fontaine).exists()
    # A second click joins the open alert; the form still creates the record afterwards.
    secretary.post(ALERT_URL, data)
    assert IdentityAlert.objects.count() == 1
    assert secretary.post(URL, {**data, "confirm_not_duplicate": "on"}).status_code == 302

    referent = Client()
    referent.force_login(world.user("identitovigilance"))
    page = referent.get(ALERTS_PAGE)
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert f"FONTAINE Alice ({fontaine.local_id}), né·e le 26/07/2010" in text
    assert "né·e le 26/07/2010" in text and "Féminin" in text
    listed = AuditEvent.objects.filter(action="identity_alert.list").latest("seq")
    assert listed.person_ids == [fontaine.pk]

    url = f"{ALERTS_PAGE}{alert.pk}/traiter/"
    refused = referent.post(url, {"comment": "", "expected_version": alert.version})
    assert refused.status_code == 400
    assert "Indiquez la suite donnée" in html.unescape(refused.content.decode())
    done = referent.post(url, {"comment": "Fusion proposée", "expected_version": alert.version})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED and alert.closing_comment == "Fusion proposée"
    closed = AuditEvent.objects.get(action="identity_alert.close")
    assert closed.person_ids == [fontaine.pk]


def test_nothing_to_alert_about_when_every_match_is_in_scope(world, secretary):
    data = _form(secretary, birth_name="MARTIN", birth_first_names="Anne", birth_date="1940-05-17")
    response = secretary.post(ALERT_URL, data)
    assert "rien à signaler" in html.unescape(response.content.decode())
    assert not IdentityAlert.objects.exists()


def test_alerts_are_for_creators_and_referents_only(world, fontaine, login):
    educator = login(world.user("educateur", facility=world.ehpad))
    data = {"facility": world.ehpad.pk, "birth_name": "Fontaine", "birth_date": "2010-07-26"}
    assert educator.post(ALERT_URL, data).status_code == 403
    assert educator.get(ALERTS_PAGE).status_code == 403
    other_secretary = Client()
    other_secretary.force_login(world.user("accueil", facility=world.ime))
    # Not in a facility of theirs: refused, whatever the page sent.
    assert other_secretary.post(ALERT_URL, {**data, "facility": world.ehpad.pk}).status_code == 403
    other_referent = Client()
    other_referent.force_login(world.user("identitovigilance", organisation=world.other_og))
    assert other_referent.get(ALERTS_PAGE).context["rows"] == []
    assert not IdentityAlert.objects.exists()


def _alert(world, person, number: int) -> IdentityAlert:
    from django.utils import timezone

    alert = IdentityAlert.objects.create(
        organisation=world.og,
        facility=world.ehpad,
        raised_by=world.user("accueil", facility=world.ehpad),
        raised_at=timezone.now(),
        entered={"birth_name": f"Nom{number}", "birth_date": "2010-07-26", "sex": "F"},
        entered_key=f"{number:064d}",
    )
    alert.matches.set([person])
    return alert


def test_the_referent_page_costs_the_same_queries_for_1_or_10_alerts(world, fontaine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    referent = Client()
    referent.force_login(world.user("identitovigilance"))
    referent.get("/")
    _alert(world, fontaine, 0)
    with CaptureQueriesContext(connection) as one:
        assert referent.get(ALERTS_PAGE).status_code == 200
    for number in range(1, 10):
        _alert(world, world.chloe if number % 2 else fontaine, number)
    with CaptureQueriesContext(connection) as ten:
        page = referent.get(ALERTS_PAGE)
    assert len(page.context["rows"]) == 10
    assert len(ten) == len(one)
    # Session, user, grants, facilities of the switcher, alerts, their records; the audit
    # event (chain head, event, person index, head: 4 on SQLite, in a savepoint).
    assert len(one) <= 12


def test_a_record_archived_where_the_secretary_may_open_archives_is_shown(world, secretary):
    """The secretariat holds person.view_archived: a resident gone a year ago is shown."""
    from opendui.stays.models import Stay

    Stay.objects.filter(person=world.anne).update(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2021, 1, 1)
    )
    data = _form(secretary, birth_name="MARTIN", birth_first_names="Anne", birth_date="1940-05-17")
    response = secretary.post(URL, data)
    assert world.anne in [p for p, _ in response.context["candidates"]]
    assert not response.context["elsewhere"]
