"""Banner and tabs on every page of a person's record (issue 13 §3, persons.sections):
each page shows who the person is and the tabs the reader may open, and only those; the
banner costs a fixed number of queries whatever the person's history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opendui.accompaniment.models import PersonalisedProject
from opendui.agenda.models import Event, EventParticipant
from opendui.evaluations.models import AggirEvaluation
from opendui.notes.models import Note
from opendui.persons.models_entourage import LegalProtection
from opendui.persons.sections import tabs
from opendui.stays.models import Stay
from tests.core.test_url_walk import KWARGS

#: The GET pages of a person's record (every URL that shows one person's record data).
RECORD_PAGES = [
    "persons:detail",
    "persons:identity",
    "persons:identity_edit",
    "persons:merge_propose",
    "persons:entourage",
    "persons:entourage_related_edit",
    "persons:entourage_related_end",
    "stays:person_stays",
    "stays:request_create",
    "stays:request_detail",
    "accompaniment:person",
    "accompaniment:detail",
    "evaluations:person",
    "evaluations:aggir_new",
    "evaluations:aggir_detail",
    "evaluations:evaluation_detail",
    "agenda:person",
    "notes:person",
    "notes:create",
    "notes:edit",
    "notes:withdraw",
    "audit:person_access",
    "administrative:page",
    "administrative:profile_edit",
    "directory:person",
    "directory:person_add",
    "documents:person_documents",
    "documents:upload",
]
#: The tabs each role sees on world.anne (accounts/defaults.py's matrix).
BASE = {"synthesis", "identity", "administrative", "agenda", "notes", "documents"}
EXPECTED_TABS = {
    "accueil": BASE | {"entourage", "stays"},
    "educateur": BASE | {"entourage", "stays", "project", "evaluations"},
    "infirmier": BASE | {"entourage", "stays", "project", "evaluations"},
    "identitovigilance": BASE | {"entourage", "stays"},
    "directeur": BASE | {"entourage", "stays", "project", "evaluations", "access_log"},
    "dpo": {"access_log"},
}
#: How many of RECORD_PAGES each role opens on world.anne (the walk really walks).
PAGES_OPENED = {
    "accueil": 12,
    "educateur": 11,
    "infirmier": 13,
    "identitovigilance": 8,
    "directeur": 11,
    "dpo": 1,
}
TAB_RE = re.compile(r'<a href="([^"]+)" data-tab="([a-z_]+)"( aria-current="page")?>')


def nav_of(body: str) -> dict[str, tuple[str, bool]]:
    nav = body.split('aria-label="Dossier de la personne"', 1)[1].split("</nav>", 1)[0]
    return {key: (url, bool(current)) for url, key, current in TAB_RE.findall(nav)}


def banner_of(body: str) -> str:
    return body.split('class="person-banner"', 1)[1].split("</section>", 1)[0]


def tab_of(view_name: str) -> str | None:
    return next((t.key for t in tabs() if view_name == t.url_name or view_name in t.pages), None)


@pytest.mark.parametrize("role", sorted(EXPECTED_TABS))
def test_every_record_page_has_the_banner_and_the_tabs_the_reader_may_open(world, login, role):
    facility = world.ehpad if role != "dpo" else None
    user = world.user(role, facility=facility) if facility else world.user(role)
    client = login(user)
    anne = world.anne
    opened = 0
    for name in RECORD_PAGES:
        response = client.get(reverse(name, kwargs=KWARGS[name](world)))
        # 302: a note's edit page sends a reader who is not its author back to the notes.
        assert response.status_code in (200, 302, 403), (name, response.status_code)
        if response.status_code != 200:
            continue
        opened += 1
        body = response.content.decode()
        assert body.count('class="person-banner"') == 1, name
        banner = banner_of(body)
        assert anne.display_name in banner, name
        nav = nav_of(body)
        assert set(nav) == EXPECTED_TABS[role], (name, set(nav))
        current = [key for key, (_, active) in nav.items() if active]
        expected_tab = tab_of(name)
        assert current == ([expected_tab] if expected_tab in nav else []), (name, current)
        assert 'href="#record-content"' in body and 'id="record-content"' in body
        if role == "dpo":
            # The access log's reader sees the name only (no identity data).
            assert "Sexe" not in banner and "Lieu" not in banner
            continue
        assert anne.identity_status.label in banner, name
        assert "Âge" in banner and "Lieu" in banner and "EHPAD" in banner
        assert ("GIR" in banner) == (role == "infirmier"), name
        assert "Protection juridique" in banner, name  # every role here reads administrative
    assert opened >= PAGES_OPENED[role]
    # Each tab shown opens (no dead tab), each tab hidden is refused.
    for tab in tabs():
        url = reverse(tab.url_name, args=[anne.pk])
        status = client.get(url).status_code
        assert status == (200 if tab.key in EXPECTED_TABS[role] else 403), (tab.key, status)


def test_tabs_follow_the_registry_order(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    body = client.get(reverse("persons:detail", args=[world.anne.pk])).content.decode()
    shown = list(nav_of(body))
    assert shown == [t.key for t in tabs() if t.key in shown]
    assert shown[:2] == ["synthesis", "identity"]


def test_educator_sees_no_care_in_the_banner_nor_the_evaluations_tab(world, login, client):
    """The educator's Évaluations tab shows social evaluations only; the GIR (care data)
    is in no page of the record they open."""
    AggirEvaluation.objects.create(
        person=world.anne,
        stay=world.anne.stays.get(),
        evaluated_on=dt.date(2026, 1, 1),
        evaluator=world.user("infirmier", facility=world.ehpad),
        status="VALIDE",
        gir=2,
        coding="A" * 10,
        validated_on=dt.date(2026, 1, 1),
    )
    client = login(world.user("educateur", facility=world.ehpad))
    for name in ("persons:detail", "evaluations:person", "agenda:person"):
        body = client.get(reverse(name, args=[world.anne.pk])).content.decode()
        assert "GIR" not in banner_of(body), name
    client.logout()
    nurse = login(world.user("infirmier", facility=world.ehpad))
    body = nurse.get(reverse("agenda:person", args=[world.anne.pk])).content.decode()
    assert "<dt>GIR</dt><dd>2</dd>" in banner_of(body)


def test_banner_shows_protection_and_overdue_alerts(world, login, client):
    LegalProtection.objects.create(
        person=world.anne, measure="curatelle_simple", start_date=dt.date(2020, 1, 1)
    )
    stay = world.anne.stays.get()
    PersonalisedProject.objects.create(
        stay=stay,
        person=world.anne,
        number=1,
        project_type="PP",
        title="Projet",
        status="ENCOURS",
        frozen=True,
        validated_at=timezone.now(),
        validated_on=dt.date(2024, 3, 1),
        next_review_due=dt.date(2020, 1, 1),
    )
    secretary = login(world.user("accueil", facility=world.ehpad))
    banner = banner_of(
        secretary.get(reverse("persons:identity", args=[world.anne.pk])).content.decode()
    )
    assert "Curatelle simple" in banner
    assert "Contrat de séjour en retard" in banner  # admitted 2024-01-01, no contract
    assert "Projet personnalisé en retard" not in banner  # social data: not the secretary's
    client.logout()
    educator = login(world.user("educateur", facility=world.ehpad))
    banner = banner_of(educator.get(reverse("notes:person", args=[world.anne.pk])).content.decode())
    assert "Projet personnalisé en retard" in banner


def grow(world, how_many: int) -> None:
    """`how_many` more ended stays, notes, events, PP versions and protection measures."""
    anne = world.anne
    author = world.user("infirmier", facility=world.ehpad)
    stay = anne.stays.get(end_date__isnull=True)
    base = PersonalisedProject.objects.filter(stay=stay).count()
    now = timezone.now()
    for n in range(how_many):
        start = dt.date(1990, 1, 1) + dt.timedelta(days=40 * (base + n))
        Stay.objects.create(
            person=anne,
            facility=world.ime,
            start_date=start,
            end_date=start + dt.timedelta(days=20),
        )
        Note.objects.create(
            person=anne,
            facility=world.ehpad,
            kind="transmission",
            category="social",
            target=f"Cible {n}",
            data="Données",
            author=author,
            written_at=now - dt.timedelta(hours=n + 1),
        )
        event = Event.objects.create(
            facility=world.ehpad,
            kind="activite",
            title=f"Atelier {n}",
            start=now + dt.timedelta(days=n + 1),
            end=now + dt.timedelta(days=n + 1, hours=1),
        )
        EventParticipant.objects.create(event=event, person=anne, start=event.start)
        PersonalisedProject.objects.create(
            stay=stay,
            person=anne,
            number=base + n + 1,
            project_type="PP",
            title=f"Projet {n}",
            status="TERMINE",
            frozen=True,
            validated_at=now,
            validated_on=dt.date(2024, 3, 1),
        )
        LegalProtection.objects.create(
            person=anne,
            measure="curatelle_simple",
            start_date=start,
            end_date=start + dt.timedelta(days=10),
        )


def queries(client, url: str) -> int:
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "name", ["persons:detail", "persons:identity", "agenda:person", "notes:person"]
)
@pytest.mark.parametrize("role", ["infirmier", "accueil"])
def test_banner_queries_do_not_depend_on_the_history(world, login, name, role):
    client = login(world.user(role, facility=world.ehpad))
    url = reverse(name, args=[world.anne.pk])
    grow(world, 1)
    few = queries(client, url)
    grow(world, 49)
    many = queries(client, url)
    assert Stay.objects.filter(person=world.anne).count() == 51
    assert few == many, f"{name}: {few} queries with a history of 1, {many} with 50"


def test_banner_costs_a_few_queries(world, login):
    """The banner and tabs add at most 10 queries to a page (current stays, PP, GIR,
    protection, break-the-glass grant, placements, photo, rights and MDPH orientations)."""
    from opendui.persons.sections import RecordReading, header_context

    user = world.user("infirmier", facility=world.ehpad)
    anne = type(world.anne).objects.get(pk=world.anne.pk)
    with CaptureQueriesContext(connection) as captured:
        context = header_context(RecordReading(user, anne), "persons:identity")
    assert len(captured) <= 10
    assert context["record_active"].key == "identity"


@pytest.mark.parametrize(("role", "most"), [("infirmier", 20), ("educateur", 19), ("accueil", 18)])
def test_synthesis_query_count(world, login, role, most):
    """The synthèse before issue 13 (16, 15, 14 on SQLite), plus the banner's protection
    measures: the stays, PP and GIR are read once for the blocks and the banner."""
    client = login(world.user(role, facility=world.ehpad))
    assert queries(client, reverse("persons:detail", args=[world.anne.pk])) <= most
