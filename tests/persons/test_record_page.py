"""The person's record page (issue 4 §6): sections per role, alerts, no leak, and a query
count that does not depend on the size of the person's history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.accompaniment.models import PersonalisedProject
from opendui.agenda.models import Event, EventParticipant
from opendui.audit.models import AuditEvent
from opendui.evaluations.models import AggirEvaluation
from opendui.notes.models import Note
from opendui.persons.record import person_record
from opendui.stays.models import AdmissionRequest, Contract, Stay

SECTIONS = {
    "project": "Projet personnalisé</h2>",
    "gir": "Autonomie (GIR)</h2>",
    "events": "Prochains événements</h2>",
    "notes": "Dernières transmissions</h2>",
}
#: Sections each role sees (accounts/defaults.py: social R/W for all three, care only for
#: the nurse; notes: some category readable by all three).
EXPECTED = {
    "infirmier": {"project", "gir", "events", "notes"},
    "educateur": {"project", "events", "notes"},
    "psychologue": {"project", "events", "notes"},
    "aide-soignant": {"project", "gir", "events", "notes"},
}


def current_stay(world) -> Stay:
    return world.anne.stays.get(end_date__isnull=True)


def add_project(stay: Stay, number: int, status: str, due: dt.date | None) -> PersonalisedProject:
    validated = status != "ENPREPARATION"
    return PersonalisedProject.objects.create(
        stay=stay,
        person=stay.person,
        number=number,
        project_type="PP",
        title=f"Projet {number}",
        status=status,
        frozen=validated,
        validated_at=timezone.now() if validated else None,
        validated_on=dt.date(2024, 3, 1) if validated else None,
        next_review_due=due,
    )


def add_grid(world, on: dt.date, gir: int, status: str = "VALIDE") -> AggirEvaluation:
    return AggirEvaluation.objects.create(
        person=world.anne,
        stay=current_stay(world),
        evaluated_on=on,
        evaluator=world.nurse_author,
        status=status,
        gir=gir,
        coding="A" * 10,
        validated_on=on,
    )


def add_note(world, category: str, target: str, when: dt.datetime) -> Note:
    return Note.objects.create(
        person=world.anne,
        facility=world.ehpad,
        unit=world.glycines,
        kind="transmission",
        category=category,
        target=target,
        data="Données de la transmission",
        author=world.nurse_author,
        written_at=when,
    )


def add_event(world, title: str, start: dt.datetime, status: str = "PLANIFIE") -> Event:
    event = Event.objects.create(
        facility=world.ehpad,
        kind="activite",
        title=title,
        place="Salon",
        start=start,
        end=start + dt.timedelta(hours=1),
        status=status,
        non_realisation_reason="annulé" if status == "ANNULE" else "",
        report="Compte rendu confidentiel",
    )
    EventParticipant.objects.create(event=event, person=world.anne, start=start)
    return event


@pytest.fixture
def author(world):
    world.nurse_author = world.user("infirmier", facility=world.ehpad)
    return world.nurse_author


def grow(world, how_many: int) -> None:
    """`how_many` PP versions (the last running), grids, events and notes of each category."""
    stay = current_stay(world)
    start = PersonalisedProject.objects.filter(stay=stay).count()
    PersonalisedProject.objects.filter(stay=stay, status="ENCOURS").update(status="TERMINE")
    for n in range(how_many):
        last = n == how_many - 1
        add_project(stay, start + n + 1, "ENCOURS" if last else "TERMINE", dt.date(2030, 1, 1))
    now = timezone.now()
    categories = ["social", "care", "medical", "psychological", "administrative"]
    for n in range(how_many):
        add_grid(world, dt.date(2020, 1, 1) + dt.timedelta(days=n), 1 + n % 6, "TERMINE")
        add_event(world, f"Atelier {n}", now + dt.timedelta(days=n + 1))
        add_event(world, f"Passé {n}", now - dt.timedelta(days=n + 1))
        add_note(world, categories[n % 5], f"Cible {n}", now - dt.timedelta(hours=n + 1))
    add_grid(world, timezone.localdate() - dt.timedelta(days=30), 3)


def body_of(client, world) -> str:
    response = client.get(f"/personnes/{world.anne.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def count_queries(client, url: str) -> int:
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["infirmier", "educateur", "psychologue"])
def test_query_count_does_not_depend_on_the_history(world, login, author, role):
    client = login(world.user(role, facility=world.ehpad))
    url = f"/personnes/{world.anne.pk}/"
    grow(world, 1)
    few = count_queries(client, url)
    grow(world, 50)
    many = count_queries(client, url)
    assert PersonalisedProject.objects.filter(person=world.anne).count() == 51
    assert few == many, f"{few} queries with a history of 1, {many} with 50"
    body = body_of(client, world)
    assert body.count("Atelier ") == 5  # the next 5 events only
    assert "Passé " not in body


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_sections_per_role(world, login, author, role):
    grow(world, 2)
    body = body_of(login(world.user(role, facility=world.ehpad)), world)
    shown = {name for name, heading in SECTIONS.items() if heading in body}
    assert shown == EXPECTED[role]
    assert "Identité</h2>" in body and "Séjours</h2>" in body
    event = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert set(event.details["sections"]) - {"alerts"} == {"identity", "stays", *EXPECTED[role]}


def test_audit_lists_sections_without_personal_data(world, login, author):
    client = login(world.user("educateur", facility=world.ehpad))
    body_of(client, world)
    event = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert event.person_ids == [world.anne.pk]
    assert set(event.details) == {"sections"}
    assert "gir" not in event.details["sections"]
    assert set(event.details["sections"]) <= {
        "identity",
        "stays",
        "project",
        "gir",
        "events",
        "notes",
        "alerts",
    }


@pytest.mark.parametrize(
    ("role", "seen", "hidden"),
    [
        ("educateur", {"Visite de la fille"}, {"Angoisses nocturnes", "Escarre talon"}),
        ("psychologue", {"Visite de la fille", "Angoisses nocturnes"}, {"Escarre talon"}),
        ("infirmier", {"Visite de la fille", "Escarre talon"}, {"Angoisses nocturnes"}),
    ],
)
def test_notes_follow_the_readable_categories(world, login, author, role, seen, hidden):
    """A psychological note is not shown to an educator (nor a care note)."""
    now = timezone.now()
    add_note(world, "psychological", "Angoisses nocturnes", now)
    add_note(world, "care", "Escarre talon", now - dt.timedelta(minutes=1))
    add_note(world, "social", "Visite de la fille", now - dt.timedelta(minutes=2))
    body = body_of(login(world.user(role, facility=world.ehpad)), world)
    assert all(text in body for text in seen)
    assert not any(text in body for text in hidden)


def test_only_latest_versions_and_five_notes(world, login, author):
    now = timezone.now()
    first = add_note(world, "social", "Version initiale", now - dt.timedelta(hours=1))
    Note.objects.create(
        person=world.anne,
        facility=world.ehpad,
        kind="transmission",
        category="social",
        target="Version corrigée",
        author=world.nurse_author,
        written_at=first.written_at,
        corrects=first,
        original=first,
    )
    for n in range(6):
        add_note(world, "social", f"Récente {n}", now - dt.timedelta(minutes=n))
    body = body_of(login(world.user("educateur", facility=world.ehpad)), world)
    assert "Version initiale" not in body
    assert body.count("Récente ") == 5


def test_nothing_leaks_without_the_category(world, login, author):
    """The accueil role reads administrative data only: no PP, GIR, care note or alert."""
    add_project(current_stay(world), 1, "ENCOURS", dt.date(2020, 1, 1))
    add_grid(world, dt.date(2019, 1, 1), 2)
    add_note(world, "care", "Chute dans la chambre", timezone.now())
    body = body_of(login(world.user("accueil", facility=world.ehpad)), world)
    for text in ("Projet 1", "GIR", "Chute dans la chambre", "révision en retard", "AGGIR"):
        assert text not in body, text
    assert "Projet personnalisé (" not in body


def test_events_exclude_cancelled_and_never_show_the_report(world, login, author):
    now = timezone.now()
    add_event(world, "Kiné", now + dt.timedelta(hours=2))
    add_event(world, "Sortie annulée", now + dt.timedelta(hours=3), status="ANNULE")
    body = body_of(login(world.user("educateur", facility=world.ehpad)), world)
    assert "Kiné" in body and "Salon" in body
    assert "Sortie annulée" not in body
    assert "Compte rendu confidentiel" not in body


# --- alerts, on hand-built cases (person_record, a fixed date) -------------------------


def record_for(world, role: str, today: dt.date):
    user = world.user(role, facility=world.ehpad)
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    return person_record(user, world.anne, now)


def messages(record) -> list[str]:
    return [a.message for a in record.alerts]


def test_contract_alerts(world, author):
    stay = current_stay(world)  # admitted 2024-01-01
    record = record_for(world, "infirmier", dt.date(2024, 1, 10))
    assert not any("Contrat" in m for m in messages(record))
    record = record_for(world, "infirmier", dt.date(2024, 1, 20))
    assert any("remise du contrat" in m for m in messages(record))
    Contract.objects.create(
        stay=stay,
        handed_on=dt.date(2024, 1, 5),
        signed_on=dt.date(2024, 1, 20),
        objectives_amendment_on=dt.date(2024, 5, 1),
    )
    record = record_for(world, "infirmier", dt.date(2024, 12, 1))
    assert not any("Contrat" in m for m in messages(record))
    record = record_for(world, "infirmier", dt.date(2025, 2, 1))
    assert any("mise à jour annuelle" in m for m in messages(record))


def test_first_project_and_review_alerts(world, author):
    stay = current_stay(world)
    record = record_for(world, "educateur", dt.date(2024, 7, 1))
    assert not any("Projet" in m for m in messages(record))
    record = record_for(world, "educateur", dt.date(2024, 7, 2))
    assert any("aucun projet validé" in m for m in messages(record))
    add_project(stay, 1, "ENPREPARATION", None)
    record = record_for(world, "educateur", dt.date(2024, 7, 2))
    assert record.project.lines[0].status_label == "en préparation"
    assert any("aucun projet validé" in m for m in messages(record))

    PersonalisedProject.objects.filter(stay=stay).delete()
    add_project(stay, 1, "ENCOURS", dt.date(2025, 3, 1))
    add_project(stay, 2, "ENPREPARATION", None)
    record = record_for(world, "educateur", dt.date(2025, 3, 1))
    line = record.project.lines[0]
    assert line.version.number == 1 and line.status_label == "en cours"
    assert line.draft_in_progress and not line.review_overdue and not line.first_overdue
    assert not any("Projet" in m for m in messages(record))
    record = record_for(world, "educateur", dt.date(2025, 3, 2))
    assert record.project.lines[0].review_overdue
    assert any("bilan en retard" in m for m in messages(record))


def test_review_overdue_is_shown_on_the_page(world, login, author):
    add_project(current_stay(world), 1, "ENPAUSE", dt.date(2020, 1, 1))
    body = body_of(login(world.user("educateur", facility=world.ehpad)), world)
    assert "en pause" in body and "révision en retard" in body and "Alertes</h2>" in body


def test_aggir_alerts_for_an_ehpad_resident(world, author):
    today = dt.date(2026, 6, 1)
    record = record_for(world, "infirmier", today)
    assert record.gir.grid is None and record.gir.ehpad_resident
    assert any("aucune grille validée" in m for m in messages(record))
    add_grid(world, dt.date(2025, 6, 1), 4)
    record = record_for(world, "infirmier", today)
    assert record.gir.grid.gir == 4 and not record.gir.overdue
    record = record_for(world, "infirmier", dt.date(2026, 6, 2))
    assert any("AGGIR de plus de 12 mois" in m for m in messages(record))
    # The educator sees no GIR section, hence no AGGIR alert.
    assert record_for(world, "educateur", dt.date(2026, 6, 2)).gir is None
    assert not any("AGGIR" in m for m in messages(record_for(world, "educateur", today)))


def test_no_aggir_alert_outside_an_ehpad(world):
    user = world.user("infirmier", facility=world.ime)
    record = person_record(user, world.chloe)
    assert record.gir is not None and not record.gir.ehpad_resident
    assert not any("AGGIR" in m for m in messages(record))


def test_waiting_list_when_only_an_admission_request(world, login):
    person = world.person(world.ime, birth_name="ATTENTE", first_name="Léa")
    Stay.objects.filter(person=person).delete()
    AdmissionRequest.objects.create(
        person=person, facility=world.ime, received_on=dt.date(2026, 1, 5), status="liste_attente"
    )
    client = login(world.user("educateur", facility=world.ime))
    body = client.get(f"/personnes/{person.pk}/").content.decode()
    assert "Sur liste d&#x27;attente" in body or "Sur liste d'attente" in body
    assert "IME Les Sources" in body
