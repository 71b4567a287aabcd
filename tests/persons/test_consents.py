"""Consents and oppositions: recording, withdrawal, who may express them, consent_holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.core.actor import Actor
from opendui.persons import consents, entourage
from opendui.persons.models import (
    Consent,
    ConsentGiver,
    ConsentKind,
    ConsentScope,
    MeasureType,
    RelationType,
)

D = dt.date(2024, 3, 1)


@pytest.fixture
def secretary(world):
    return Actor(user=world.user("accueil", facility=world.ehpad), address="192.0.2.1")


def consent(actor, person, scope=ConsentScope.PARTAGE_CERCLE_SOINS, **extra):
    fields = {
        "scope": scope,
        "kind": ConsentKind.CONSENTEMENT,
        "given_on": D,
        "given_by": ConsentGiver.PERSONNE,
        **extra,
    }
    return consents.record_consent(actor, person, **fields)


def test_record_consent_holds_and_is_audited(world, secretary):
    scope = ConsentScope.PARTAGE_CERCLE_SOINS
    assert not consents.consent_holds(world.anne, scope, D)
    recorded = consent(secretary, world.anne, evidence_reference="Formulaire signé n° 12")
    assert consents.consent_holds(world.anne, scope, D)
    assert not consents.consent_holds(world.anne, scope, D - dt.timedelta(days=1))
    event = AuditEvent.objects.get(action="consent.record")
    assert event.object_id == str(recorded.pk)
    assert AuditEventPerson.objects.filter(event=event, person_id=world.anne.pk).exists()


def test_withdrawal_is_a_status_and_ends_the_consent(world, secretary):
    scope = ConsentScope.DROIT_IMAGE
    recorded = consent(secretary, world.anne, scope)
    withdrawn = consents.withdraw_consent(
        secretary,
        recorded,
        on=dt.date(2024, 6, 1),
        reason="Ne souhaite plus être photographiée",
        expected_version=recorded.version,
    )
    assert Consent.objects.filter(pk=recorded.pk).exists()
    assert withdrawn.is_withdrawn and withdrawn.version == 2
    assert consents.consent_holds(world.anne, scope, dt.date(2024, 5, 31))
    assert not consents.consent_holds(world.anne, scope, dt.date(2024, 6, 1))
    assert not consents.consent_holds(world.anne, scope)
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1
    with pytest.raises(ValidationError, match="déjà été retiré"):
        consents.withdraw_consent(
            secretary,
            withdrawn,
            on=dt.date(2024, 7, 1),
            reason="x",
            expected_version=withdrawn.version,
        )


def test_withdrawal_refusals_in_french(world, secretary):
    recorded = consent(secretary, world.anne)
    with pytest.raises(ValidationError) as error:
        consents.withdraw_consent(
            secretary,
            recorded,
            on=D - dt.timedelta(days=1),
            reason="",
            expected_version=recorded.version,
        )
    messages = error.value.message_dict
    assert messages["withdrawn_on"] == [
        "La date de retrait ne peut pas précéder la date du recueil."
    ]
    assert messages["withdrawal_reason"] == ["Indiquez le motif du retrait."]
    assert Consent.objects.get().withdrawn_on is None


def test_latest_record_wins(world, secretary):
    scope = ConsentScope.ECHANGES_MSSANTE
    consent(secretary, world.anne, scope)
    consent(secretary, world.anne, scope, kind=ConsentKind.OPPOSITION, given_on=dt.date(2024, 4, 1))
    assert consents.consent_holds(world.anne, scope, dt.date(2024, 3, 15))
    assert not consents.consent_holds(world.anne, scope, dt.date(2024, 4, 1))


def test_dmp_opposition_semantics(world, secretary):
    scope = ConsentScope.ALIMENTATION_DMP
    assert consents.consent_holds(world.anne, scope, D)  # no opposition in force
    opposition = consent(secretary, world.anne, scope, kind=ConsentKind.OPPOSITION)
    assert not consents.consent_holds(world.anne, scope, D)
    consents.withdraw_consent(
        secretary,
        opposition,
        on=dt.date(2024, 5, 1),
        reason="Levée",
        expected_version=opposition.version,
    )
    assert consents.consent_holds(world.anne, scope, dt.date(2024, 5, 1))


def test_future_date_refused(world, secretary):
    with pytest.raises(ValidationError, match="futur"):
        consent(secretary, world.anne, given_on=dt.date.today() + dt.timedelta(days=2))
    assert not Consent.objects.exists()


def test_representative_required_when_given_by_representative(world, secretary):
    with pytest.raises(ValidationError) as error:
        consent(secretary, world.anne, given_by=ConsentGiver.REPRESENTANT)
    assert "représentant" in error.value.message_dict["representative"][0]
    assert not AuditEvent.objects.filter(action="consent.record").exists()


def test_under_tutelle_the_representative_consents(world, secretary):
    tutor = entourage.add_related_person(
        secretary, world.anne, last_name="Mandat", relation=RelationType.MANDATAIRE
    )
    entourage.add_legal_protection(
        secretary,
        world.anne,
        measure=MeasureType.TUTELLE,
        start_date=dt.date(2023, 1, 1),
        representative=tutor,
    )
    with pytest.raises(ValidationError, match="représentant légal"):
        consent(secretary, world.anne)
    recorded = consent(
        secretary, world.anne, given_by=ConsentGiver.REPRESENTANT, representative=tutor
    )
    assert recorded.representative == tutor
    assert consents.consent_holds(world.anne, ConsentScope.PARTAGE_CERCLE_SOINS, D)


def test_minor_consent_given_by_parent(world):
    actor = Actor(user=world.user("accueil", facility=world.ime))
    mother = entourage.add_related_person(
        actor,
        world.chloe,
        last_name="Petit",
        relation=RelationType.PARENT,
        is_legal_representative=True,
    )
    with pytest.raises(ValidationError, match="représentant légal"):
        consent(actor, world.chloe, ConsentScope.DROIT_IMAGE)
    consent(
        actor,
        world.chloe,
        ConsentScope.DROIT_IMAGE,
        given_by=ConsentGiver.REPRESENTANT,
        representative=mother,
    )
    assert consents.consent_holds(world.chloe, ConsentScope.DROIT_IMAGE, D)


def test_educator_is_refused(world, secretary):
    educator = Actor(user=world.user("educateur", facility=world.ehpad))
    with pytest.raises(PermissionDenied):
        consent(educator, world.anne)
    recorded = consent(secretary, world.anne)
    with pytest.raises(PermissionDenied):
        consents.withdraw_consent(
            educator, recorded, on=D, reason="x", expected_version=recorded.version
        )
    assert Consent.objects.get().withdrawn_on is None
