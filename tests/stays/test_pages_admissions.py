"""Waiting list, new admission request, request detail (status, admission), overdue list."""

from __future__ import annotations

import datetime as dt
import html as htmllib

from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.stays.models import AdmissionRequest, Stay

from .conftest import make_request

D = dt.date


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- waiting list ------------------------------------------------------------------------------


def test_waiting_list_shows_open_requests_by_priority_then_date(world, login, secretary, newcomer):
    late = make_request(world, newcomer, received_on=D(2025, 1, 1))
    urgent = make_request(world, world.bruno, status="en_etude", priority="urgente")
    expired = make_request(
        world,
        world.anne,
        status="liste_attente",
        received_on=D(2024, 12, 1),
        mdph_category="13.3 MAS",
        mdph_valid_until=D(2020, 1, 1),
    )
    make_request(world, world.anne, status="refusee")  # closed: not listed by default
    make_request(world, world.chloe, facility=world.ime)  # other facility
    response = login(secretary).get("/sejours/")
    assert response.status_code == 200
    assert [r.pk for r in response.context["rows"]] == [urgent.pk, expired.pk, late.pk]
    html = text(response)
    assert "orientation expirée" in html and "13.3 MAS" in html
    event = AuditEvent.objects.get(action="admission.list")
    assert sorted(event.person_ids) == sorted([world.bruno.pk, world.anne.pk, newcomer.pk])


def test_waiting_list_status_filter(world, login, secretary, newcomer):
    make_request(world, newcomer)
    refused = make_request(world, world.anne, status="refusee")
    client = login(secretary)
    rows = client.get("/sejours/", {"statut": "refusee"}).context["rows"]
    assert [r.pk for r in rows] == [refused.pk]
    assert len(client.get("/sejours/", {"statut": "toutes"}).context["rows"]) == 2


def test_waiting_list_is_refused_without_the_right(world, login):
    client = login(world.user("educateur", facility=world.ehpad))
    assert client.get("/sejours/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_navigation_shows_the_section_to_admission_staff_only(world, login, secretary, client):
    html = text(login(secretary).get("/"))
    assert '<a href="/sejours/"' in html
    client.logout()
    html = text(login(world.user("educateur", facility=world.ehpad)).get("/"))
    assert '<a href="/sejours/"' not in html
    assert "Admissions et séjours" not in html  # no longer an "à venir" section


# --- new request -------------------------------------------------------------------------------


def test_new_request_from_the_person_page(world, login, secretary):
    client = login(secretary)
    assert f"/sejours/demande/nouvelle/{world.anne.pk}/" in text(
        client.get(f"/personnes/{world.anne.pk}/")
    )
    page = client.get(f"/sejours/demande/nouvelle/{world.anne.pk}/")
    assert page.status_code == 200
    token = page.context["form_token"]
    data = {
        "form_token": token,
        "facility": world.ehpad.pk,
        "received_on": "2025-01-10",
        "priority": "haute",
        "reasons": "Aidant épuisé",
        "mdph_decision_date": "2024-06-01",
        "mdph_valid_until": "2026-06-01",
    }
    response = client.post(f"/sejours/demande/nouvelle/{world.anne.pk}/", data, follow=True)
    request = AdmissionRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/sejours/demande/{request.pk}/"
    assert (request.person, request.facility, request.priority) == (
        world.anne,
        world.ehpad,
        "haute",
    )
    assert AuditEvent.objects.filter(action="admission.create").count() == 1
    # The same form sent again (double click) creates nothing more.
    again = client.post(f"/sejours/demande/nouvelle/{world.anne.pk}/", data, follow=True)
    assert "déjà été envoyé" in " ".join(messages_of(again))
    assert AdmissionRequest.objects.count() == 1


def test_new_request_bad_dates_show_french_messages_and_save_nothing(world, login, secretary):
    client = login(secretary)
    url = f"/sejours/demande/nouvelle/{world.anne.pk}/"
    token = client.get(url).context["form_token"]
    future = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        url,
        {
            "form_token": token,
            "facility": world.ehpad.pk,
            "received_on": future.isoformat(),
            "priority": "normale",
            "mdph_decision_date": "2024-06-01",
            "mdph_valid_until": "2024-01-01",
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert f"La date du {future:%d/%m/%Y} est dans le futur." in html
    assert "L'orientation ne peut pas prendre fin (01/01/2024)" in html
    assert not AdmissionRequest.objects.exists()
    # The corrected form goes through with the same token.
    response = client.post(
        url,
        {
            "form_token": response.context["form_token"],
            "facility": world.ehpad.pk,
            "received_on": "2025-01-01",
            "priority": "normale",
        },
    )
    assert response.status_code == 302 and AdmissionRequest.objects.count() == 1


def test_new_request_only_offers_facilities_the_user_manages(world, login, secretary):
    page = login(secretary).get(f"/sejours/demande/nouvelle/{world.anne.pk}/")
    choices = [value for value, _ in page.context["form"].fields["facility"].choices]
    assert choices == [str(world.ehpad.pk)]


def test_person_picker_searches_within_scope(world, login, secretary):
    response = login(secretary).get("/sejours/demande/nouvelle/", {"q": "martin"})
    assert [p.pk for p in response.context["persons"]] == [world.anne.pk]
    assert f"/sejours/demande/nouvelle/{world.anne.pk}/" in text(response)
    response = login(secretary).get("/sejours/demande/nouvelle/", {"q": "durand"})
    assert response.context["persons"] == []  # denis is in another organisation


# --- request detail, status, admission ---------------------------------------------------------


def test_detail_shows_only_allowed_transitions(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="recue")
    response = login(secretary).get(f"/sejours/demande/{request.pk}/")
    # Refusing is a decision, not the secretariat's: no refusal offered (nor accepting).
    assert [value for value, _ in response.context["targets"]] == ["en_etude", "annulee"]
    assert response.context["can_refuse"] is False
    assert response.context["admit_form"] is None
    assert AuditEvent.objects.filter(action="admission.view", person_ids=[newcomer.pk]).exists()


def test_status_change_and_refused_transition(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="recue")
    client = login(secretary)
    url = f"/sejours/demande/{request.pk}/statut/"
    response = client.post(url, {"target": "en_etude", "expected_version": 1}, follow=True)
    request.refresh_from_db()
    assert request.status == "en_etude" and request.version == 2
    assert "au statut « en étude »" in " ".join(messages_of(response))
    response = client.post(url, {"target": "admise", "expected_version": 2})
    assert response.status_code == 200
    assert "donné par l'admission elle-même" in text(response)
    request.refresh_from_db()
    assert request.status == "en_etude"


def test_status_change_on_a_stale_page_is_a_conflict(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    AdmissionRequest.objects.filter(pk=request.pk).update(version=5)  # saved by someone else
    response = login(secretary).post(
        f"/sejours/demande/{request.pk}/statut/", {"target": "liste_attente", "expected_version": 1}
    )
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    request.refresh_from_db()
    assert request.status == "en_etude"


def test_admit_from_the_detail_page(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="acceptee")
    client = login(secretary)
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert page.context["admit_form"] is not None
    # The EHPAD's usual mode is proposed: a stay without one counts in no occupation rate.
    assert page.context["admit_form"]["mode"].value() == "hebergement_permanent"
    response = client.post(
        f"/sejours/demande/{request.pk}/admission/",
        {
            "start_date": "2025-02-01",
            "mode": "hebergement_permanent",
            "unit": world.lilas.pk,
            "expected_version": request.version,
        },
    )
    assert response.status_code == 302
    assert response.url == f"/sejours/personne/{newcomer.pk}/"
    stay = Stay.objects.get(person=newcomer)
    assert (stay.facility, stay.unit, stay.start_date) == (world.ehpad, world.lilas, D(2025, 2, 1))
    request.refresh_from_db()
    assert request.status == "admise" and request.stay == stay


def test_admit_refusal_saves_nothing(world, login, secretary):
    request = make_request(world, world.anne, status="acceptee")  # anne is already there
    response = login(secretary).post(
        f"/sejours/demande/{request.pk}/admission/",
        {
            "start_date": "2025-02-01",
            "mode": "hebergement_permanent",
            "expected_version": request.version,
        },
    )
    assert response.status_code == 200
    assert "déjà un séjour en cours" in text(response)
    assert Stay.objects.filter(person=world.anne).count() == 1


def test_request_of_another_facility_is_refused(world, login, secretary):
    request = make_request(world, world.chloe, facility=world.ime)
    client = login(secretary)
    assert client.get(f"/sejours/demande/{request.pk}/").status_code == 403
    response = client.post(
        f"/sejours/demande/{request.pk}/statut/", {"target": "en_etude", "expected_version": 1}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "recue"


def test_waiting_list_queries_do_not_grow(world, login, secretary, django_assert_max_num_queries):
    from opendui.persons.models import Person, Sex

    client = login(secretary)
    client.get("/sejours/")
    for n in range(40):
        person = Person.objects.create(
            organisation=world.og,
            local_id=f"W{n:05d}",
            birth_name=f"ATTENTE{n}",
            first_name="Luc",
            birth_date=D(1950, 1, 1),
            sex=Sex.MALE,
        )
        make_request(world, person, mdph_valid_until=D(2020, 1, 1))
    with django_assert_max_num_queries(12):
        response = client.get("/sejours/")
    assert len(response.context["rows"]) == 40


# --- overdue contracts -------------------------------------------------------------------------


def home_panel(response, template: str):
    """The context of the home page's card drawn by `template` (core.home), or None."""
    return next((p.context for p in response.context["panels"] if p.template == template), None)


def test_home_panel_and_full_list_of_overdue_contracts(world, login, secretary):
    client = login(secretary)
    home = client.get("/")
    panel = home_panel(home, "stays/_home_overdue.html")
    assert panel["count"] == 2  # anne and bruno: admitted 01/01/2024, no contract
    html = text(home)
    assert "Contrats de séjour en retard" in html
    assert f"/sejours/etablissement/{world.ehpad.pk}/contrats-en-retard/" in html
    response = client.get(f"/sejours/etablissement/{world.ehpad.pk}/contrats-en-retard/")
    assert response.status_code == 200
    assert {row.stay.person_id for row in response.context["rows"]} == {
        world.anne.pk,
        world.bruno.pk,
    }
    assert "remise du contrat (échéance le 16/01/2024)" in text(response)
    assert AuditEvent.objects.filter(action="contract.overdue_list").count() == 2


def test_home_panel_is_hidden_from_those_who_do_not_manage_stays(world, login):
    client = login(world.user("educateur", facility=world.ehpad))
    assert home_panel(client.get("/"), "stays/_home_overdue.html") is None
    url = f"/sejours/etablissement/{world.ehpad.pk}/contrats-en-retard/"
    assert client.get(url).status_code == 403


def test_directors_follow_overdue_contracts(world, login, director, client):
    """The directeur général (organisation-wide director) and a facility's director read
    the overdue contracts: their role holds the facility overview, not stay management."""
    url = f"/sejours/etablissement/{world.ehpad.pk}/contrats-en-retard/"
    for user in (director, world.user("directeur", facility=world.ehpad)):
        client.logout()
        response = login(user).get(url)
        assert response.status_code == 200
        assert {row.stay.person_id for row in response.context["rows"]} == {
            world.anne.pk,
            world.bruno.pk,
        }
    # A director of another facility is refused, and the refusal audited.
    client.logout()
    response = login(world.user("directeur", facility=world.ime)).get(url)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_overdue_contracts_list_only_the_persons_the_reader_sees(world, login):
    """A chef de service of one unit manages stays in the facility, and sees its persons."""
    chief = world.user("chef-de-service", facility=world.ehpad, unit=world.glycines)
    response = login(chief).get(f"/sejours/etablissement/{world.ehpad.pk}/contrats-en-retard/")
    assert response.status_code == 200
    assert [row.stay.person_id for row in response.context["rows"]] == [world.anne.pk]
    event = AuditEvent.objects.filter(action="contract.overdue_list").latest("seq")
    assert event.person_ids == [world.anne.pk]


def test_directeur_general_home_links_each_facilitys_overdue_contracts(world, login, director):
    """Without a chosen facility, the organisation-wide director gets one link per
    facility (no person listed on the home page)."""
    response = login(director).get("/")
    panel = home_panel(response, "stays/_home_overdue.html")
    assert panel["facilities"] == [world.ehpad, world.ime]
    html = text(response)
    for facility in (world.ehpad, world.ime):
        assert f"/sejours/etablissement/{facility.pk}/contrats-en-retard/" in html
