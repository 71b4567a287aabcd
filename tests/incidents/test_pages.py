"""Pages: declaration, lists, detail with audited reads, 403s, ARS anonymity, query counts."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.incidents.models import Incident

from .helpers import action_of, incident_of


def _form_token(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.context["form_token"]


def test_declaration_form_lists_only_visible_persons_and_saves(world, login):
    carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    client = login(carer)
    url = f"/evenements-indesirables/etablissement/{world.ehpad.pk}/declarer/"
    response = client.get(url)
    body = response.content.decode()
    assert "MARTIN Anne" in body and "LEFÈVRE" not in body  # bruno is in another unit
    assert AuditEvent.objects.filter(
        action="incident.form_view", person_ids=[world.anne.pk]
    ).exists()
    token = response.context["form_token"]
    occurred = timezone.localtime() - dt.timedelta(hours=2)
    data = {
        "form_token": token,
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
        "place": "Chambre",
        "description": "Chute de la personne",
        "severity": "eig",
        "categories": ["4"],
        "persons": [world.anne.pk],
    }
    response = client.post(url, data)
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == f"/evenements-indesirables/{incident.pk}/"
    # A double submission saves nothing more.
    client.post(url, data)
    assert Incident.objects.count() == 1


def test_refused_declaration_shows_french_reasons_and_saves_nothing(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    url = f"/evenements-indesirables/etablissement/{world.ehpad.pk}/declarer/"
    future = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(
        url,
        {
            "form_token": _form_token(client, url),
            "occurred_at": future.strftime("%Y-%m-%dT%H:%M"),
            "place": "Chambre",
            "description": "x",
            "severity": "eig",
            "categories": ["4"],
        },
    )
    assert response.status_code == 200
    assert "ne peut pas être postérieure" in response.content.decode()
    assert not Incident.objects.exists()


def test_declarer_reads_own_incident_other_nurse_gets_403(world, login, client):
    nurse = world.user("infirmier", facility=world.ehpad)
    incident = incident_of(world, declarer=nurse)
    url = f"/evenements-indesirables/{incident.pk}/"
    login(nurse)
    response = client.get(url)
    assert response.status_code == 200
    assert "MARTIN Anne" in response.content.decode()
    event = AuditEvent.objects.filter(action="incident.view").latest("seq")
    assert event.person_ids == [world.anne.pk]
    assert "Enregistrer l'analyse" not in response.content.decode()  # not a manager
    client.logout()
    login(world.user("infirmier", facility=world.ehpad))
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_manager_of_another_facility_is_refused(world, login):
    incident = incident_of(world)
    client = login(world.user("chef-de-service", facility=world.ime))
    for path in ("", "declaration-ars/", "declaration-ars.txt"):
        assert client.get(f"/evenements-indesirables/{incident.pk}/{path}").status_code == 403
    assert (
        client.get(f"/evenements-indesirables/etablissement/{world.ehpad.pk}/").status_code == 403
    )


def test_manager_records_analysis_from_the_page(world, login):
    chief = world.user("chef-de-service", facility=world.ehpad)
    incident = incident_of(world)
    client = login(chief)
    url = f"/evenements-indesirables/{incident.pk}/"
    assert "Enregistrer l'analyse" in client.get(url).content.decode()
    response = client.post(
        url + "analyse/",
        {
            "causes": "Sol mouillé",
            "analysed_on": timezone.localdate().isoformat(),
            "expected_version": incident.version,
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "en_analyse"
    response = client.post(
        url + "analyse/", {"causes": "", "analysed_on": "2000-01-01", "expected_version": 2}
    )
    assert response.status_code == 200
    assert "Rien n&#x27;a été enregistré" in response.content.decode()


def test_stale_status_form_gets_409(world, login):
    chief = world.user("chef-de-service", facility=world.ehpad)
    incident = incident_of(world)
    client = login(chief)
    response = client.post(
        f"/evenements-indesirables/{incident.pk}/statut/",
        {"status": "en_analyse", "expected_version": incident.version + 5},
    )
    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.status == "declare"


def test_facility_list_puts_overdue_first_and_filters(world, login):
    chief = world.user("chef-de-service", facility=world.ehpad)
    now = timezone.now()
    quiet = incident_of(world, severity="ei", categories=[], place="Jardin")
    late = incident_of(
        world,
        place="Salon",
        occurred_at=now - dt.timedelta(days=30),
        declared_at=now - dt.timedelta(days=29),
        ars_reported_at=now - dt.timedelta(days=5),
        ars_report_mode="oral",
    )
    client = login(chief)
    response = client.get(f"/evenements-indesirables/etablissement/{world.ehpad.pk}/")
    rows = [row.incident.pk for row in response.context["rows"]]
    assert rows.index(late.pk) < rows.index(quiet.pk)
    body = response.content.decode()
    assert "Confirmation écrite à l&#x27;ARS avant le" in body or "Confirmation écrite" in body
    response = client.get(f"/evenements-indesirables/etablissement/{world.ehpad.pk}/?gravite=ei")
    assert [row.incident.pk for row in response.context["rows"]] == [quiet.pk]


def test_ars_declaration_names_nobody(world, login):
    world.anne.ins_matricule = "240057512345678"
    world.anne.ins_oid = "1.2.250.1.213.1.4.8"
    world.anne.save()
    nurse = world.user("infirmier", facility=world.ehpad, email="soignante@test.example")
    incident = incident_of(
        world,
        declarer=nurse,
        description="Mme Martin (Anne), née le 17/05/1940, dossier "
        f"{world.anne.local_id}, tombée devant Test infirmier.",
        immediate_actions="Appel du médecin par Test infirmier",
    )
    incident.persons.add(world.bruno)
    chief = world.user("chef-de-service", facility=world.ehpad)
    action_of(incident, chief, description="Former l'équipe")
    client = login(chief)
    forbidden = [
        "MARTIN",
        "Martin",
        "Anne",
        "Lefèvre",
        "LEFÈVRE",
        "Bruno",
        "17/05/1940",
        "1940-05-17",
        world.anne.local_id,
        world.bruno.local_id,
        "240057512345678",
        "infirmier",
        chief.last_name,
        nurse.email,
        chief.email,
    ]
    for path in ("declaration-ars/", "declaration-ars.txt"):
        response = client.get(f"/evenements-indesirables/{incident.pk}/{path}")
        assert response.status_code == 200
        body = response.content.decode()
        for word in forbidden:
            assert word not in body, (path, word)
        age = world.anne.birth_date
        assert "personne accompagnée n°1 (femme, " in body
        assert "personne accompagnée n°2 (homme, " in body
        assert world.ehpad.finess_et in body
        assert age.year  # sex and age only
    exports = AuditEvent.objects.filter(action="incident.ars_export")
    assert exports.count() == 2
    assert all(sorted(e.person_ids) == sorted([world.anne.pk, world.bruno.pk]) for e in exports)


def test_ars_declaration_replaces_names_not_ordinary_words(world, login):
    """ "aide-soignante" became "[professionnel]-soignante" (the declarer's address was cut
    into words); "Blanc", "Petit", "Paris" go only when they name someone concerned."""
    nurse = world.user("aide-soignant", facility=world.ehpad, email="aide-soignant@test.example")
    nurse.first_name, nurse.last_name = "Nadia", "Benali"
    nurse.save()
    lucie = world.person(world.ehpad, birth_name="BLANC", first_name="Lucie")
    incident = incident_of(
        world,
        declarer=nurse,
        description="L'aide-soignante Nadia a trouvé Mme Martin et Mme blanc au Petit salon, "
        "la fille de Mme Martin arrivant de Paris.",
    )
    incident.persons.add(lucie)
    client = login(world.user("chef-de-service", facility=world.ehpad))
    body = client.get(f"/evenements-indesirables/{incident.pk}/declaration-ars.txt")
    text = body.content.decode()
    assert (
        "L'aide-soignante [professionnel] a trouvé Mme [personne n°1] et Mme [personne n°2] "
        "au Petit salon, la fille de Mme [personne n°1] arrivant de Paris." in text
    )


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_query_counts_do_not_grow_with_rows(world, login):
    chief = world.user("chef-de-service", facility=world.ehpad)
    client = login(chief)
    incident = incident_of(world)
    detail = f"/evenements-indesirables/{incident.pk}/"
    listing = f"/evenements-indesirables/etablissement/{world.ehpad.pk}/"
    declare = f"/evenements-indesirables/etablissement/{world.ehpad.pk}/declarer/"
    home = "/evenements-indesirables/"
    urls = [detail, listing, declare, home, detail + "declaration-ars/"]
    few = [_count(client, url) for url in urls]
    for n in range(15):
        action_of(incident, chief, description=f"Action {n}")
        other = incident_of(world, declarer=chief, place=f"Lieu {n}")
        action_of(other, chief)
        person = world.person(world.ehpad, world.glycines, birth_name=f"NOM{n}")
        incident.persons.add(person)
    many = [_count(client, url) for url in urls]
    assert few == many
