"""The "Administratif" tab, its forms, the home panel and the record's alerts."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.utils import timezone

from opendui.administrative import services
from opendui.administrative.models import Address, AddressKind, Coverage, Profile, Right, RightKind
from opendui.administrative.record import rights_banner
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.persons.sections import RecordReading
from opendui.stays.models import AdmissionRequest

from .conftest import nir


def page_url(person) -> str:
    return f"/administratif/personne/{person.pk}/"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def add_url(person, kind) -> str:
    return f"{page_url(person)}{kind}/ajouter/"


def post_new(client, person, kind, data):
    token = client.get(add_url(person, kind)).context["form_token"]
    return client.post(add_url(person, kind), {**data, "form_token": token})


ADDRESS = {
    "kind": "domicile",
    "line1": "3 place de la Mairie",
    "postal_code": "69001",
    "city": "",
    "commune_code": "69381",
    "country": "99100",
}


def right(person, user, kind=RightKind.AAH, end=None, **extra):
    return services.add_item(
        Actor(user=user),
        person,
        Right,
        kind=kind,
        start_date=dt.date(2024, 1, 1),
        end_date=end,
        **extra,
    )


def test_the_page_shows_every_section_and_is_audited_once(
    world, login, secretary, django_assert_max_num_queries
):
    services.add_item(Actor(user=secretary), world.anne, Address, **{**ADDRESS, "city": "Lyon"})
    right(world.anne, secretary, end=timezone.localdate() + dt.timedelta(days=10))
    client = login(secretary)
    before = AuditEvent.objects.filter(action="administrative.view").count()
    # 25 on SQLite: the page's own reads, the record banner and tabs (persons.sections) and
    # the professionals of the directory (one query); the rights and MDPH decisions are
    # read once for the page and the banner (RecordReading.shared).
    with django_assert_max_num_queries(25):
        response = client.get(page_url(world.anne))
    assert response.status_code == 200
    body = text(response)
    for heading in ["Coordonnées", "Photo", "Couverture sociale", "Droits et prestations"]:
        assert f">{heading}</h2>" in body
    assert "3 place de la Mairie" in body and "AAH" in body
    assert "droit à renouveler" in body
    assert AuditEvent.objects.filter(action="administrative.view").count() == before + 1


def test_the_page_query_count_does_not_grow_with_rows(
    world, login, secretary, django_assert_max_num_queries
):
    for i in range(15):
        services.add_item(
            Actor(user=secretary), world.anne, Address, **{**ADDRESS, "line1": f"{i} rue Haute"}
        )
        right(
            world.anne,
            secretary,
            kind=RightKind.RQTH,
            end=dt.date(2030, 1, 1) + dt.timedelta(days=i),
        )
    client = login(secretary)
    with django_assert_max_num_queries(25):  # the same as with one row of each
        assert client.get(page_url(world.anne)).status_code == 200


def test_a_secretary_adds_an_address_with_a_one_time_token(world, login, secretary):
    client = login(secretary)
    token = client.get(add_url(world.anne, "adresse")).context["form_token"]
    response = client.post(add_url(world.anne, "adresse"), {**ADDRESS, "form_token": token})
    assert response.status_code == 302
    row = Address.objects.get()
    assert row.city == "Lyon 1er Arrondissement" and row.kind == AddressKind.DOMICILE
    replay = client.post(add_url(world.anne, "adresse"), {**ADDRESS, "form_token": token})
    assert replay.status_code == 302 and Address.objects.count() == 1


def test_bad_input_gets_french_errors_and_saves_nothing(world, login, secretary):
    client = login(secretary)
    response = post_new(client, world.anne, "telephone", {"kind": "mobile", "number": "12"})
    assert response.status_code == 200
    assert "numéro français à 10 chiffres" in text(response)
    response = post_new(
        client,
        world.anne,
        "couverture",
        {
            "regime": "01",
            "start_date": "2024-01-01",
            "insured_is_person": "on",
            "insured_nir": "123",
            "organisation_code": "12",
        },
    )
    body = text(response)
    assert "9 chiffres" in body and "ne se renseigne que si" in body
    assert not Coverage.objects.exists()


def test_coverage_and_right_through_the_forms(world, login, secretary):
    client = login(secretary)
    response = post_new(
        client,
        world.anne,
        "couverture",
        {
            "regime": "01",
            "organisation_code": "011751234",
            "start_date": "2024-01-01",
            "beneficiary_nir": nir(),
            "insured_is_person": "on",
        },
    )
    assert response.status_code == 302, text(response)
    response = post_new(
        client,
        world.anne,
        "droit",
        {"kind": "ash", "department": "69", "start_date": "2024-01-01", "end_date": "2029-01-01"},
    )
    assert response.status_code == 302, text(response)
    assert Right.objects.get().department == "69"


def test_a_concurrent_edit_is_a_409(world, login, secretary):
    row = right(world.anne, secretary, end=dt.date(2027, 1, 1))
    client = login(secretary)
    url = f"{page_url(world.anne)}droit/{row.pk}/modifier/"
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"end_date": "2028-01-01", "start_date": "2024-01-01"})
    data = {k: v for k, v in data.items() if v is not False}
    services.update_item(
        Actor(user=secretary), row, expected_version=row.version, end_date=dt.date(2027, 6, 1)
    )
    response = client.post(url, data)
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    row.refresh_from_db()
    assert row.end_date == dt.date(2027, 6, 1)


def test_correcting_an_address_shows_the_history(world, login, secretary):
    row = services.add_item(
        Actor(user=secretary), world.anne, Address, **{**ADDRESS, "city": "Lyon"}
    )
    client = login(secretary)
    url = f"{page_url(world.anne)}adresse/{row.pk}/modifier/"
    data = {**ADDRESS, "city": "Lyon", "line1": "5 place de la Mairie", "expected_version": 1}
    assert client.post(url, data).status_code == 302
    body = text(client.get(page_url(world.anne)))
    assert "Historique des coordonnées" in body and "3 place de la Mairie" in body
    assert "5 place de la Mairie" in body


def test_profile_is_created_then_versioned(world, login, secretary):
    client = login(secretary)
    url = f"{page_url(world.anne)}profil/"
    data = {
        "preferred_language": "fsl",
        "interpreter_needed": "on",
        "nationality": "99100",
        "family_situation": "veuf",
        "expected_version": 0,
    }
    assert client.post(url, data).status_code == 302
    profile = Profile.objects.get()
    assert profile.language_name.startswith("langue des signes")
    assert client.post(url, {**data, "family_situation": "marie"}).status_code == 409
    assert (
        client.post(url, {**data, "expected_version": 1, "nationality": "99999"}).status_code == 200
    )
    body = text(client.get(page_url(world.anne)))
    assert "interprète nécessaire" in body and "Veuf·ve" in body


def test_an_educator_reads_but_cannot_edit(world, login, educator, secretary):
    row = services.add_item(
        Actor(user=secretary), world.anne, Address, **{**ADDRESS, "city": "Lyon"}
    )
    client = login(educator)
    response = client.get(page_url(world.anne))
    assert response.status_code == 200
    assert "Ajouter une adresse" not in text(response)
    assert client.get(add_url(world.anne, "adresse")).status_code == 403
    assert client.post(add_url(world.anne, "adresse"), ADDRESS).status_code == 403
    edit = f"{page_url(world.anne)}adresse/{row.pk}/modifier/"
    assert client.post(edit, {**ADDRESS, "expected_version": 1}).status_code == 403
    assert Address.objects.count() == 1


def test_ids_tampered_across_records_are_refused(world, login, secretary):
    chloe_row = services.add_item(
        Actor(user=world.user("accueil", facility=world.ime)),
        world.chloe,
        Address,
        **{**ADDRESS, "city": "Lyon"},
    )
    client = login(secretary)
    # Another facility's person: refused.
    assert client.get(page_url(world.chloe)).status_code == 403
    # Anne's page with Chloé's row id: not found (rows are looked up within the person).
    tampered = f"{page_url(world.anne)}adresse/{chloe_row.pk}/modifier/"
    assert client.post(tampered, {**ADDRESS, "expected_version": 1}).status_code == 404
    assert client.get(f"{page_url(world.anne)}inconnu/ajouter/").status_code == 404
    chloe_row.refresh_from_db()
    assert chloe_row.replaced_by_id is None


def test_rights_alerts_for_the_record(world, login, secretary, educator):
    today = timezone.localdate()
    right(world.anne, secretary, kind=RightKind.AAH, end=today + dt.timedelta(days=60))
    right(world.anne, secretary, kind=RightKind.RQTH, end=today + dt.timedelta(days=61))
    AdmissionRequest.objects.create(
        person=world.anne,
        facility=world.ehpad,
        received_on=dt.date(2024, 1, 1),
        mdph_decision_number="D-1",
        mdph_decision_date=dt.date(2024, 1, 1),
        mdph_category="13.3 MAS",
        mdph_valid_until=today - dt.timedelta(days=1),
    )
    # The banner counts them (the RQTH ends in 61 days: no alert yet)...
    banner = rights_banner(RecordReading(secretary, world.anne))
    assert banner is not None and banner.alerts == ("2 droits à renouveler",)
    outsider = world.user("educateur", facility=world.ime)
    assert rights_banner(RecordReading(outsider, world.anne)) is None
    # ... the page says which, soonest end first.
    body = text(login(secretary).get(page_url(world.anne)))
    section = re.search(r'aria-labelledby="rights-alerts-title".*?</section>', body, re.S)
    assert section is not None
    assert re.findall(r"<li>(.*?) : ", section.group()) == [
        "Orientation MDPH 13.3 MAS",
        "AAH (allocation aux adultes handicapés)",
    ]


@pytest.fixture
def chosen_ehpad(client):
    def choose(facility):
        session = client.session
        session["current_facility_id"] = facility.pk
        session.save()

    return choose


def test_home_panel_lists_expiring_rights_with_bounded_queries(
    world, login, secretary, django_assert_max_num_queries
):
    today = timezone.localdate()
    for i in range(12):
        person = world.person(world.ehpad, birth_name=f"NOM{i}", first_name="Jean")
        right(person, secretary, end=today + dt.timedelta(days=i))
    renewed = world.person(world.ehpad, birth_name="ZRENEWED")
    right(renewed, secretary, end=today + dt.timedelta(days=5))
    right(renewed, secretary, end=today + dt.timedelta(days=400))
    far = world.person(world.ehpad, birth_name="LOINTAIN")
    right(far, secretary, end=today + dt.timedelta(days=61))
    client = login(secretary)
    with django_assert_max_num_queries(30):
        response = client.get("/")
    body = text(response)
    assert "Droits à renouveler" in body
    assert "<strong>12</strong> droits" in body
    assert "ZRENEWED" not in body.upper()
    assert "LOINTAIN" not in body.upper()
    event = AuditEvent.objects.filter(action="administrative.rights_home").latest("pk")
    assert len(event.person_ids) == 10


def test_home_panel_not_shown_to_an_educator(world, login, educator, secretary):
    right(world.anne, secretary, end=timezone.localdate() + dt.timedelta(days=3))
    body = text(login(educator).get("/"))
    assert "Droits à renouveler" not in body


def test_every_form_posted_empty_or_hostile_never_answers_500(world, login, secretary):
    row = services.add_item(
        Actor(user=secretary), world.anne, Address, **{**ADDRESS, "city": "Lyon"}
    )
    client = login(secretary)
    base = page_url(world.anne)
    urls = [
        f"{base}profil/",
        f"{base}adresse/ajouter/",
        f"{base}droit/ajouter/",
        f"{base}couverture/ajouter/",
        f"{base}adresse/{row.pk}/modifier/",
        f"{base}adresse/{row.pk}/fin/",
        f"{base}droit/{row.pk}/fin/",
        f"{base}photo/",
        f"{base}photo/consentement/",
        f"{base}photo/consentement/99999999999/retrait/",
    ]
    hostile = {
        "expected_version": "99999999999999999999",
        "start_date": "9999-12-31",
        "end_date": "0001-01-01",
        "valid_until": "\x00",
        "kind": "\x00",
        "regime": "9" * 50,
        "number": "+" + "9" * 40,
        "representative": "99999999999999999999",
    }
    for url in urls:
        for data in ({}, hostile):
            assert client.post(url, data).status_code < 500, (url, data)
    row.refresh_from_db()
    assert row.replaced_by_id is None and Address.objects.count() == 1
