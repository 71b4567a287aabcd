"""Duplicate merge pages: proposal, the referent's list and review, the merged record's page."""

from __future__ import annotations

import html as htmllib

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.merge import approve_merge, propose_merge
from opendui.persons.models_entourage import RelatedPerson
from opendui.persons.models_merge import MergeStatus, PersonMerge

REASON = "Même personne : pièce d'identité vérifiée, dossier créé deux fois."
MATRICULE = "297022A02077878"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def proposer(world):
    return world.user("accueil", email="proposer@test.example")


@pytest.fixture
def referent(world):
    return world.user("directeur", email="referent@test.example")


@pytest.fixture
def duplicate(world):
    return world.person(world.ime, birth_name="MARTIN", first_name="Anne")


def pending(world, proposer, duplicate) -> PersonMerge:
    return propose_merge(Actor(proposer), duplicate, world.anne, REASON)


# --- proposal ---------------------------------------------------------------------------------


def test_identity_page_links_to_the_proposal(world, login, proposer, duplicate):
    html = text(login(proposer).get(f"/personnes/{duplicate.pk}/identite/"))
    assert f"/personnes/{duplicate.pk}/fusion/" in html


def test_proposal_page_lists_likely_duplicates_and_audits_them(world, login, proposer, duplicate):
    response = login(proposer).get(f"/personnes/{duplicate.pk}/fusion/")
    assert response.status_code == 200
    shown = [c["person"] for c in response.context["candidates"]]
    assert shown == [world.anne]
    assert response.context["candidates"][0]["score"] == 100
    html = text(response)
    assert f'<label for="merge_target_{world.anne.pk}">MARTIN Anne</label>' in html
    assert '<label for="merge_reason">Motif de la fusion' in html
    event = AuditEvent.objects.filter(action="person.merge_candidates").latest("seq")
    assert event.person_ids == sorted([duplicate.pk, world.anne.pk])


def test_proposal_page_searches_among_visible_persons(world, login, proposer, duplicate):
    response = login(proposer).get(f"/personnes/{duplicate.pk}/fusion/?q=lef")
    assert [c["person"] for c in response.context["candidates"]] == [world.bruno]
    response = login(proposer).get(f"/personnes/{duplicate.pk}/fusion/?q=durand")
    assert response.context["candidates"] == []  # Denis is in another organisation


def test_proposal_through_the_page(world, client, login, proposer, duplicate):
    login(proposer)
    token = client.get(f"/personnes/{duplicate.pk}/fusion/").context["form_token"]
    data = {"form_token": token, "target": world.anne.pk, "reason": REASON}
    response = client.post(f"/personnes/{duplicate.pk}/fusion/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"/personnes/{duplicate.pk}/identite/"
    merge = PersonMerge.objects.get()
    assert (merge.source, merge.target, merge.proposed_by) == (duplicate, world.anne, proposer)
    assert merge.status == MergeStatus.PROPOSED and merge.reason == REASON
    assert any("après validation par le référent" in m for m in messages_of(response))
    assert "en attente de validation par le référent" in text(response)
    # The same form sent again saves nothing: the proposal already waits.
    again = client.post(f"/personnes/{duplicate.pk}/fusion/", data, follow=True)
    assert PersonMerge.objects.count() == 1
    assert any("attend déjà la validation" in m for m in messages_of(again))


def test_refused_proposal_saves_nothing_and_says_why(world, client, login, proposer, duplicate):
    login(proposer)
    url = f"/personnes/{duplicate.pk}/fusion/"
    token = client.get(url).context["form_token"]
    response = client.post(url, {"form_token": token, "target": world.denis.pk, "reason": "x"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "hors de votre périmètre" in errors["target"][0]
    assert "10 caractères" in errors["reason"][0]
    token = client.get(url).context["form_token"]
    response = client.post(url, {"form_token": token, "target": duplicate.pk, "reason": REASON})
    assert response.status_code == 400  # the duplicate itself is not a choice
    assert not PersonMerge.objects.exists()


def test_proposal_page_refuses_users_without_identity_edit(world, login, duplicate):
    client = login(world.user("educateur"))
    assert client.get(f"/personnes/{duplicate.pk}/fusion/").status_code == 403
    response = client.post(f"/personnes/{duplicate.pk}/fusion/", {"target": world.anne.pk})
    assert response.status_code == 403
    assert not PersonMerge.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").count() == 2


# --- the referent's list and review -------------------------------------------------------------


def test_list_shows_pending_first_to_the_referent_only(world, login, proposer, referent, duplicate):
    old = propose_merge(Actor(proposer), world.chloe, world.bruno, REASON)
    from opendui.persons.merge import reject_merge

    reject_merge(Actor(referent), old, "Pas la même personne.")
    waiting = pending(world, proposer, duplicate)
    client = login(referent)
    response = client.get("/personnes/fusions/")
    assert response.status_code == 200
    assert list(response.context["merges"]) == [waiting, old]
    html = text(response)
    assert f"/personnes/fusions/{waiting.pk}/" in html and "Examiner la fusion" in html
    event = AuditEvent.objects.filter(action="person.merge_list").latest("seq")
    assert set(event.person_ids) == {
        duplicate.pk,
        world.anne.pk,
        world.chloe.pk,
        world.bruno.pk,
    }
    client.logout()
    assert login(proposer).get("/personnes/fusions/").status_code == 403
    client.logout()
    facility_director = world.user("directeur", facility=world.ehpad)
    assert login(facility_director).get("/personnes/fusions/").status_code == 403


def test_review_page_shows_both_identities_and_what_will_move(
    world, login, proposer, referent, duplicate
):
    duplicate.ins_matricule, duplicate.ins_oid = MATRICULE, INS_NIR_OID
    duplicate.identity_retrieved_from_insi = True
    duplicate.save()
    RelatedPerson.objects.create(person=duplicate, last_name="MARTIN", relation="enfant")
    merge = pending(world, proposer, duplicate)
    response = login(referent).get(f"/personnes/fusions/{merge.pk}/")
    assert response.status_code == 200
    rows = {row["label"]: row for row in response.context["rows"]}
    assert rows["Nom de naissance"]["source"] == rows["Nom de naissance"]["target"] == "MARTIN"
    assert rows["Identifiant local"]["differs"] is True
    assert rows["Statut de l'identité"]["source"] == "Identité récupérée"
    # Not qualified: the matricule is not shown.
    assert rows["Matricule INS"]["source"] == "non affiché (identité non qualifiée)"
    assert MATRICULE not in text(response)
    moved = {item["key"]: item["count"] for item in response.context["moved"]}
    assert moved == {"stays.stay": 1, "persons.relatedperson": 1}
    html = text(response)
    assert "Valider et exécuter la fusion" in html and "Rejeter la fusion" in html
    assert '<label for="approve_confirm">' in html and '<label for="reject_comment">' in html
    event = AuditEvent.objects.filter(action="person.merge_review").latest("seq")
    assert event.person_ids == sorted([duplicate.pk, world.anne.pk])


def test_review_page_shows_the_matricule_of_a_qualified_identity(
    world, login, proposer, referent, duplicate
):
    duplicate.ins_matricule, duplicate.ins_oid = MATRICULE, INS_NIR_OID
    duplicate.identity_retrieved_from_insi = duplicate.identity_document_checked = True
    duplicate.identity_document_type = "CN"
    duplicate.save()
    merge = pending(world, proposer, duplicate)
    response = login(referent).get(f"/personnes/fusions/{merge.pk}/")
    rows = {row["label"]: row for row in response.context["rows"]}
    assert rows["Matricule INS"]["source"] == MATRICULE


def test_referent_approves_through_the_page(world, client, login, proposer, referent, duplicate):
    merge = pending(world, proposer, duplicate)
    login(referent)
    url = f"/personnes/fusions/{merge.pk}/valider/"
    response = client.post(url, {"comment": "ok"})
    assert response.status_code == 400  # the confirmation box is required
    assert "Cochez la case" in text(response)
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
    response = client.post(url, {"confirm": "on", "comment": "Vérifié."}, follow=True)
    assert response.redirect_chain[-1][0] == f"/personnes/fusions/{merge.pk}/"
    merge.refresh_from_db()
    assert merge.status == MergeStatus.EXECUTED and merge.review_comment == "Vérifié."
    assert any("Fusion exécutée" in m for m in messages_of(response))
    html = text(response)
    assert "Validée et exécutée" in html and "Éléments rattachés au dossier conservé" in html
    assert "séjours : 1" in html
    # Sent again: refused, nothing more.
    again = client.post(url, {"confirm": "on"}, follow=True)
    assert any("déjà été examinée" in m for m in messages_of(again))
    assert AuditEvent.objects.filter(action="person.merge").count() == 1


def test_referent_rejects_through_the_page(world, client, login, proposer, referent, duplicate):
    merge = pending(world, proposer, duplicate)
    login(referent)
    url = f"/personnes/fusions/{merge.pk}/rejeter/"
    assert client.post(url, {"comment": ""}).status_code == 400
    response = client.post(url, {"comment": "Pas la même personne."}, follow=True)
    merge.refresh_from_db()
    assert merge.status == MergeStatus.REJECTED
    assert any("rejetée" in m for m in messages_of(response))
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None and duplicate.stays.count() == 1


def test_proposer_sees_no_review_forms_and_is_refused(world, client, login, duplicate):
    both = world.user("accueil")
    world.assign(both, "directeur")
    merge = pending(world, both, duplicate)
    login(both)
    response = client.get(f"/personnes/fusions/{merge.pk}/")
    assert response.context["can_review"] is False
    assert "revient à un autre référent" in text(response)
    response = client.post(
        f"/personnes/fusions/{merge.pk}/valider/", {"confirm": "on"}, follow=True
    )
    assert any("quatre yeux" in m for m in messages_of(response))
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED


def test_unique_conflict_is_shown_and_nothing_moves(world, client, login, proposer, referent):
    merge = propose_merge(Actor(proposer), world.bruno, world.anne, REASON)
    login(referent)
    response = client.post(
        f"/personnes/fusions/{merge.pk}/valider/", {"confirm": "on"}, follow=True
    )
    assert any("séjours qui se chevauchent" in m for m in messages_of(response))
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
    assert world.bruno.stays.count() == 1


# --- the merged record ------------------------------------------------------------------------


def test_merged_record_page_leads_to_the_kept_one(world, client, login, proposer, referent):
    duplicate = world.person(world.ime, birth_name="MARTIN", first_name="Anne")
    approve_merge(Actor(referent), pending(world, proposer, duplicate))
    ime_educator = world.user("educateur", facility=world.ime)
    login(ime_educator)
    response = client.get(f"/personnes/{duplicate.pk}/", follow=True)
    assert response.redirect_chain == [(f"/personnes/{world.anne.pk}/", 302)]
    assert any(
        f"Le dossier {duplicate.local_id} a été fusionné dans ce dossier" in m
        for m in messages_of(response)
    )
    # The kept record now has the IME stay, so the IME team sees it.
    assert "IME Les Sources" in text(response)


def test_merged_record_page_refuses_users_who_cannot_see_the_kept_one(
    world, client, login, proposer, referent
):
    duplicate = world.person(world.ime, birth_name="MARTIN", first_name="Anne")
    approve_merge(Actor(referent), pending(world, proposer, duplicate))
    outsider = world.user("educateur", organisation=world.other_og)
    login(outsider)
    assert client.get(f"/personnes/{duplicate.pk}/").status_code == 403


def test_merged_record_disappears_from_the_list(world, client, login, proposer, referent):
    duplicate = world.person(world.ime, birth_name="MARTIN", first_name="Anne")
    login(referent)
    listed = client.get("/personnes/?q=martin").context["persons"]
    assert duplicate.pk in [row.pk for row in listed]
    approve_merge(Actor(referent), pending(world, proposer, duplicate))
    listed = client.get("/personnes/?q=martin").context["persons"]
    assert [row.pk for row in listed] == [world.anne.pk]


def test_identity_page_of_merged_record_shows_a_notice(world, client, login, proposer, referent):
    duplicate = world.person(world.ime, birth_name="MARTIN", first_name="Anne")
    approve_merge(Actor(referent), pending(world, proposer, duplicate))
    html = text(login(referent).get(f"/personnes/{duplicate.pk}/identite/"))
    assert f"fusionné le {timezone.localdate():%d/%m/%Y}" in html
    assert f'href="/personnes/{world.anne.pk}/"' in html
    assert "Proposer sa fusion" not in html


def test_referent_chooses_the_traits_kept_on_the_review_page(
    world, client, login, proposer, referent
):
    source = world.person(
        world.ime, birth_name="MARTIN", first_name="ANNE", birth_first_names="ANNE LOUISE"
    )
    merge = pending(world, proposer, source)
    login(referent)
    response = client.get(f"/personnes/fusions/{merge.pk}/")
    html = text(response)
    assert "Traits stricts conservés, avec l'INS et le statut de l'identité" in html
    assert f"doublon {source.local_id} : MARTIN ANNE LOUISE" in html
    assert f"dossier conservé {world.anne.local_id} : MARTIN Anne" in html
    assert 'name="used_first_name"' in html
    response = client.post(
        f"/personnes/fusions/{merge.pk}/valider/",
        {"confirm": "on", "strict": "source", "used_name": "target", "used_first_name": "target"},
        follow=True,
    )
    assert any("Fusion exécutée" in m for m in messages_of(response))
    world.anne.refresh_from_db()
    assert (world.anne.first_name, world.anne.birth_first_names) == ("ANNE", "ANNE LOUISE")
    merge.refresh_from_db()
    assert merge.trait_choices["strict"] == "source"


def test_a_qualified_identity_is_the_only_strict_choice_offered(
    world, client, login, proposer, referent, duplicate
):
    duplicate.ins_matricule, duplicate.ins_oid = MATRICULE, INS_NIR_OID
    duplicate.identity_retrieved_from_insi = duplicate.identity_document_checked = True
    duplicate.identity_document_type = "CN"
    duplicate.save()
    merge = pending(world, proposer, duplicate)
    login(referent)
    response = client.get(f"/personnes/fusions/{merge.pk}/")
    strict = response.context["approve_form"].fields["strict"]
    assert [key for key, _ in strict.choices] == ["source"]
    assert "est qualifiée : ses traits stricts sont conservés" in text(response)
    # A forged choice of the other record's traits is refused and nothing moves.
    response = client.post(
        f"/personnes/fusions/{merge.pk}/valider/", {"confirm": "on", "strict": "target"}
    )
    assert response.status_code == 400
    assert "ne peuvent pas être remplacés" in text(response)
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
