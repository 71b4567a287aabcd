"""The activity report pages: permission, year choice, CSV/PDF exports, audit, queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.stays.models import Stay

TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1


@pytest.fixture
def chief(world, login):
    """A chef de service of world.ehpad, logged in."""
    return login(world.user("chef-de-service", facility=world.ehpad))


def url(name, world, **query):
    base = reverse(f"pilotage:{name}", kwargs={"facility_pk": world.ehpad.pk})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_last_complete_year_is_shown_and_the_read_is_audited(world, chief):
    Stay.objects.filter(facility=world.ehpad).update(mode="hebergement_permanent")
    response = chief.get(url("activity_report", world))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.year == LAST_YEAR
    assert report.file_active == 2  # anne and bruno, since 2024
    html = response.content.decode()
    assert "<caption>Répartition par GIR" in html
    assert "hébergement permanent" in html
    event = AuditEvent.objects.filter(action="pilotage.activity_report").get()
    assert event.facility_id == world.ehpad.pk
    assert event.details == {"annee": LAST_YEAR, "format": "html"}
    assert event.person_ids == []  # aggregates only: no person concerned


def test_the_year_in_progress_is_allowed(world, chief):
    response = chief.get(url("activity_report", world, annee=TODAY.year))
    assert response.status_code == 200
    assert response.context["report"].in_progress
    assert "en cours" in response.content.decode()


@pytest.mark.parametrize(
    ("year", "message"),
    [(TODAY.year + 1, "n&#x27;a pas commencé"), ("20x5", "Année invalide"), ("", "Année invalide")],
)
def test_a_bad_year_is_refused_in_french_and_not_audited(world, chief, year, message):
    response = chief.get(url("activity_report", world, annee=year))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "report" not in response.context
    assert not AuditEvent.objects.filter(action="pilotage.activity_report").exists()
    csv_response = chief.get(url("activity_csv", world, annee=year))
    assert csv_response.status_code == 400
    assert message.replace("&#x27;", "'") in csv_response.content.decode()


@pytest.mark.parametrize("role", ["directeur", "chef-de-service"])
def test_holders_of_pilotage_view_may_read(world, login, role):
    client = login(world.user(role, facility=world.ehpad))
    assert client.get(url("activity_report", world)).status_code == 200
    home = client.get(reverse("pilotage:activity_home"))
    assert home.status_code == 200
    assert list(home.context["facilities"]) == [world.ehpad]


@pytest.mark.parametrize("role", ["educateur", "infirmier", "admin"])
def test_others_are_refused(world, login, role):
    client = login(world.user(role, facility=world.ehpad))
    assert client.get(url("activity_report", world)).status_code == 403
    assert client.get(url("activity_csv", world)).status_code == 403


def test_a_chief_of_another_facility_is_refused(world, login):
    client = login(world.user("chef-de-service", facility=world.ime))
    for name in ("activity_report", "activity_csv", "activity_pdf"):
        assert client.get(url(name, world)).status_code == 403


def test_csv_export(world, chief):
    Stay.objects.filter(facility=world.ehpad).update(mode="hebergement_permanent")
    response = chief.get(url("activity_csv", world, annee=2024))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"rapport-activite-{world.ehpad.finess_et}-2024.csv" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for spreadsheets
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["FINESS géographique", "Année", "Rubrique", "Ligne", "Indicateur", "Valeur"]
    by_key = {(r[2], r[3], r[4]): r[5] for r in rows[1:]}
    assert all(r[0] == world.ehpad.finess_et and r[1] == "2024" for r in rows[1:])
    assert by_key[("File active", "Total", "Personnes")] == "2"
    mode = ("Activité par mode d'accueil", "hébergement permanent")
    assert by_key[(*mode, "Journées de séjour")] == "732"  # 2 × 366
    assert by_key[(*mode, "Taux d'occupation (%)")] == "2,5"  # 732 / (80 × 366), decimal comma
    assert by_key[("GIR au 31/12/2024", "GMP", "GMP")] == "non calculable"
    event = AuditEvent.objects.filter(action="pilotage.activity_report").get()
    assert event.details == {"annee": 2024, "format": "csv"}


def test_pdf_export(world, chief):
    response = chief.get(url("activity_pdf", world, annee=2024))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="pilotage.activity_report").get().details == {
        "annee": 2024,
        "format": "pdf",
    }


def _page_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_page_queries_are_bounded_and_do_not_grow(world, chief, django_assert_max_num_queries):
    address = url("activity_report", world, annee=2024)
    # Session, user, assignments, the user's facilities, the facility; the report's seven
    # aggregates; the audit event (four statements on PostgreSQL, five on SQLite).
    with django_assert_max_num_queries(17):
        chief.get(address)
    before = _page_queries(chief, address)
    for index in range(25):
        person = world.person(world.ehpad, birth_name=f"NOM{index}")
        Stay.objects.filter(person=person).update(start_date=dt.date(2024, 2, 1 + index))
    assert _page_queries(chief, address) == before
