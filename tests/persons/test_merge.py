"""Duplicate merge service (persons.merge): what moves, what is refused, what is traced."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.core.actor import Actor
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.merge import (
    approve_merge,
    merge_preview,
    merge_relations,
    propose_merge,
    reject_merge,
)
from opendui.persons.models import IdentityStatusChange, Person
from opendui.persons.models_entourage import Consent, LegalProtection, RelatedPerson
from opendui.persons.models_merge import MergeStatus, PersonMerge
from opendui.persons.rniv import IdentityStatus
from opendui.persons.selectors import search_persons, visible_persons
from opendui.stays.models import AdmissionRequest, Stay

REASON = "Même personne : pièce d'identité vérifiée, dossier créé deux fois."
MATRICULE = "297022A02077878"


@pytest.fixture
def proposer(world):
    """Secretary of the whole organisation: may edit identities in both facilities."""
    return world.user("accueil")


@pytest.fixture
def referent(world):
    """Organisation-wide director: holds identity.merge."""
    return world.user("directeur")


@pytest.fixture
def duplicate(world):
    """Anne MARTIN entered a second time, in the IME, with a qualified identity and INS."""
    return world.person(
        world.ime,
        birth_name="MARTIN",
        first_name="Anne",
        ins_matricule=MATRICULE,
        ins_oid=INS_NIR_OID,
        identity_retrieved_from_insi=True,
        identity_document_checked=True,
        identity_document_type="CN",
    )


def attach_rows(person: Person) -> dict[str, object]:
    related = RelatedPerson.objects.create(person=person, last_name="MARTIN", relation="enfant")
    measure = LegalProtection.objects.create(
        person=person,
        measure="tutelle",
        start_date=dt.date(2023, 1, 1),
        representative=related,
    )
    consent = Consent.objects.create(
        person=person,
        scope="droit_image",
        kind="consentement",
        given_on=dt.date(2024, 2, 1),
        given_by="representant",
        representative=related,
    )
    admission = AdmissionRequest.objects.create(
        person=person, facility=person.stays.get().facility, received_on=dt.date(2023, 11, 1)
    )
    change = IdentityStatusChange.objects.create(
        person=person,
        at=timezone.now(),
        event="insi_retrieval",
        from_status="PROV",
        to_status="RECUP",
    )
    return {
        "related": related,
        "measure": measure,
        "consent": consent,
        "admission": admission,
        "change": change,
        "stay": person.stays.get(),
    }


def merged(world, proposer, referent, source, target=None):
    merge = propose_merge(Actor(proposer), source, target or world.anne, REASON)
    return approve_merge(Actor(referent), merge, "Vérifié sur la carte d'identité.")


# --- execution --------------------------------------------------------------------------------


def test_approval_moves_every_row_and_records_the_counts(world, proposer, referent, duplicate):
    rows = attach_rows(duplicate)
    anne_stay = world.anne.stays.get()
    versions = {name: row.version for name, row in rows.items() if hasattr(row, "version")}

    merge = merged(world, proposer, referent, duplicate)

    assert merge.status == MergeStatus.EXECUTED
    assert merge.reviewed_by == referent and merge.reviewed_at is not None
    assert merge.review_comment == "Vérifié sur la carte d'identité."
    assert merge.moved_counts == {
        "persons.consent": 1,
        "persons.identitystatuschange": 1,
        "persons.legalprotection": 1,
        "persons.relatedperson": 1,
        "stays.admissionrequest": 1,
        "stays.stay": 1,
    }
    assert merge.moved_ids["stays.stay"] == [rows["stay"].pk]
    for name, row in rows.items():
        row.refresh_from_db()
        assert row.person_id == world.anne.pk, name
        if name in versions:
            assert row.version == versions[name] + 1, name
    assert set(world.anne.stays.values_list("pk", flat=True)) == {anne_stay.pk, rows["stay"].pk}
    # The representative links stay coherent: both ends moved together.
    assert rows["measure"].representative.person_id == world.anne.pk


def test_source_is_marked_merged_and_keeps_its_identity(world, proposer, referent, duplicate):
    merge = merged(world, proposer, referent, duplicate)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == world.anne.pk
    assert duplicate.merged_at == merge.reviewed_at
    # Nothing hard-deleted, nothing rewritten: the INS stays on the row and in the trace.
    assert duplicate.ins_matricule == MATRICULE
    assert merge.source_snapshot["ins_matricule"] == MATRICULE
    assert merge.source_snapshot["ins_oid"] == INS_NIR_OID
    assert merge.source_snapshot["status"] == "QUAL"
    assert merge.source_snapshot["local_id"] == duplicate.local_id
    assert merge.source_snapshot["birth_date"] == "1940-05-17"
    assert not duplicate.stays.exists()


def test_identity_history_names_the_merge_on_both_records(world, proposer, referent, duplicate):
    rows = attach_rows(duplicate)
    merged(world, proposer, referent, duplicate)
    assert list(duplicate.identity_changes.values_list("event", flat=True)) == ["merged_into"]
    source_line = duplicate.identity_changes.get()
    assert world.anne.local_id in source_line.reason and REASON in source_line.reason
    events = set(world.anne.identity_changes.values_list("event", flat=True))
    assert events == {"merge_kept", "insi_retrieval"}
    kept = world.anne.identity_changes.get(event="merge_kept")
    # The duplicate's identity is qualified: its strict traits win (see the trait tests).
    assert (kept.from_status, kept.to_status) == ("PROV", "QUAL")
    assert duplicate.local_id in kept.reason
    assert rows["change"].pk in world.anne.identity_changes.values_list("pk", flat=True)


def test_audit_event_names_both_persons_with_counts_only(world, proposer, referent, duplicate):
    attach_rows(duplicate)
    merge = merged(world, proposer, referent, duplicate)
    event = AuditEvent.objects.get(action="person.merge")
    assert event.kind == "change"
    assert event.person_ids == sorted([duplicate.pk, world.anne.pk])
    assert set(
        AuditEventPerson.objects.filter(event_id=event.pk).values_list("person_id", flat=True)
    ) == {duplicate.pk, world.anne.pk}
    assert event.user_id == referent.pk
    assert event.details["moved"] == merge.moved_counts
    assert event.details["merge"] == merge.pk
    assert event.details["source"] == duplicate.pk and event.details["target"] == world.anne.pk
    assert set(event.details["changes"]) == {"merged_into_id", "merged_at", "version"}
    assert event.details["changes"]["merged_into_id"] == [None, world.anne.pk]
    dumped = json.dumps(event.details)
    assert "MARTIN" not in dumped and MATRICULE not in dumped and "Anne" not in dumped
    proposal = AuditEvent.objects.get(action="person.merge_propose")
    assert proposal.person_ids == sorted([duplicate.pk, world.anne.pk])
    assert proposal.user_id == proposer.pk


def test_previously_merged_records_follow_to_the_kept_one(world, proposer, referent, duplicate):
    third = world.person(world.ime, birth_name="MARTIN", first_name="Anne-Marie")
    Stay.objects.filter(person=third).update(start_date=dt.date(2010, 1, 1))
    Stay.objects.filter(person=third).update(end_date=dt.date(2011, 1, 1))
    merged(world, proposer, referent, third, duplicate)
    merge = merged(world, proposer, world.user("directeur"), duplicate)
    third.refresh_from_db()
    assert third.merged_into_id == world.anne.pk
    assert merge.moved_counts["persons.person.merged_into"] == 1


def test_merged_person_disappears_from_lists_and_search(world, proposer, referent, duplicate):
    assert duplicate in visible_persons(referent)
    merged(world, proposer, referent, duplicate)
    assert duplicate not in visible_persons(referent)
    assert world.anne in visible_persons(referent)
    found = list(search_persons(referent, "martin"))
    assert found == [world.anne]


def test_preview_counts_what_would_move(world, duplicate):
    attach_rows(duplicate)
    preview = {item["key"]: item["count"] for item in merge_preview(duplicate)}
    assert preview == {
        "persons.consent": 1,
        "persons.identitystatuschange": 1,
        "persons.legalprotection": 1,
        "persons.relatedperson": 1,
        "stays.admissionrequest": 1,
        "stays.stay": 1,
    }


def test_relations_are_found_from_the_model_graph():
    keys = {relation.key for relation in merge_relations()}
    assert {
        "stays.stay",
        "stays.admissionrequest",
        "persons.relatedperson",
        "persons.legalprotection",
        "persons.consent",
        "persons.identitystatuschange",
        "persons.person.merged_into",
    } <= keys
    # The merge trace and access grants never move; the audit trail has no foreign key.
    assert not any(k.startswith(("persons.personmerge", "accounts.", "audit.")) for k in keys)


# --- refusals: nothing saved ------------------------------------------------------------------


def assert_nothing_merged(*persons: Person) -> None:
    for person in persons:
        person.refresh_from_db()
        assert person.merged_into_id is None and person.merged_at is None
    assert not AuditEvent.objects.filter(action="person.merge").exists()


def test_a_record_cannot_be_merged_into_itself(world, proposer):
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(proposer), world.anne, world.anne, REASON)
    assert "avec lui-même" in error.value.messages[0]
    assert not PersonMerge.objects.exists()


def test_records_of_two_organisations_are_never_merged(world):
    both = world.user("accueil")
    world.assign(both, "accueil", organisation=world.other_og)
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(both), world.denis, world.anne, REASON)
    assert "même organisme gestionnaire" in error.value.messages[0]
    assert not PersonMerge.objects.exists()


def test_proposer_needs_identity_edit_on_both_records(world, duplicate):
    ime_secretary = world.user("accueil", facility=world.ime)
    with pytest.raises(PermissionDenied):
        propose_merge(Actor(ime_secretary), duplicate, world.anne, REASON)
    educator = world.user("educateur")
    with pytest.raises(PermissionDenied):
        propose_merge(Actor(educator), duplicate, world.anne, REASON)
    assert not PersonMerge.objects.exists()


def test_reason_is_required(world, proposer, duplicate):
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(proposer), duplicate, world.anne, "  doublon ")
    assert "10 caractères" in error.value.messages[0]
    assert not PersonMerge.objects.exists()


def test_one_pending_proposal_per_record(world, proposer, duplicate):
    propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(proposer), duplicate, world.bruno, REASON)
    assert "attend déjà la validation" in error.value.messages[0]
    assert PersonMerge.objects.count() == 1


def test_merged_records_are_not_merged_again_nor_kept(world, proposer, referent, duplicate):
    merge = merged(world, proposer, referent, duplicate)
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(proposer), duplicate, world.bruno, REASON)
    assert "déjà été fusionné" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        propose_merge(Actor(proposer), world.chloe, duplicate, REASON)
    assert "choisissez le dossier actif" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        approve_merge(Actor(world.user("directeur")), merge)
    assert "déjà été examinée" in error.value.messages[0]
    assert PersonMerge.objects.count() == 1


def test_approval_refused_when_the_kept_record_was_merged_meanwhile(
    world, proposer, referent, duplicate
):
    waiting = propose_merge(Actor(proposer), world.chloe, duplicate, REASON)
    merged(world, proposer, referent, duplicate)
    with pytest.raises(ValidationError) as error:
        approve_merge(Actor(referent), waiting)
    assert "lui-même été fusionné" in error.value.messages[0]
    waiting.refresh_from_db()
    assert waiting.status == MergeStatus.PROPOSED
    world.chloe.refresh_from_db()
    assert world.chloe.merged_into_id is None and world.chloe.stays.count() == 1


def test_four_eyes_the_proposer_cannot_approve(world, duplicate):
    both = world.user("accueil")
    world.assign(both, "directeur")
    merge = propose_merge(Actor(both), duplicate, world.anne, REASON)
    with pytest.raises(ValidationError) as error:
        approve_merge(Actor(both), merge)
    assert "quatre yeux" in error.value.messages[0]
    with pytest.raises(ValidationError):
        reject_merge(Actor(both), merge, "Pas la même personne")
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED and merge.reviewed_by is None
    assert duplicate.stays.count() == 1
    assert_nothing_merged(duplicate)


def test_only_a_referent_approves(world, proposer, duplicate):
    merge = propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    facility_director = world.user("directeur", facility=world.ehpad)
    for user in (world.user("accueil"), facility_director):
        with pytest.raises(PermissionDenied):
            approve_merge(Actor(user), merge)
    other_referent = world.user("directeur", organisation=world.other_og)
    with pytest.raises(PermissionDenied):
        approve_merge(Actor(other_referent), merge)
    assert_nothing_merged(duplicate)


def test_overlapping_stays_in_one_facility_refuse_the_whole_merge(world, proposer, referent):
    """Anne and Bruno both have an open stay in the EHPAD since 2024: one person cannot
    be there twice. Nothing moves, the proposal waits."""
    RelatedPerson.objects.create(person=world.bruno, last_name="LEFÈVRE", relation="enfant")
    merge = propose_merge(Actor(proposer), world.bruno, world.anne, REASON)
    with pytest.raises(ValidationError) as error:
        approve_merge(Actor(referent), merge)
    message = error.value.messages[0]
    assert message.startswith("Fusion impossible : les deux dossiers ont des séjours")
    assert "EHPAD Les Tilleuls" in message and message.endswith("Rien n'a été modifié.")
    assert world.bruno.stays.count() == 1 and world.bruno.related_persons.count() == 1
    assert world.anne.stays.count() == 1
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED and merge.moved_counts == {}
    assert not IdentityStatusChange.objects.exists()
    assert_nothing_merged(world.bruno)


def test_stays_that_do_not_overlap_merge(world, proposer, referent):
    Stay.objects.filter(person=world.bruno).update(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2023, 12, 31)
    )
    merge = merged(world, proposer, referent, world.bruno)
    assert merge.moved_counts == {"stays.stay": 1}
    assert world.anne.stays.count() == 2


# --- rejection --------------------------------------------------------------------------------


def test_rejection_needs_a_reason_and_moves_nothing(world, proposer, referent, duplicate):
    rows = attach_rows(duplicate)
    merge = propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    with pytest.raises(ValidationError):
        reject_merge(Actor(referent), merge, "  ")
    rejected = reject_merge(Actor(referent), merge, "Deux sœurs jumelles : pas un doublon.")
    assert rejected.status == MergeStatus.REJECTED
    assert rejected.review_comment == "Deux sœurs jumelles : pas un doublon."
    assert rejected.reviewed_by == referent
    rows["stay"].refresh_from_db()
    assert rows["stay"].person_id == duplicate.pk
    assert_nothing_merged(duplicate)
    event = AuditEvent.objects.get(action="person.merge_reject")
    assert event.person_ids == sorted([duplicate.pk, world.anne.pk])
    assert event.details == {"changes": {"status": ["proposee", "rejetee"]}}
    # A rejected proposal does not block a later one.
    again = propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    assert again.status == MergeStatus.PROPOSED


def test_database_refuses_a_second_executed_merge_of_one_record(world, proposer, referent):
    from django.db import IntegrityError, transaction

    now = timezone.now()
    common = {"reason": REASON, "proposed_by": proposer, "proposed_at": now}
    done = {"status": MergeStatus.EXECUTED, "reviewed_by": referent, "reviewed_at": now}
    PersonMerge.objects.create(source=world.bruno, target=world.anne, **common, **done)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonMerge.objects.create(source=world.bruno, target=world.chloe, **common, **done)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonMerge.objects.create(source=world.anne, target=world.anne, **common)


def test_data_migration_gives_existing_directors_the_permission(world):
    """Installations migrated before identity.merge existed get it on the built-in role."""
    import importlib

    from django.apps import apps as global_apps

    from opendui.accounts.models import Role

    migration = importlib.import_module(
        "opendui.accounts.migrations.0003_identity_merge_permission"
    )
    director = Role.objects.get(code="directeur")
    director.permissions = [p for p in director.permissions if p != "identity.merge"]
    director.save()
    custom = Role.objects.create(code="directeur-adjoint", name="Adjoint", permissions=[])
    migration.add_permission(global_apps, None)
    migration.add_permission(global_apps, None)  # twice: still once
    director.refresh_from_db()
    assert director.permissions.count("identity.merge") == 1
    custom.refresh_from_db()
    assert custom.permissions == []


def test_unique_constraint_conflict_refuses_the_merge(world, proposer, referent, monkeypatch):
    """A unique rule of a related model (here one consent per scope, declared for the
    test) would be broken by moving the rows: the merge is refused before any write."""
    from django.db import models

    monkeypatch.setattr(
        Consent._meta,
        "constraints",
        [
            models.UniqueConstraint(
                fields=["person", "scope"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="test_one_consent_per_scope",
            )
        ],
    )
    Stay.objects.filter(person=world.bruno).update(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2023, 12, 31)
    )
    for person in (world.anne, world.bruno):
        Consent.objects.create(
            person=person,
            scope="droit_image",
            kind="consentement",
            given_on=dt.date(2024, 2, 1),
            given_by="personne",
        )
    merge = propose_merge(Actor(proposer), world.bruno, world.anne, REASON)
    with pytest.raises(ValidationError) as error:
        approve_merge(Actor(referent), merge)
    assert error.value.messages[0] == (
        "Fusion impossible : un élément « consentements et oppositions » serait en double "
        "(même objet) : corrigez l'un des deux dossiers. Rien n'a été modifié."
    )
    assert world.bruno.consents.count() == 1 and world.bruno.stays.count() == 1
    assert_nothing_merged(world.bruno)
    # A withdrawn consent is outside the condition: the merge then goes through.
    world.bruno.consents.update(withdrawn_on=dt.date(2024, 3, 1), withdrawal_reason="retrait")
    done = approve_merge(Actor(referent), merge)
    assert done.moved_counts == {"persons.consent": 1, "stays.stay": 1}


# --- which traits the kept record carries ------------------------------------------------------


def traits_of(person: Person) -> tuple:
    person.refresh_from_db()
    return (
        person.birth_name,
        person.first_name,
        person.birth_first_names,
        person.sex,
        person.birth_date,
        person.birth_place_code,
        person.used_name,
        person.used_first_name,
        person.ins_matricule,
        person.identity_status,
    )


def test_referent_takes_the_duplicates_strict_traits_as_one_set(world, proposer, referent):
    """Neither record is qualified: the referent may keep the duplicate's strict traits;
    they come as a set (with its criteria), the used traits one by one."""
    source = world.person(
        world.ime,
        birth_name="MARTIN",
        first_name="ANNE",
        birth_first_names="ANNE LOUISE",
        birth_place_code="75056",
        used_name="Dupré",
        used_first_name="NANOU",
        identity_document_checked=True,
        identity_document_type="PA",
    )
    Person.objects.filter(pk=world.anne.pk).update(used_first_name="ANNIE")
    kept_version = Person.objects.get(pk=world.anne.pk).version
    merge = propose_merge(Actor(proposer), source, world.anne, REASON)
    merge = approve_merge(
        Actor(referent),
        merge,
        "Vérifié.",
        trait_choices={"strict": "source", "used_name": "source", "used_first_name": "target"},
    )
    assert traits_of(world.anne) == (
        "MARTIN",
        "ANNE",
        "ANNE LOUISE",
        "F",
        dt.date(1940, 5, 17),
        "75056",
        "DUPRE",  # taken from the duplicate, in INS form
        "ANNIE",
        "",
        IdentityStatus.VALI,  # the criteria came with the traits
    )
    assert world.anne.identity_document_type == "PA" and world.anne.version == kept_version + 1
    assert merge.trait_choices == {
        "strict": "source",
        "used_name": "source",
        "used_first_name": "target",
    }
    assert merge.target_snapshot["first_name"] == "Anne"
    assert merge.target_snapshot["status"] == "PROV"
    kept = world.anne.identity_changes.get(event="merge_kept")
    assert (kept.from_status, kept.to_status) == ("PROV", "VALI")
    assert kept.changes["birth_first_names"] == ["", "ANNE LOUISE"]
    assert kept.changes["used_name"] == ["", "DUPRE"]
    assert "Repris du doublon : traits stricts, nom utilisé." in kept.reason
    event = AuditEvent.objects.get(action="person.merge_traits")
    assert event.person_ids == sorted([world.anne.pk, source.pk])
    assert event.details["changes"]["identity_document_checked"] == [False, True]
    assert AuditEvent.objects.get(action="person.merge").details["traits"] == merge.trait_choices


def test_a_qualified_kept_identity_cannot_take_the_duplicates_strict_traits(
    world, proposer, referent
):
    Person.objects.filter(pk=world.anne.pk).update(
        ins_matricule=MATRICULE,
        ins_oid=INS_NIR_OID,
        identity_retrieved_from_insi=True,
        identity_document_checked=True,
        identity_document_type="CN",
    )
    source = world.person(world.ime, birth_name="MARTINE", first_name="ANNE", used_name="X")
    before = traits_of(world.anne)
    merge = propose_merge(Actor(proposer), source, world.anne, REASON)
    with pytest.raises(ValidationError, match="est qualifiée : ses traits stricts sont conservés"):
        approve_merge(Actor(referent), merge, trait_choices={"strict": "source"})
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED and traits_of(world.anne) == before
    source.refresh_from_db()
    assert source.merged_into_id is None and source.stays.count() == 1
    # The used name may still come from the duplicate.
    approve_merge(Actor(referent), merge, trait_choices={"used_name": "source"})
    after = traits_of(world.anne)
    assert after[:6] == before[:6] and after[8:] == before[8:]
    assert after[6] == "X"


def test_a_qualified_duplicate_gives_the_kept_record_its_identity(
    world, proposer, referent, duplicate
):
    merge = propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    with pytest.raises(ValidationError, match=f"dossier {duplicate.local_id} est qualifiée"):
        approve_merge(Actor(referent), merge, trait_choices={"strict": "target"})
    approve_merge(Actor(referent), merge)  # the default follows the qualified identity
    world.anne.refresh_from_db()
    assert world.anne.identity_status is IdentityStatus.QUAL
    assert world.anne.transmittable_ins == MATRICULE
    assert world.anne.identity_document_type == "CN"


def test_a_duplicates_trait_breaking_the_rules_is_not_taken(world, proposer, referent):
    source = world.person(world.ime, birth_name="MARTIN", first_name="Anne", used_name="X3")
    merge = propose_merge(Actor(proposer), source, world.anne, REASON)
    with pytest.raises(ValidationError, match="« 3 »"):
        approve_merge(Actor(referent), merge, trait_choices={"used_name": "source"})
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
    # Its strict traits are fine: taking them (and not the used name) goes through.
    approve_merge(Actor(referent), merge, trait_choices={"strict": "source"})
    world.anne.refresh_from_db()
    assert (world.anne.birth_name, world.anne.first_name, world.anne.used_name) == (
        "MARTIN",
        "ANNE",
        "",
    )


def test_unknown_trait_choices_are_refused(world, proposer, referent, duplicate):
    merge = propose_merge(Actor(proposer), duplicate, world.anne, REASON)
    with pytest.raises(ValidationError, match="Choix de traits inconnu"):
        approve_merge(Actor(referent), merge, trait_choices={"used_name": "both"})
    with pytest.raises(ValidationError, match="Choix de traits inconnu"):
        approve_merge(Actor(referent), merge, trait_choices={"birth_name": "source"})
    merge.refresh_from_db()
    assert merge.status == MergeStatus.PROPOSED
