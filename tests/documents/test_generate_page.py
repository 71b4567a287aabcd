"""The "Générer un document" page: a PDF made from the record, stored as a document."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from opendui.audit.models import AuditEvent
from opendui.documents.codes import document_type
from opendui.documents.generation import DocumentKind
from opendui.documents.models import Document
from opendui.stays.models import Contract
from opendui.stays.rules import CONTRACT

pytestmark = pytest.mark.django_db


def url(person) -> str:
    return reverse("documents:generate", args=[person.pk])


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


def post(client, person, data: dict):
    token = client.get(url(person)).context["form_token"]
    return client.post(url(person), {**data, "form_token": token})


def test_every_generated_kind_is_a_type_of_the_document_store():
    for kind in DocumentKind:
        assert document_type("LOCAL", kind.value) is not None, kind


def test_a_secretary_generates_the_contract_and_finds_it_in_the_documents(world, login, secretary):
    stay = world.anne.stays.get()
    Contract.objects.create(stay=stay, kind=CONTRACT, handed_on=dt.date(2024, 1, 10))
    client = login(secretary)
    response = post(
        client,
        world.anne,
        {"kind": "CONTRAT-SEJOUR", "stay": stay.pk, "director_name": "Claire BERNARD"},
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("documents:detail", args=[document.pk])
    assert (document.person, document.facility) == (world.anne, stay.facility)
    assert document.type_code == "CONTRAT-SEJOUR"
    assert document.data_category == "administrative"
    assert document.current.mime_type == "application/pdf"
    assert AuditEvent.objects.filter(action__startswith="document.", person_ids=[world.anne.pk])
    tab = client.get(reverse("documents:person_documents", args=[world.anne.pk]))
    assert "Contrat de séjour" in tab.content.decode()


def test_a_contract_kind_without_a_contract_is_a_clear_message(world, login, secretary):
    response = post(
        login(secretary),
        world.anne,
        {"kind": "AVENANT", "stay": world.anne.stays.get().pk, "changes": "Chambre 12"},
    )
    assert response.status_code == 400
    assert "n'a pas encore de contrat" in unescape(response.content.decode())
    assert not Document.objects.exists()


def test_a_letter_needs_its_recipient_and_text(world, login, secretary):
    stay = world.anne.stays.get()
    client = login(secretary)
    response = post(client, world.anne, {"kind": "COURRIER", "stay": stay.pk})
    assert response.status_code == 400
    body = unescape(response.content.decode())
    assert "Indiquez le destinataire" in body and "Écrivez le texte du courrier" in body
    response = post(
        client,
        world.anne,
        {
            "kind": "COURRIER",
            "stay": stay.pk,
            "recipient_name": "Dr MOREAU",
            "body": "Nous vous adressons le bilan d'entrée.",
        },
    )
    assert response.status_code == 302
    assert Document.objects.get().type_code == "COURRIER"


def test_a_stay_of_another_person_is_refused(world, login, secretary):
    other = world.bruno.stays.get()
    response = post(login(secretary), world.anne, {"kind": "ATTEST-PRESENCE", "stay": other.pk})
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_the_token_makes_a_double_submission_one_document(world, login, secretary):
    client = login(secretary)
    stay = world.anne.stays.get()
    token = client.get(url(world.anne)).context["form_token"]
    data = {"kind": "CERTIF-ADMISSION", "stay": stay.pk, "form_token": token}
    assert client.post(url(world.anne), data).status_code == 302
    assert client.post(url(world.anne), data).status_code == 302
    assert Document.objects.count() == 1


def test_a_reader_without_administrative_write_is_refused(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    client = login(educator)
    assert client.get(url(world.anne)).status_code == 403
    assert client.post(url(world.anne), {"kind": "CERTIF-ADMISSION"}).status_code == 403
    assert not Document.objects.exists()
