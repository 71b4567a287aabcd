"""Entourage and legal protection: services, rules, refusals, audit, who consents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.core.actor import Actor
from opendui.persons import entourage
from opendui.persons.models import LegalProtection, MeasureType, RelatedPerson, RelationType


@pytest.fixture
def secretary(world):
    return Actor(user=world.user("accueil", facility=world.ehpad), address="192.0.2.1")


@pytest.fixture
def ime_secretary(world):
    return Actor(user=world.user("accueil", facility=world.ime), address="192.0.2.2")


def add_son(actor, person, **extra):
    fields = {
        "last_name": "Martin",
        "first_name": "Paul",
        "relation": RelationType.ENFANT,
        "phone": "0601020304",
        **extra,
    }
    return entourage.add_related_person(actor, person, **fields)


def test_add_related_person_with_roles_is_audited(world, secretary):
    son = add_son(secretary, world.anne, is_trusted_person=True, is_emergency_contact=True)
    assert son.pk and son.version == 1 and son.is_active
    assert son.is_trusted_person and son.is_emergency_contact and not son.is_legal_representative
    event = AuditEvent.objects.get(action="entourage.add")
    assert event.object_id == str(son.pk)
    assert AuditEventPerson.objects.filter(event=event, person_id=world.anne.pk).exists()


def test_update_related_person_bumps_version_and_is_audited(world, secretary):
    son = add_son(secretary, world.anne)
    son = entourage.update_related_person(
        secretary, son, expected_version=1, email="paul@example.org"
    )
    son.refresh_from_db()
    assert son.version == 2 and son.email == "paul@example.org" and son.is_active
    assert AuditEvent.objects.filter(action="entourage.update").count() == 1


def test_invalid_related_person_refused_in_french(world, secretary):
    with pytest.raises(ValidationError) as error:
        entourage.add_related_person(
            secretary, world.anne, last_name="X", relation="cousin_inconnu", email="pas-un-mail"
        )
    assert "relation" in error.value.message_dict and "email" in error.value.message_dict
    assert "valide" in " ".join(error.value.message_dict["email"])
    assert not RelatedPerson.objects.exists()
    assert not AuditEvent.objects.filter(action="entourage.add").exists()


def test_educator_is_refused(world):
    educator = Actor(user=world.user("educateur", facility=world.ehpad))
    with pytest.raises(PermissionDenied):
        add_son(educator, world.anne)
    with pytest.raises(PermissionDenied):
        entourage.add_legal_protection(
            educator, world.anne, measure=MeasureType.TUTELLE, start_date=dt.date(2020, 1, 1)
        )
    assert not RelatedPerson.objects.exists()


def test_secretary_of_another_facility_is_refused(world, secretary):
    with pytest.raises(PermissionDenied):
        add_son(secretary, world.chloe)


def test_add_and_end_legal_protection(world, secretary):
    son = add_son(secretary, world.anne, is_legal_representative=True)
    measure = entourage.add_legal_protection(
        secretary,
        world.anne,
        measure=MeasureType.CURATELLE_RENFORCEE,
        start_date=dt.date(2022, 5, 1),
        judgment_reference="RG 22/00123",
        court="Tribunal judiciaire de Lyon",
        representative=son,
    )
    assert not measure.with_representation
    ended = entourage.end_legal_protection(
        secretary, measure, dt.date(2024, 5, 1), expected_version=measure.version
    )
    ended.refresh_from_db()
    assert ended.end_date == dt.date(2024, 5, 1) and ended.version == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"legal_protection.add", "legal_protection.end"} <= actions
    with pytest.raises(ValidationError, match="déjà terminée"):
        entourage.end_legal_protection(
            secretary, ended, dt.date(2024, 6, 1), expected_version=ended.version
        )


def test_measure_ending_before_start_is_refused(world, secretary):
    with pytest.raises(ValidationError) as error:
        entourage.add_legal_protection(
            secretary,
            world.anne,
            measure=MeasureType.TUTELLE,
            start_date=dt.date(2023, 1, 1),
            end_date=dt.date(2022, 1, 1),
        )
    assert error.value.message_dict["end_date"] == [
        "La date de fin ne peut pas précéder la date de début."
    ]
    measure = entourage.add_legal_protection(
        secretary, world.anne, measure=MeasureType.TUTELLE, start_date=dt.date(2023, 1, 1)
    )
    with pytest.raises(ValidationError, match="ne peut pas précéder"):
        entourage.end_legal_protection(
            secretary, measure, dt.date(2022, 12, 31), expected_version=measure.version
        )
    assert LegalProtection.objects.get().end_date is None


def test_representative_from_another_person_is_refused(world, secretary):
    stranger = add_son(secretary, world.bruno)
    with pytest.raises(ValidationError, match="entourage de cette personne"):
        entourage.add_legal_protection(
            secretary,
            world.anne,
            measure=MeasureType.TUTELLE,
            start_date=dt.date(2023, 1, 1),
            representative=stranger,
        )


def test_adult_without_measure_consents_themself(world):
    assert entourage.who_consents(world.anne) is None


def test_tutelle_makes_the_representative_consent(world, secretary):
    tutor = add_son(secretary, world.anne, relation=RelationType.MANDATAIRE)
    entourage.add_legal_protection(
        secretary,
        world.anne,
        measure=MeasureType.TUTELLE,
        start_date=dt.date(2023, 1, 1),
        end_date=dt.date(2025, 12, 31),
        representative=tutor,
    )
    assert entourage.who_consents(world.anne, dt.date(2024, 1, 1)) == tutor
    assert entourage.who_consents(world.anne, dt.date(2022, 12, 31)) is None
    assert entourage.who_consents(world.anne, dt.date(2026, 1, 1)) is None


def test_curatelle_keeps_the_person_consenting(world, secretary):
    curator = add_son(secretary, world.anne, is_legal_representative=True)
    entourage.add_legal_protection(
        secretary,
        world.anne,
        measure=MeasureType.CURATELLE_SIMPLE,
        start_date=dt.date(2023, 1, 1),
        representative=curator,
    )
    assert entourage.who_consents(world.anne) is None


def test_minor_is_represented_by_the_legal_representative(world, ime_secretary):
    with pytest.raises(ValidationError, match="aucun représentant légal"):
        entourage.who_consents(world.chloe, dt.date(2024, 1, 1))
    mother = entourage.add_related_person(
        ime_secretary,
        world.chloe,
        last_name="Petit",
        first_name="Sophie",
        relation=RelationType.PARENT,
        is_legal_representative=True,
    )
    assert entourage.who_consents(world.chloe, dt.date(2024, 1, 1)) == mother
    # Of age on 4 March 2030: she consents herself.
    assert entourage.who_consents(world.chloe, dt.date(2030, 3, 3)) == mother
    assert entourage.who_consents(world.chloe, dt.date(2030, 3, 4)) is None
