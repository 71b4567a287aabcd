"""Correcting a related person's contact details and roles, and ending a relationship:
services (versions, refusals, audit) and pages (forms, history, rights)."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError, MissingVersionError
from opendui.persons import entourage
from opendui.persons.models import LegalProtection, MeasureType, RelatedPerson, RelationType

D = dt.date


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def actor(secretary):
    return Actor(user=secretary)


@pytest.fixture
def daughter(world, actor):
    return entourage.add_related_person(
        actor,
        world.anne,
        last_name="Martin",
        first_name="Julie",
        relation=RelationType.ENFANT,
        phone="0601020304",
        is_emergency_contact=True,
    )


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def stored(related: RelatedPerson) -> tuple:
    related.refresh_from_db()
    return (
        related.version,
        related.phone,
        related.relation,
        related.is_active,
        related.end_date,
        AuditEvent.objects.filter(action__in=["entourage.update", "entourage.end"]).count(),
    )


# --- services ----------------------------------------------------------------------------------


def test_edit_contact_and_role_is_versioned_and_audited(world, actor, daughter):
    entourage.update_related_person(
        actor,
        daughter,
        expected_version=1,
        phone="0611223344",
        relation=RelationType.AUTRE_FAMILLE,
        is_trusted_person=True,
    )
    daughter.refresh_from_db()
    assert (daughter.version, daughter.phone, daughter.relation, daughter.is_trusted_person) == (
        2,
        "0611223344",
        "autre_famille",
        True,
    )
    event = AuditEvent.objects.get(action="entourage.update")
    assert event.person_ids == [world.anne.pk]
    assert event.details["changes"]["phone"] == ["0601020304", "0611223344"]
    assert event.details["changes"]["relation"] == ["enfant", "autre_famille"]


def test_edit_refusals_save_nothing(world, actor, daughter):
    before = stored(daughter)
    with pytest.raises(MissingVersionError):
        entourage.update_related_person(actor, daughter, expected_version=None, phone="06")
    with pytest.raises(ConcurrentEditError):
        entourage.update_related_person(actor, daughter, expected_version=5, phone="06")
    daughter.refresh_from_db()
    with pytest.raises(ValidationError, match="Aucune modification"):
        entourage.update_related_person(actor, daughter, expected_version=1, phone="0601020304")
    daughter.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        entourage.update_related_person(actor, daughter, expected_version=1, email="pas-un-mail")
    assert "email" in error.value.message_dict
    daughter.refresh_from_db()
    with pytest.raises(TypeError):  # ending goes through end_related_person
        entourage.update_related_person(actor, daughter, expected_version=1, is_active=False)
    educator = Actor(user=world.user("educateur", facility=world.ehpad))
    with pytest.raises(PermissionDenied):
        entourage.update_related_person(educator, daughter, expected_version=1, phone="06")
    assert stored(daughter) == before


def test_end_a_relationship_keeps_the_row_with_date_and_reason(world, actor, daughter):
    today = timezone.localdate()
    entourage.end_related_person(actor, daughter, today, "  Décès  ", expected_version=1)
    daughter.refresh_from_db()
    assert (daughter.is_active, daughter.end_date, daughter.end_reason, daughter.version) == (
        False,
        today,
        "Décès",
        2,
    )
    assert RelatedPerson.objects.filter(pk=daughter.pk).exists()
    event = AuditEvent.objects.get(action="entourage.end")
    assert event.details["changes"]["is_active"] == [True, False]
    assert event.details["changes"]["end_reason"] == ["", "Décès"]
    # An ended relationship is history: neither edited nor ended again.
    with pytest.raises(ValidationError, match="a pris fin"):
        entourage.update_related_person(actor, daughter, expected_version=2, phone="07")
    with pytest.raises(ValidationError, match="a pris fin"):
        entourage.end_related_person(actor, daughter, today, "Encore", expected_version=2)


def test_end_refusals_save_nothing(world, actor, daughter):
    today = timezone.localdate()
    before = stored(daughter)
    with pytest.raises(ValidationError) as error:
        entourage.end_related_person(
            actor, daughter, today + dt.timedelta(days=1), "...", expected_version=1
        )
    assert set(error.value.message_dict) == {"end_date", "end_reason"}
    with pytest.raises(ValidationError, match="précède l'enregistrement"):
        entourage.end_related_person(actor, daughter, D(2000, 1, 1), "Décès", expected_version=1)
    with pytest.raises(MissingVersionError):
        entourage.end_related_person(actor, daughter, today, "Décès", expected_version=None)
    with pytest.raises(ConcurrentEditError):
        entourage.end_related_person(actor, daughter, today, "Décès", expected_version=9)
    outsider = Actor(user=world.user("accueil", facility=world.ime))
    with pytest.raises(PermissionDenied):
        entourage.end_related_person(outsider, daughter, today, "Décès", expected_version=1)
    assert stored(daughter) == before


def test_a_representative_in_a_measure_in_force_is_not_ended(world, actor, daughter):
    LegalProtection.objects.create(
        person=world.anne,
        measure=MeasureType.TUTELLE,
        start_date=D(2020, 1, 1),
        representative=daughter,
    )
    before = stored(daughter)
    with pytest.raises(ValidationError, match="terminez ou modifiez d'abord cette mesure"):
        entourage.end_related_person(
            actor, daughter, timezone.localdate(), "Décès", expected_version=1
        )
    assert stored(daughter) == before


# --- pages -------------------------------------------------------------------------------------


def test_edit_page(world, login, secretary, daughter):
    client = login(secretary)
    page = client.get(f"/personnes/{world.anne.pk}/entourage/")
    edit_url = f"/personnes/{world.anne.pk}/entourage/proche/{daughter.pk}/modifier/"
    assert edit_url in text(page)
    form = client.get(edit_url).context["form"]
    assert form.initial["phone"] == "0601020304" and form.initial["expected_version"] == 1
    data = {
        "last_name": "Martin",
        "first_name": "Julie",
        "relation": "enfant",
        "phone": "0699887766",
        "email": "julie@example.org",
        "is_emergency_contact": "on",
        "is_legal_representative": "on",
        "expected_version": 1,
    }
    response = client.post(edit_url, data, follow=True)
    assert "coordonnées de MARTIN Julie sont modifiées" in " ".join(messages_of(response))
    daughter.refresh_from_db()
    assert (daughter.phone, daughter.email, daughter.is_legal_representative) == (
        "0699887766",
        "julie@example.org",
        True,
    )
    assert "représentant légal" in text(response)
    # The same form again: someone (this user) saved meanwhile, 409 and nothing changed.
    data["phone"] = "0100000000"
    response = client.post(edit_url, data)
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    del data["expected_version"]
    response = client.post(edit_url, data)
    assert response.status_code == 409
    assert "La version du formulaire manque" in text(response)
    daughter.refresh_from_db()
    assert daughter.phone == "0699887766"


def test_end_page_moves_the_contact_to_the_history(world, login, secretary, daughter):
    client = login(secretary)
    end_url = f"/personnes/{world.anne.pk}/entourage/proche/{daughter.pk}/fin/"
    confirm = client.get(end_url)
    assert confirm.status_code == 200 and "Confirmer la fin de la relation" in text(confirm)
    response = client.post(end_url, {"end_date": "", "end_reason": "", "expected_version": 1})
    assert response.status_code == 200
    assert "Rien n'a été enregistré" in " ".join(messages_of(response))
    assert RelatedPerson.objects.get(pk=daughter.pk).is_active
    today = timezone.localdate()
    response = client.post(
        end_url,
        {
            "end_date": today.isoformat(),
            "end_reason": "Déménagement à l'étranger",
            "expected_version": 1,
        },
        follow=True,
    )
    assert "a pris fin" in " ".join(messages_of(response))
    context = response.context
    assert [r["person"] for r in context["related_persons"]] == []
    assert [r["person"].pk for r in context["ended_related"]] == [daughter.pk]
    html = text(response)
    assert "Historique : relations terminées" in html
    assert f"{today:%d/%m/%Y}" in html and "Déménagement à l'étranger" in html
    assert f"/entourage/proche/{daughter.pk}/modifier/" not in html


def test_educator_and_other_records_are_refused(world, login, daughter):
    client = login(world.user("educateur", facility=world.ehpad))
    edit_url = f"/personnes/{world.anne.pk}/entourage/proche/{daughter.pk}/modifier/"
    end_url = f"/personnes/{world.anne.pk}/entourage/proche/{daughter.pk}/fin/"
    assert client.get(edit_url).status_code == 403
    assert client.post(end_url, {"end_reason": "x", "expected_version": 1}).status_code == 403
    assert RelatedPerson.objects.get(pk=daughter.pk).is_active


def test_a_contact_of_another_record_is_not_found(world, login, secretary, daughter):
    """The contact id in the URL must belong to the record named there."""
    client = login(secretary)
    url = f"/personnes/{world.bruno.pk}/entourage/proche/{daughter.pk}/fin/"
    today = timezone.localdate().isoformat()
    response = client.post(url, {"end_date": today, "end_reason": "Décès", "expected_version": 1})
    assert response.status_code == 404
    assert RelatedPerson.objects.get(pk=daughter.pk).is_active


def test_entourage_page_queries_do_not_grow(
    world, login, secretary, actor, django_assert_max_num_queries
):
    client = login(secretary)
    client.get(f"/personnes/{world.anne.pk}/entourage/")
    today = timezone.localdate()
    for n in range(12):
        related = entourage.add_related_person(
            actor, world.anne, last_name=f"Proche{n}", relation=RelationType.AMI
        )
        if n % 2:
            entourage.end_related_person(actor, related, today, "Perdu de vue", expected_version=1)
    # 20 for the page, 3 for the record banner (current stays, protection, break-glass
    # grant of the checks the page did not make): persons.sections.
    with django_assert_max_num_queries(26):  # with the record banner's photo and rights
        response = client.get(f"/personnes/{world.anne.pk}/entourage/")
    assert len(response.context["related_persons"]) == 6
    assert len(response.context["ended_related"]) == 6
