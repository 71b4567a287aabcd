"""The entourage, legal protection and consents page: display, rights and actions."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest

from opendui.audit.models import AuditEvent
from opendui.persons.models_entourage import (
    Consent,
    ConsentGiver,
    ConsentKind,
    ConsentScope,
    LegalProtection,
    MeasureType,
    RelatedPerson,
    RelationType,
)


def url(person, action=""):
    return f"/personnes/{person.pk}/entourage/{action}"


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def token(client, person, name):
    return client.get(url(person)).context["tokens"][name]


def post(client, person, action, name, data):
    data = {**data, "form_token": token(client, person, name)}
    return client.post(url(person, action), data, follow=True)


def son(person, **extra):
    return RelatedPerson.objects.create(
        person=person, last_name="Martin", first_name="Paul", relation=RelationType.ENFANT, **extra
    )


# --- display -----------------------------------------------------------------------------------


def test_secretary_sees_the_page_with_forms_and_the_read_is_audited(world, login, secretary):
    response = login(secretary).get(url(world.anne))
    assert response.status_code == 200
    html = text(response)
    assert "Entourage, protection et consentements" in html
    assert "la personne elle-même" in html
    for action in ("proche/", "mesure/", "consentement/"):
        assert url(world.anne, action) in html
    assert AuditEvent.objects.filter(action="person.entourage_view").count() == 1


def test_detail_page_links_to_the_entourage_page(world, login, secretary):
    response = login(secretary).get(f"/personnes/{world.anne.pk}/")
    assert url(world.anne) in response.content.decode()


def test_educator_reads_the_page_without_forms(world, login):
    educator = world.user("educateur", facility=world.ehpad)  # administrative: read only
    son(world.anne, is_trusted_person=True)
    response = login(educator).get(url(world.anne))
    assert response.status_code == 200
    html = text(response)
    assert "MARTIN Paul" in html and "personne de confiance" in html
    assert url(world.anne, "proche/") not in html
    assert "form_token" not in html


def test_outsider_is_refused(world, login):
    outsider = world.user("accueil", facility=world.ime)
    assert login(outsider).get(url(world.anne)).status_code == 403


def test_represented_person_without_representative_gets_a_french_message(world, login, secretary):
    LegalProtection.objects.create(
        person=world.anne, measure=MeasureType.TUTELLE, start_date=dt.date(2020, 1, 1)
    )
    html = text(login(secretary).get(url(world.anne)))
    assert "aucun représentant légal n'est enregistré" in html
    assert "Tutelle" in html and "en cours" in html


def test_representative_consents_for_a_represented_person(world, login, secretary):
    tutor = son(world.anne, is_legal_representative=True)
    LegalProtection.objects.create(
        person=world.anne,
        measure=MeasureType.TUTELLE,
        start_date=dt.date(2020, 1, 1),
        representative=tutor,
    )
    html = text(login(secretary).get(url(world.anne)))
    assert "représentant légal : <strong>MARTIN Paul</strong>" in html


# --- actions -----------------------------------------------------------------------------------


def test_add_related_person(world, login, secretary):
    client = login(secretary)
    response = post(
        client,
        world.anne,
        "proche/",
        "related",
        {
            "last_name": "Martin",
            "first_name": "Paul",
            "relation": "enfant",
            "is_emergency_contact": "on",
        },
    )
    assert response.status_code == 200
    related = RelatedPerson.objects.get(person=world.anne)
    assert related.is_emergency_contact and not related.is_trusted_person
    html = text(response)
    assert "MARTIN Paul" in html and "personne à prévenir" in html
    assert AuditEvent.objects.filter(action="entourage.add").count() == 1


def test_replayed_related_person_is_not_saved_twice(world, login, secretary):
    client = login(secretary)
    data = {
        "last_name": "Martin",
        "relation": "enfant",
        "form_token": token(client, world.anne, "related"),
    }
    client.post(url(world.anne, "proche/"), data)
    response = client.post(url(world.anne, "proche/"), data, follow=True)
    assert RelatedPerson.objects.filter(person=world.anne).count() == 1
    assert any("déjà été envoyé" in m for m in messages_of(response))


def test_add_measure(world, login, secretary):
    tutor = son(world.anne)
    response = post(
        login(secretary),
        world.anne,
        "mesure/",
        "measure",
        {
            "measure": MeasureType.CURATELLE_RENFORCEE,
            "start_date": "2021-03-01",
            "court": "Tribunal judiciaire de Lyon",
            "representative": tutor.pk,
        },
    )
    measure = LegalProtection.objects.get(person=world.anne)
    assert measure.representative == tutor
    html = text(response)
    assert "Curatelle renforcée" in html and "01/03/2021" in html


def test_measure_ending_before_it_starts_is_refused_in_french(world, login, secretary):
    response = post(
        login(secretary),
        world.anne,
        "mesure/",
        "measure",
        {"measure": MeasureType.TUTELLE, "start_date": "2021-03-01", "end_date": "2020-01-01"},
    )
    assert response.status_code == 200
    assert not LegalProtection.objects.exists()
    html = text(response)
    assert "La date de fin ne peut pas précéder la date de début." in html
    assert "Rien n'a été enregistré" in html


def test_record_then_withdraw_a_consent(world, login, secretary):
    client = login(secretary)
    response = post(
        client,
        world.anne,
        "consentement/",
        "consent",
        {
            "scope": ConsentScope.DROIT_IMAGE,
            "kind": ConsentKind.CONSENTEMENT,
            "given_on": "2024-01-10",
            "given_by": ConsentGiver.PERSONNE,
        },
    )
    consent = Consent.objects.get(person=world.anne)
    html = text(response)
    assert "Droit à l'image" in html and "en vigueur" in html
    response = client.post(
        url(world.anne, f"consentement/{consent.pk}/retrait/"),
        {"on": "2024-02-01", "reason": "Changement d'avis"},
        follow=True,
    )
    consent.refresh_from_db()
    assert consent.withdrawn_on == dt.date(2024, 2, 1)
    assert "retrait le 01/02/2024" in text(response)


def test_consent_by_a_represented_person_themself_is_refused(world, login, secretary):
    tutor = son(world.anne, is_legal_representative=True)
    LegalProtection.objects.create(
        person=world.anne,
        measure=MeasureType.TUTELLE,
        start_date=dt.date(2020, 1, 1),
        representative=tutor,
    )
    response = post(
        login(secretary),
        world.anne,
        "consentement/",
        "consent",
        {
            "scope": ConsentScope.DROIT_IMAGE,
            "kind": ConsentKind.CONSENTEMENT,
            "given_on": "2024-01-10",
            "given_by": ConsentGiver.PERSONNE,
        },
    )
    assert not Consent.objects.exists()
    assert "doit être exprimé par son représentant légal" in text(response)


def test_withdrawing_another_persons_consent_is_404(world, login, secretary):
    consent = Consent.objects.create(
        person=world.bruno,
        scope=ConsentScope.DROIT_IMAGE,
        kind=ConsentKind.CONSENTEMENT,
        given_on=dt.date(2024, 1, 1),
        given_by=ConsentGiver.PERSONNE,
    )
    response = login(secretary).post(
        url(world.anne, f"consentement/{consent.pk}/retrait/"),
        {"on": "2024-02-01", "reason": "x"},
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_educator_cannot_post(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    client = login(educator)
    response = client.post(url(world.anne, "proche/"), {"last_name": "X", "relation": "ami"})
    assert response.status_code == 403
    consent = Consent.objects.create(
        person=world.anne,
        scope=ConsentScope.DROIT_IMAGE,
        kind=ConsentKind.CONSENTEMENT,
        given_on=dt.date(2024, 1, 1),
        given_by=ConsentGiver.PERSONNE,
    )
    response = client.post(
        url(world.anne, f"consentement/{consent.pk}/retrait/"), {"on": "2024-02-01", "reason": "x"}
    )
    assert response.status_code == 403
    assert not RelatedPerson.objects.exists()
