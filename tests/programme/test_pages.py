"""Pages: the project lead's journey, French errors, refusals, bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.core.identifiers import luhn_check_digit
from opendui.organisations.models import Facility
from opendui.programme.models import Grappe, GrappeMember

from .helpers import grappe_of, milestone_of


def finess(body: str) -> str:
    return body + luhn_check_digit(body)


@pytest.fixture
def lead(world, login):
    return login(world.user("directeur"))


def _add_partners(grappe: Grappe, count: int) -> None:
    GrappeMember.objects.bulk_create(
        GrappeMember(
            grappe=grappe,
            finess_et=finess(f"4108{n:04d}"),
            name=f"Partenaire {n}",
            couloir="PA",
            finess_ej=finess("41090900"),
        )
        for n in range(1, count + 1)
    )


def test_home_lists_the_grappes_and_creation_works(world, lead):
    grappe_of(world, name="Grappe existante")
    response = lead.get("/programme/")
    assert response.status_code == 200
    assert "Grappe existante" in response.content.decode()
    url = "/programme/nouveau/"
    token = lead.get(url).context["form_token"]
    data = {
        "form_token": token,
        "name": "Grappe Touraine",
        "project_type": "acquisition",
        "solution_name": "Solution DUI",
        "segur_status": "reference",
        "segur_source": "Liste ANS consultée le 02/03/2026",
        "rule_set": "2022",
        "territory": "metropole",
        "carrier_siret": "",
        "duration_months": "18",
    }
    response = lead.post(url, data)
    grappe = Grappe.objects.get(name="Grappe Touraine")
    assert response.status_code == 302 and response.url == f"/programme/{grappe.pk}/"
    assert grappe.carrier_siret == world.og.siret
    lead.post(url, data)  # replay
    assert Grappe.objects.filter(name="Grappe Touraine").count() == 1


def test_bad_creation_shows_french_errors_and_saves_nothing(world, lead):
    url = "/programme/nouveau/"
    token = lead.get(url).context["form_token"]
    response = lead.post(
        url,
        {
            "form_token": token,
            "name": "",
            "project_type": "acquisition",
            "segur_status": "reference",
            "rule_set": "2031",
            "territory": "metropole",
            "carrier_siret": "12345678901234",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rien n&#x27;a été enregistré" in body
    assert "La clé du numéro SIRET est incorrecte" in body
    assert "2031" in body  # the invalid choice is named
    assert not Grappe.objects.exists()


def test_segur_status_is_shown_as_the_leads_declaration_with_its_source(world, lead):
    """The page showed "OpenDUI – Référencée Ségur" and "✓ conforme" for the demo: a
    referencing is the lead's declaration with its source, never the software's claim."""
    grappe = grappe_of(world, solution_name="OpenDUI", segur_status="non-reference")
    body = lead.get(f"/programme/{grappe.pk}/").content.decode()
    assert "Référencée Ségur" not in body and "conforme" not in body
    assert "<dt>Référencement Ségur de la solution</dt><dd>Non référencée</dd>" in body
    other = grappe_of(world, name="Autre grappe")
    body = lead.get(f"/programme/{other.pk}/").content.decode()
    assert "Référencée Ségur, selon le porteur du projet – source : Liste des solutions" in body
    home = lead.get("/programme/").content.decode()
    assert "(référencée ségur, selon le porteur)" in home and "(non référencée)" in home
    # Declaring a referencing without its source is refused in French; nothing saved.
    url = f"/programme/{grappe.pk}/modifier/"
    data = {
        "name": grappe.name,
        "project_type": "acquisition",
        "solution_name": "OpenDUI",
        "segur_status": "reference",
        "segur_source": "  ",
        "rule_set": "2022",
        "territory": "metropole",
        "carrier_siret": "",
        "duration_months": "18",
        "expected_version": str(grappe.version),
    }
    response = lead.post(url, data)
    assert response.status_code == 200
    assert "Indiquez la source du statut de référencement Ségur" in response.content.decode()
    grappe.refresh_from_db()
    assert (grappe.segur_status, grappe.version) == ("non-reference", 1)


def test_grappe_page_checklist_members_and_declarations(world, lead):
    grappe = grappe_of(world)
    url = f"/programme/{grappe.pk}/"
    body = lead.get(url).content.decode()
    assert "La grappe compte 1 ESSMS" in body and "écartée d&#x27;office" in body
    assert "non remplie" in body and "conforme" not in body
    # One click adds the IME; a partner typed by FINESS.
    response = lead.post(f"{url}essms/ajouter/", {"facility": world.ime.pk})
    assert response.status_code == 302
    assert grappe.members.filter(facility=world.ime).exists()
    token = lead.get(url).context["partner_token"]
    bad = {
        "form_token": token,
        "finess_et": "410900019",
        "name": "EHPAD Partenaire",
        "couloir": "PA",
        "finess_ej": finess("41090900"),
    }
    response = lead.post(f"{url}essms/partenaire/", bad)
    assert response.status_code == 200
    assert "contrôle de Luhn" in response.content.decode()
    assert grappe.members.count() == 2
    good = {**bad, "finess_et": finess("41090001")}
    good["form_token"] = response.context["partner_token"]
    response = lead.post(f"{url}essms/partenaire/", good)
    assert response.status_code == 302
    assert grappe.members.count() == 3
    for code in (
        "sans-financement-europeen",
        "sans-esms-numerique-anterieur",
        "sans-sons-autre-solution",
        "meme-solution",
    ):
        lead.post(f"{url}declarations/", {"code": code, "value": "1"})
    _add_partners(grappe, 12)
    body = lead.get(url).content.decode()
    assert "Le projet remplit toutes les conditions" in body, body[body.find("Éligibilité") :][
        :3000
    ]
    member = grappe.members.get(facility=world.ime)
    lead.post(f"{url}essms/{member.pk}/retirer/")
    assert not grappe.members.filter(facility=world.ime).exists()
    assert "il en faut au moins 15" in lead.get(url).content.decode()


def test_funding_page_breakdown_for_both_rule_sets(world, lead):
    grappe = grappe_of(world)
    _add_partners(grappe, 14)  # 15 ESSMS; world.og has 2 facilities: a small OG
    body = lead.get(f"/programme/{grappe.pk}/financement/").content.decode()
    assert "Barème 2022 (barème du projet)" in body
    # 2022: 15 × 21 500 + own small OG's ehpad 20 000 + AMOA 100 000 + 15 000 = 457 500.
    assert "457\xa0500 €" in body
    # 2025: 15 × (7 000 + 14 000), no fixed small-OG extra (equipment on quotes).
    assert "315\xa0000 €" in body
    assert "Tranches de la prestation Ségur SONS" in body


def test_milestones_flag_late_ones_and_edit(world, lead):
    grappe = grappe_of(world)
    convention = milestone_of(grappe, "convention")
    convention.planned_on = dt.date(2020, 1, 1)
    convention.save()
    body = lead.get(f"/programme/{grappe.pk}/jalons/").content.decode()
    assert "1 jalon(s) en retard" in body and "en retard" in body
    assert "premier versement de 50 %" in body
    url = f"/programme/{grappe.pk}/jalons/{convention.pk}/"
    response = lead.post(
        url, {"planned_on": "2020-01-01", "done_on": "2099-01-01", "expected_version": 1}
    )
    assert response.status_code == 200
    assert "dans le futur" in response.content.decode()
    response = lead.post(
        url, {"planned_on": "2020-01-01", "done_on": "2020-02-01", "expected_version": 1}
    )
    assert response.status_code == 302
    assert "en retard" not in lead.get(f"/programme/{grappe.pk}/jalons/").content.decode()


def test_attestation_lists_the_three_indicators_per_own_facility(world, lead):
    grappe = grappe_of(world)
    _add_partners(grappe, 1)
    response = lead.get(f"/programme/{grappe.pk}/attestation/")
    assert response.status_code == 200
    rows = response.context["rows"]
    own = next(r for r in rows if r["member"].facility_id == world.ehpad.pk)
    assert [i.key for i in own["indicators"]] == [
        "dossiers_actifs",
        "dossiers_actifs_pp",
        "dossiers_actifs_evenement",
    ]
    partner = next(r for r in rows if r["member"].is_partner)
    assert partner["indicators"] is None
    assert "mesurés dans le DUI de son organisme" in response.content.decode()


def test_facility_director_and_other_og_admin_are_refused(world, client, login):
    grappe = grappe_of(world)
    login(world.user("directeur", facility=world.ehpad))
    assert client.get("/programme/").status_code == 403
    assert client.get(f"/programme/{grappe.pk}/").status_code == 403
    client.logout()
    login(world.user("admin", organisation=world.other_og))
    assert client.get("/programme/").status_code == 200
    assert "Grappe test" not in client.get("/programme/").content.decode()
    assert client.get(f"/programme/{grappe.pk}/financement/").status_code == 403
    assert (
        client.post(f"/programme/{grappe.pk}/declarations/", {"code": "meme-solution"}).status_code
        == 403
    )


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["", "financement/", "jalons/", "attestation/"])
def test_query_counts_do_not_grow_with_members(world, lead, page):
    grappe = grappe_of(world)
    url = f"/programme/{grappe.pk}/{page}"
    small = _count(lead, url)
    _add_partners(grappe, 40)
    for n in range(5):
        facility = Facility.objects.create(
            organisation=world.og,
            name=f"Service {n}",
            finess_et=finess(f"7500{n + 10:04d}"),
            category=world.ehpad.category,
            couloir="PA",
        )
        GrappeMember.objects.create(grappe=grappe, facility=facility, finess_et=facility.finess_et)
    large = _count(lead, url)
    assert large == small, (small, large)
    assert large <= 20


def test_home_query_count(world, lead):
    for n in range(3):
        grappe_of(world, name=f"Grappe {n}")
    assert _count(lead, "/programme/") <= 12


def test_edit_keeps_the_version_and_refuses_a_stale_one(world, lead):
    grappe = grappe_of(world)
    url = f"/programme/{grappe.pk}/modifier/"
    data = {
        "name": "Grappe renommée",
        "project_type": "montee-de-version",
        "solution_name": "Solution DUI",
        "segur_status": "reference",
        "segur_source": "Attestation de l'éditeur du 10/01/2026",
        "rule_set": "2025",
        "territory": "corse-dom",
        "carrier_siret": "",
        "duration_months": "6",
        "expected_version": str(grappe.version),
    }
    assert lead.post(url, data).status_code == 302
    grappe.refresh_from_db()
    assert (grappe.name, grappe.rule_set, grappe.version) == ("Grappe renommée", "2025", 2)
    assert grappe.carrier_siret == world.og.siret
    response = lead.post(url, {**data, "name": "Ancienne saisie", "expected_version": "1"})
    assert response.status_code == 409
    grappe.refresh_from_db()
    assert grappe.name == "Grappe renommée"
