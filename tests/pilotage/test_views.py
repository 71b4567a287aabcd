"""Pilotage pages: who sees what, bounded queries, drill-down audited, proofs exported."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opendui.agenda.models import EventChange
from opendui.audit.models import AuditEvent
from opendui.pilotage.definitions import Period
from opendui.pilotage.models import ProjectChange, RecordActivity

LAST = Period.last_ended(timezone.localdate())
MONTH = f"{LAST.start:%Y-%m}"


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def usage(world):
    """Last month in the EHPAD: Anne's and Bruno's records updated; Anne has an agenda
    event and a running PP; Bruno has neither."""
    day = LAST.start + dt.timedelta(days=3)
    for person in (world.anne, world.bruno):
        RecordActivity.objects.create(person_id=person.pk, day=day)
    EventChange.objects.create(
        person_id=world.anne.pk,
        facility_id=world.ehpad.pk,
        event_id=1,
        changed_at=noon(day),
        kind="create",
    )
    ProjectChange.objects.create(
        project_id=1,
        person_id=world.anne.pk,
        facility_id=world.ehpad.pk,
        changed_at=noon(day),
        status="ENCOURS",
    )
    return world


@pytest.fixture
def director(usage):
    return usage.user("directeur", organisation=usage.og)


@pytest.mark.django_db
def test_facility_page_shows_the_five_indicators_with_charts(client, login, usage, director):
    login(director)
    url = reverse("pilotage:facility", args=[usage.ehpad.pk])
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(url)
    assert response.status_code == 200
    # Cold: the 12 months computed (2 queries each) and kept in one insert; warm: kept.
    assert len(cold) <= 40 and len(warm) <= 12, (len(cold), len(warm))
    results = {r.key: r for r in response.context["results"]}
    assert (results["dossiers_actifs"].numerator, results["dossiers_actifs"].denominator) == (2, 2)
    assert results["dossiers_actifs_pp"].numerator == 1
    assert str(results["dossiers_actifs_evenement"].rate) == "50.0"
    assert str(results["mssante"].rate) == "0.0" and results["mssante"].denominator == 1
    html = response.content.decode()
    assert html.count("<svg") == 5 and "stroke-dasharray" in html
    assert "personnes accompagnées dans la structure" in html
    # Each figure explains, in French, what it counts; no sending: said, never invented.
    assert html.count('<details class="definition"') == 10  # the table's five, the charts'
    assert html.count("<summary>Ce que compte ce chiffre") == 5
    assert "Numérateur : dossiers actifs, c&#x27;est-à-dire les personnes" in html
    assert html.count("Pas encore d&#x27;envoi") == 2
    response = client.get(reverse("pilotage:facility", args=[usage.ime.pk]))
    rates = [r.rate for r in response.context["results"]]
    assert str(rates[0]) == "0.0" and rates[1:] == [None] * 4  # Chloé: no active record
    assert "non calculable" in response.content.decode()


@pytest.mark.django_db
def test_sendings_count_persons_once_and_are_given_apart(client, login, usage, director):
    from opendui.documents.models import Sharing

    for _ in range(3):
        Sharing.objects.create(
            channel="MSSANTE",
            facility=usage.ehpad,
            person=usage.anne,
            sent_at=noon(LAST.start + dt.timedelta(days=4)),
        )
    login(director)
    response = client.get(reverse("pilotage:facility", args=[usage.ehpad.pk]), {"mois": MONTH})
    results = {r.key: r for r in response.context["results"]}
    # Anne (active, with a PP) counts once; three messages said apart.
    assert (results["mssante"].numerator, results["mssante"].denominator) == (1, 1)
    html = response.content.decode()
    assert "3 messages MSSanté acceptés sur la période" in html
    assert 'id="envois-mssante"' not in html and 'id="envois-dmp"' in html


@pytest.mark.django_db
def test_query_count_does_not_grow_with_facilities(client, login, usage, director):
    login(director)
    client.get(reverse("pilotage:home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("pilotage:home"))
    for index in range(3):
        type(usage.ehpad).objects.create(
            organisation=usage.og,
            name=f"SSIAD {index}",
            finess_et=f"75000{index}10",
            category=usage.ehpad.category,
            couloir=usage.ehpad.couloir,
        )
    with CaptureQueriesContext(connection) as cold:
        client.get(reverse("pilotage:home"))
    with CaptureQueriesContext(connection) as more:
        response = client.get(reverse("pilotage:home"))
    assert response.status_code == 200
    assert len(more) == len(few) <= 12
    assert len(cold) <= 40  # the new facilities' months, all facilities in each query


@pytest.mark.django_db
def test_kept_months_are_recomputed_after_a_stay_changes(client, login, usage, director):
    from opendui.pilotage.models import MonthlyMeasure

    login(director)
    url = reverse("pilotage:facility", args=[usage.ehpad.pk])
    before = {r.key: r for r in client.get(url).context["results"]}["dossiers_actifs"]
    assert (
        before.denominator == 2
        and MonthlyMeasure.objects.filter(facility_id=usage.ehpad.pk, month=LAST.start).exists()
    )
    stay = usage.bruno.stays.get()
    stay.end_date = LAST.start - dt.timedelta(days=1)  # discharge entered late
    stay.save()
    after = {r.key: r for r in client.get(url).context["results"]}["dossiers_actifs"]
    # Bruno left before the month: in neither its denominator nor its numerator (was 2 / 1).
    assert (after.numerator, after.denominator) == (1, 1)


@pytest.mark.django_db
def test_organisation_page_lists_facilities_below_target_first(client, login, usage, director):
    login(director)
    response = client.get(reverse("pilotage:home"), {"mois": MONTH})
    names = [place.name for place, _ in response.context["rows"]]
    # The IME misses all five targets (no record active), the EHPAD four.
    assert names == ["IME Les Sources", "EHPAD Les Tilleuls"]
    totals = {r.key: r for r in response.context["results"]}
    assert (totals["dossiers_actifs"].numerator, totals["dossiers_actifs"].denominator) == (2, 3)
    assert response.context["whole_organisation"] is True


@pytest.mark.django_db
def test_a_facility_chief_sees_only_their_facility(client, login, usage):
    chief = usage.user("chef-de-service", facility=usage.ime)
    login(chief)
    response = client.get(reverse("pilotage:home"))
    assert [p.name for p, _ in response.context["rows"]] == ["IME Les Sources"]
    assert response.context["whole_organisation"] is False
    assert client.get(reverse("pilotage:facility", args=[usage.ehpad.pk])).status_code == 403


@pytest.mark.django_db
def test_bad_month_is_said_and_the_last_month_shown(client, login, usage, director):
    login(director)
    response = client.get(reverse("pilotage:facility", args=[usage.ehpad.pk]), {"mois": "2999-01"})
    assert response.status_code == 200
    assert response.context["month"] == MONTH
    assert "dans le futur" in response.content.decode()


@pytest.mark.django_db
def test_drilldown_lists_records_without_event_and_is_audited(client, login, usage, director):
    login(director)
    url = reverse("pilotage:drilldown", args=[usage.ehpad.pk, "sans-evenement"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"mois": MONTH})
    assert response.status_code == 200 and len(queries) <= 12
    assert [p.pk for p in response.context["page_obj"].object_list] == [usage.bruno.pk]
    assert reverse("persons:detail", args=[usage.bruno.pk]) in response.content.decode()
    event = AuditEvent.objects.filter(action="pilotage.drilldown").get()
    assert event.person_ids == [usage.bruno.pk]
    url = reverse("pilotage:drilldown", args=[usage.ehpad.pk, "sans-pp"])
    assert [p.pk for p in client.get(url).context["page_obj"].object_list] == [usage.bruno.pk]
    url = reverse("pilotage:drilldown", args=[usage.ehpad.pk, "non-actifs"])
    assert client.get(url).context["page_obj"].object_list == []
    url = reverse("pilotage:drilldown", args=[usage.ehpad.pk, "autre"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_drilldown_shows_only_persons_in_the_readers_scope(client, login, usage):
    chief = usage.user("chef-de-service", facility=usage.ehpad, unit=usage.glycines)
    login(chief)
    url = reverse("pilotage:drilldown", args=[usage.ehpad.pk, "sans-evenement"])
    # Bruno lives in the other unit: the chief of the Glycines does not see his record.
    assert client.get(url).context["page_obj"].object_list == []


@pytest.mark.django_db
def test_csv_proof(client, login, usage, director):
    login(director)
    response = client.get(reverse("pilotage:proof_csv", args=[usage.ehpad.pk]), {"mois": MONTH})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["FINESS géographique", "Établissement", "Mois", "Indicateur"]
    assert len(lines) == 1 + 3 * 5
    last = [line.split(";") for line in lines if MONTH in line]
    assert last[2][3:9] == [
        "Taux de dossiers actifs ayant au moins un événement",
        "1",
        "2",
        "50,0",
        "90",
        "non",
    ]
    event = AuditEvent.objects.filter(action="pilotage.proof_export").get()
    assert event.details["format"] == "csv" and event.details["months"] == 3


@pytest.mark.django_db
def test_pdf_proof_for_all_facilities(client, login, usage, director):
    login(director)
    response = client.get(reverse("pilotage:proof_pdf_all"), {"mois": MONTH})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    from opendui.pilotage import exports

    items = exports.proofs([usage.ehpad], LAST)
    html = exports.proof_html(items, "Test directeur", dt.date(2026, 4, 2))
    assert usage.ehpad.finess_et in html and "Signature" in html and "02/04/2026" in html
    assert "Test directeur" in html and "ENPAUSE" in html


@pytest.mark.django_db
def test_first_measure_covers_three_months(client, login, usage, director):
    login(director)
    url = reverse("pilotage:facility", args=[usage.ehpad.pk])
    response = client.get(url, {"mois": MONTH, "premiere": "1"})
    period = response.context["period"]
    assert period.months == 3 and period.end == LAST.end
    assert "premiere=1" in response.context["query"]
    results = {r.key: r for r in response.context["results"]}
    assert results["dossiers_actifs"].numerator == 2
    assert len(response.context["charts"][0]["rows"]) == 12  # the series stays monthly


def test_pilotage_pages_link_to_the_activity_reports(world, client, login):
    from django.urls import reverse

    login(world.user("chef-de-service", facility=world.ehpad))
    home = client.get(reverse("pilotage:home")).content.decode()
    assert reverse("pilotage:activity_home") in home
    page = client.get(reverse("pilotage:facility", args=[world.ehpad.pk])).content.decode()
    assert reverse("pilotage:activity_report", args=[world.ehpad.pk]) in page


EVIL_NAME = '=HYPERLINK("http://evil.example/","IME")'


@pytest.mark.django_db
def test_csv_proof_neutralises_a_facility_name_written_as_a_formula(client, login, usage, director):
    usage.ehpad.name = EVIL_NAME
    usage.ehpad.save()
    login(director)
    response = client.get(reverse("pilotage:proof_csv", args=[usage.ehpad.pk]), {"mois": MONTH})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + EVIL_NAME}
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row if c)
