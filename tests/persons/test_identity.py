"""Identity vigilance applied to records: transitions, history, audit, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.persons import identity
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.models import IdentityStatusChange, Person
from opendui.persons.rniv import IdentityRuleError, IdentityStatus


@pytest.fixture
def secretary(world):
    return Actor(user=world.user("accueil", facility=world.ehpad), address="192.0.2.1")


def insi_traits_of(person, **changes):
    values = {
        "birth_name": person.birth_name.upper(),
        "birth_first_names": (person.first_name.upper(), "LOUISE"),
        "sex": person.sex,
        "birth_date": person.birth_date,
        "birth_place_code": "75056",
        "matricule": "240057505612345"[:13] + "00",
        "oid": INS_NIR_OID,
    }
    values.update(changes)
    from opendui.persons.ins import control_key

    values["matricule"] = values["matricule"][:13] + f"{control_key(values['matricule'][:13]):02d}"
    return identity.InsiTraits(**values)


def test_document_check_validates_and_is_kept_in_history_and_audit(world, secretary):
    person = identity.record_document_check(
        secretary, world.anne, "CN", expected_version=world.anne.version
    )
    assert person.identity_status is IdentityStatus.VALI
    assert person.identity_document_type == "CN"
    change = IdentityStatusChange.objects.get(person=person)
    assert (change.from_status, change.to_status, change.by) == ("PROV", "VALI", secretary.user)
    event = AuditEvent.objects.filter(action="identity.document_check").get()
    assert event.details["changes"]["identity_document_checked"] == [False, True]
    assert event.person_ids == [world.anne.pk]


def test_insi_then_document_qualifies_and_only_then_the_ins_is_transmittable(world, secretary):
    traits = insi_traits_of(world.anne, birth_first_names=("ANNE", "LOUISE"))
    person = identity.record_insi_retrieval(
        secretary, world.anne, traits, expected_version=world.anne.version
    )
    assert person.identity_status is IdentityStatus.RECUP
    assert person.ins_matricule == traits.matricule and person.birth_first_names == "ANNE LOUISE"
    assert person.transmittable_ins == ""
    person = identity.record_document_check(
        secretary, person, "PA", expected_version=person.version
    )
    assert person.identity_status is IdentityStatus.QUAL
    assert person.transmittable_ins == traits.matricule


def test_insi_traits_that_differ_are_named_and_nothing_is_overwritten(world, secretary):
    traits = insi_traits_of(world.anne, birth_date=dt.date(1941, 5, 17))
    with pytest.raises(IdentityRuleError, match="date de naissance : 17/05/1940 / 17/05/1941"):
        identity.record_insi_retrieval(
            secretary, world.anne, traits, expected_version=world.anne.version
        )
    person = Person.objects.get(pk=world.anne.pk)
    assert person.ins_matricule == "" and person.identity_status is IdentityStatus.PROV
    assert not IdentityStatusChange.objects.exists()


def test_doubtful_identity_cannot_be_validated_in_the_service_or_the_database(world, secretary):
    identity.mark_attribute(
        secretary,
        world.anne,
        "douteuse",
        reason="Deux dates de naissance",
        expected_version=world.anne.version,
    )
    with pytest.raises(IdentityRuleError):
        identity.record_document_check(
            secretary,
            world.anne,
            "CN",
            expected_version=Person.objects.get(pk=world.anne.pk).version,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=world.anne.pk).update(identity_document_checked=True)


def test_a_qualified_identity_is_corrected_only_after_withdrawing_the_qualification(
    world, secretary
):
    person = identity.record_insi_retrieval(
        secretary,
        world.anne,
        insi_traits_of(world.anne, birth_first_names=("ANNE",)),
        expected_version=world.anne.version,
    )
    person = identity.record_document_check(
        secretary, person, "CN", expected_version=person.version
    )
    assert person.identity_status is IdentityStatus.QUAL
    values = {**identity.trait_values(person), "birth_date": dt.date(1940, 5, 18)}
    with pytest.raises(IdentityRuleError, match="ne se modifient que par l'INSi"):
        identity.correct_identity(secretary, person, values, expected_version=person.version)
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.QUAL
    assert person.birth_date == dt.date(1940, 5, 17)

    person = identity.withdraw_qualification(
        secretary, person, "Date de naissance mal lue sur la carte", expected_version=person.version
    )
    assert person.identity_status is IdentityStatus.PROV
    assert person.ins_matricule == "" and person.transmittable_ins == ""
    withdrawn = IdentityStatusChange.objects.filter(person=person).first()
    assert (withdrawn.event, withdrawn.from_status, withdrawn.to_status) == (
        "qualification_withdrawn",
        "QUAL",
        "PROV",
    )
    assert withdrawn.reason == "Date de naissance mal lue sur la carte"
    person, why = identity.correct_identity(
        secretary, person, values, expected_version=person.version
    )
    assert why is None and person.birth_date == dt.date(1940, 5, 18)
    change = IdentityStatusChange.objects.filter(person=person).first()
    assert change.changes == {"birth_date": ["1940-05-17", "1940-05-18"]}


def test_minor_documents_depend_on_age(world, secretary):
    chloe = identity.record_document_check(
        Actor(user=world.user("accueil", facility=world.ime)),
        world.chloe,
        "AN",
        on=dt.date(2026, 1, 1),
        expected_version=world.chloe.version,
    )
    assert chloe.identity_status is IdentityStatus.VALI
    with pytest.raises(IdentityRuleError):
        identity.record_document_check(
            secretary, world.anne, "AN", expected_version=world.anne.version
        )


def test_only_roles_that_edit_identities_may_change_the_status(world):
    educator = Actor(user=world.user("educateur", facility=world.ime))
    with pytest.raises(PermissionDenied):
        identity.record_document_check(
            educator, world.chloe, "CN", expected_version=world.chloe.version
        )
    outsider = Actor(user=world.user("accueil", facility=world.ime))
    with pytest.raises(PermissionDenied):
        identity.record_document_check(
            outsider, world.anne, "CN", expected_version=world.anne.version
        )
    assert not IdentityStatusChange.objects.exists()


def test_entered_first_names_are_compared_in_order(world, secretary):
    Person.objects.filter(pk=world.anne.pk).update(birth_first_names="Louise Anne")
    world.anne.refresh_from_db()
    traits = insi_traits_of(world.anne, birth_first_names=("ANNE", "LOUISE"))
    with pytest.raises(IdentityRuleError, match="prénoms de naissance"):
        identity.record_insi_retrieval(
            secretary, world.anne, traits, expected_version=world.anne.version
        )
