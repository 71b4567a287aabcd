"""Pages of the admission decisions: refusal and reopening confirmed with their reason,
corrections of a request, history, and who sees which action."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest

from opendui.audit.models import AuditEvent
from opendui.stays.models import AdmissionRequest

from .conftest import make_request

DETAIL = "Besoins de soins techniques que l'équipe ne peut assurer la nuit."


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def chief(world):
    return world.user("chef-de-service", facility=world.ehpad)


def stored(request: AdmissionRequest) -> tuple:
    request.refresh_from_db()
    return (request.status, request.version, request.refusal_reason, request.history.count())


def test_secretary_sees_no_decision_and_cannot_forge_one(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    client = login(secretary)
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert [v for v, _ in page.context["targets"]] == ["liste_attente", "annulee"]
    assert f"/sejours/demande/{request.pk}/refus/" not in text(page)
    before = stored(request)
    denied = AuditEvent.objects.filter(action="access.denied").count()
    assert client.get(f"/sejours/demande/{request.pk}/refus/").status_code == 403
    forged = {"reason": "profil", "detail": DETAIL, "expected_version": 1}
    assert client.post(f"/sejours/demande/{request.pk}/refus/", forged).status_code == 403
    status = {"target": "acceptee", "expected_version": 1}
    assert client.post(f"/sejours/demande/{request.pk}/statut/", status).status_code == 403
    assert stored(request) == before
    assert AuditEvent.objects.filter(action="access.denied").count() == denied + 3


def test_refusal_is_confirmed_with_a_reason(world, login, chief, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    client = login(chief)
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert page.context["can_refuse"] is True
    assert "refusee" not in [v for v, _ in page.context["targets"]]  # no one-click refusal
    assert f"/sejours/demande/{request.pk}/refus/" in text(page)
    url = f"/sejours/demande/{request.pk}/refus/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Confirmer le refus" in text(confirm)
    assert AuditEvent.objects.filter(action="admission.form_view").exists()
    before = stored(request)
    # No reason: the page again, with the French messages, nothing saved.
    response = client.post(url, {"reason": "", "detail": "", "expected_version": 1})
    assert response.status_code == 200
    html = text(response)
    assert "Rien n'a été enregistré" in " ".join(messages_of(response))
    assert "Ce champ est obligatoire." in html
    response = client.post(url, {"reason": "profil", "detail": "non", "expected_version": 1})
    assert "au moins 10 lettres ou chiffres" in text(response)
    assert stored(request) == before
    # With the reason: refused, back on the request with the reason and its history.
    response = client.post(
        url, {"reason": "profil", "detail": DETAIL, "expected_version": 1}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/sejours/demande/{request.pk}/"
    assert "La demande est refusée" in " ".join(messages_of(response))
    request.refresh_from_db()
    assert (request.status, request.refusal_reason, request.refusal_detail) == (
        "refusee",
        "profil",
        DETAIL,
    )
    html = text(response)
    assert "Motif du refus" in html and DETAIL in html
    assert "Historique de la demande" in html and "Refus : en étude → refusée" in html
    assert response.context["can_reopen"] is True


def test_refusal_without_version_or_on_a_stale_page(world, login, chief, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    client = login(chief)
    url = f"/sejours/demande/{request.pk}/refus/"
    before = stored(request)
    response = client.post(url, {"reason": "profil", "detail": DETAIL})
    assert response.status_code == 409
    assert "La version du formulaire manque" in text(response)
    AdmissionRequest.objects.filter(pk=request.pk).update(version=4)
    response = client.post(url, {"reason": "profil", "detail": DETAIL, "expected_version": 1})
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    request.refresh_from_db()
    assert (request.status, request.history.count()) == (before[0], 0)


def test_director_reopens_a_refusal_with_a_reason(world, login, newcomer):
    request = make_request(
        world, newcomer, status="refusee", refusal_reason="orientation", refusal_detail=DETAIL
    )
    director = world.user("directeur", facility=world.ehpad)
    client = login(director)
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert page.status_code == 200  # the director decides: the page opens (was 403)
    assert page.context["can_reopen"] is True and page.context["can_edit"] is False
    url = f"/sejours/demande/{request.pk}/reouverture/"
    assert DETAIL in text(client.get(url))
    response = client.post(url, {"reason": "", "expected_version": 1})
    assert response.status_code == 200 and stored(request)[0] == "refusee"
    response = client.post(
        url, {"reason": "Nouvelle notification CDAPH reçue.", "expected_version": 1}, follow=True
    )
    assert "de nouveau « en étude »" in " ".join(messages_of(response))
    request.refresh_from_db()
    assert (request.status, request.refusal_reason) == ("en_etude", "")
    assert "Nouvelle notification CDAPH reçue." in text(response)


def test_secretary_cannot_reopen(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="refusee")
    client = login(secretary)
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert page.context["can_reopen"] is False
    assert "seuls un chef de service ou la direction peuvent la réouvrir" in text(page)
    url = f"/sejours/demande/{request.pk}/reouverture/"
    data = {"reason": "Élément nouveau au dossier", "expected_version": 1}
    assert client.post(url, data).status_code == 403
    assert stored(request)[0] == "refusee"


def test_edit_page_corrects_and_shows_the_history(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="recue", reasons="Aidant épuisé")
    client = login(secretary)
    assert f"/sejours/demande/{request.pk}/modifier/" in text(
        client.get(f"/sejours/demande/{request.pk}/")
    )
    url = f"/sejours/demande/{request.pk}/modifier/"
    form = client.get(url).context["form"]
    assert form.initial["reasons"] == "Aidant épuisé"
    assert form.initial["expected_version"] == 1
    data = {
        "priority": "haute",
        "reasons": "Aidant hospitalisé",
        "mdph_decision_number": "",
        "mdph_decision_date": "2025-01-02",
        "mdph_category": "13.3 MAS",
        "mdph_valid_until": "2024-01-01",
        "expected_version": 1,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "L'orientation ne peut pas prendre fin (01/01/2024)" in text(response)
    assert stored(request)[1] == 1
    data["mdph_valid_until"] = "2030-01-01"
    response = client.post(url, data, follow=True)
    assert "La demande est modifiée" in " ".join(messages_of(response))
    request.refresh_from_db()
    assert (request.priority, request.mdph_category, request.mdph_valid_until) == (
        "haute",
        "13.3 MAS",
        dt.date(2030, 1, 1),
    )
    html = text(response)
    assert "Priorité : normale → haute" in html
    assert "Date de la décision CDAPH : – → 02/01/2025" in html
    assert "Motifs de la demande : Aidant épuisé → Aidant hospitalisé" in html
    # The same form again (stale version): 409, nothing changed.
    data["priority"] = "urgente"
    response = client.post(url, data)
    assert response.status_code == 409
    request.refresh_from_db()
    assert request.priority == "haute"


def test_edit_without_version_is_a_clear_message(world, login, secretary, newcomer):
    request = make_request(world, newcomer, status="recue")
    response = login(secretary).post(
        f"/sejours/demande/{request.pk}/modifier/", {"priority": "haute"}
    )
    assert response.status_code == 409
    assert "La version du formulaire manque" in text(response)
    assert stored(request)[1] == 1


def test_edit_is_refused_to_deciders_without_the_file(world, login, newcomer):
    request = make_request(world, newcomer, status="recue")
    client = login(world.user("directeur", facility=world.ehpad))
    url = f"/sejours/demande/{request.pk}/modifier/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"priority": "haute", "expected_version": 1}).status_code == 403
    assert stored(request)[1] == 1


def test_waiting_list_opens_for_directors_and_navigation_says_so(world, login, newcomer):
    make_request(world, newcomer, status="en_etude")
    client = login(world.user("directeur", facility=world.ehpad))
    response = client.get("/sejours/")
    assert response.status_code == 200
    assert [r.person for r in response.context["rows"]] == [newcomer]
    html = text(response)
    assert '<a href="/sejours/"' in html  # navigation entry
    assert "Nouvelle demande d'admission" not in html  # filing is the secretariat's


def test_detail_queries_do_not_grow_with_the_history(
    world, login, chief, newcomer, django_assert_max_num_queries
):
    from opendui.core.actor import Actor
    from opendui.stays.services import update_request

    request = make_request(world, newcomer, status="en_etude")
    client = login(chief)
    client.get(f"/sejours/demande/{request.pk}/")
    actor = Actor(user=chief)
    for n in range(15):
        update_request(actor, request, expected_version=request.version, reasons=f"Motif {n}")
    # 18: the request page and the record banner of its person (persons.sections).
    with django_assert_max_num_queries(18):
        response = client.get(f"/sejours/demande/{request.pk}/")
    assert len(response.context["history"]) == 15
