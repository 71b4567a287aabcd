"""Services: permissions, validation (nothing saved), audit rows with the persons involved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError
from opendui.incidents import services
from opendui.incidents.models import Incident

from .helpers import action_of, incident_of


def _declare(world, user, **extra):
    values = {
        "occurred_at": timezone.now() - dt.timedelta(hours=3),
        "place": "Couloir",
        "description": "Chute",
        "severity": "eig",
        "categories": ["4"],
        "persons": [world.anne],
    }
    values.update(extra)
    return services.declare(Actor(user), values.pop("facility", world.ehpad), **values)


def test_declaration_is_audited_with_the_persons_involved(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    incident = _declare(world, nurse, persons=[world.anne, world.bruno])
    event = AuditEvent.objects.get(action="incident.declare")
    assert sorted(event.person_ids) == sorted([world.anne.pk, world.bruno.pk])
    assert event.facility_id == world.ehpad.pk
    assert event.details["created"]
    assert set(incident.persons.all()) == {world.anne, world.bruno}
    assert incident.status == "declare" and incident.declared_by == nurse


def test_unit_member_cannot_involve_a_person_of_another_unit(world):
    carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    with pytest.raises(ValidationError):
        _declare(world, carer, persons=[world.bruno])  # bruno lives in Les Lilas
    assert not Incident.objects.exists()


def test_person_of_another_facility_is_refused(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    world.assign(nurse, "infirmier", facility=world.ime)
    with pytest.raises(ValidationError):
        _declare(world, nurse, persons=[world.chloe])
    assert not Incident.objects.exists()


def test_future_occurrence_is_refused_and_nothing_saved(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    with pytest.raises(ValidationError) as error:
        _declare(world, nurse, occurred_at=timezone.now() + dt.timedelta(hours=1))
    assert "occurred_at" in error.value.error_dict
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.declare").exists()


def test_reportable_event_needs_a_category(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    with pytest.raises(ValidationError) as error:
        _declare(world, nurse, categories=[])
    assert "categories" in error.value.error_dict
    _declare(world, nurse, severity="ei", categories=[])  # an EI may have none


def test_declaring_needs_the_permission_in_the_facility(world):
    ime_educator = world.user("educateur", facility=world.ime)
    with pytest.raises(PermissionDenied):
        _declare(world, ime_educator, persons=[])
    admin = world.user("admin")
    with pytest.raises(PermissionDenied):
        _declare(world, admin, persons=[])


def test_read_rights(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    incident = incident_of(world, declarer=nurse)
    other_nurse = world.user("infirmier", facility=world.ehpad)
    chief = world.user("chef-de-service", facility=world.ehpad)
    ime_chief = world.user("chef-de-service", facility=world.ime)
    assert services.can_read(nurse, incident)
    assert services.can_read(chief, incident)
    assert not services.can_read(other_nurse, incident)
    assert not services.can_read(ime_chief, incident)


def test_only_managers_analyse(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    incident = incident_of(world, declarer=nurse)
    with pytest.raises(PermissionDenied):
        services.record_analysis(
            Actor(nurse),
            incident,
            causes="x",
            analysed_on=dt.date.today(),
            expected_version=incident.version,
        )
    ime_chief = world.user("chef-de-service", facility=world.ime)
    with pytest.raises(PermissionDenied):
        services.record_report(
            Actor(ime_chief),
            incident,
            reported_at=timezone.now(),
            mode="oral",
            expected_version=incident.version,
        )


def test_analysis_moves_to_analysis_and_closing_checks_everything(world):
    chief = world.user("chef-de-service", facility=world.ehpad)
    actor = Actor(chief)
    incident = incident_of(world)
    with pytest.raises(ValidationError):
        services.change_status(
            actor, incident, "clos", expected_version=incident.version
        )  # déclaré → clos is not a transition
    services.record_analysis(
        actor,
        incident,
        causes="Sol glissant",
        analysed_on=timezone.localdate(),
        expected_version=incident.version,
    )
    incident.refresh_from_db()
    assert incident.status == "en_analyse"
    action = action_of(incident, chief, due_date=timezone.localdate())
    with pytest.raises(ValidationError) as error:
        services.change_status(actor, incident, "clos", expected_version=incident.version)
    message = " ".join(error.value.messages)
    assert "signalement à l'ARS" in message and "action" in message
    reported = timezone.now() - dt.timedelta(hours=1)
    services.record_report(
        actor, incident, reported_at=reported, mode="oral", expected_version=incident.version
    )
    incident.refresh_from_db()
    assert incident.confirmation_due == reported + dt.timedelta(hours=48)
    services.record_report(
        actor,
        incident,
        reported_at=reported,
        mode="oral",
        confirmed_at=timezone.now(),
        cvs_informed=True,
        cvs_informed_on=timezone.localdate(),
        expected_version=incident.version,
    )
    services.update_action(
        actor,
        action,
        status="realisee",
        done_on=timezone.localdate(),
        expected_version=action.version,
    )
    incident.refresh_from_db()
    services.change_status(actor, incident, "clos", expected_version=incident.version)
    incident.refresh_from_db()
    assert incident.status == "clos" and incident.closed_at is not None
    events = AuditEvent.objects.filter(action__startswith="incident.")
    assert {e.action for e in events} >= {
        "incident.analysis",
        "incident.status",
        "incident.report",
        "incident.action_update",
    }
    assert all(e.person_ids == [world.anne.pk] for e in events)


def test_concurrent_edit_is_refused(world):
    chief = world.user("chef-de-service", facility=world.ehpad)
    incident = incident_of(world)
    stale = incident.version
    services.record_report(
        Actor(chief),
        incident,
        reported_at=timezone.now(),
        mode="ecrit",
        expected_version=incident.version,
    )
    with pytest.raises(ConcurrentEditError):
        services.record_report(Actor(chief), incident, reported_at=None, expected_version=stale)


def test_action_owner_must_work_in_the_facility(world):
    chief = world.user("chef-de-service", facility=world.ehpad)
    stranger = world.user("educateur", facility=world.ime)
    incident = incident_of(world)
    with pytest.raises(ValidationError):
        services.add_action(
            Actor(chief), incident, description="x", owner=stranger, due_date=dt.date.today()
        )
    action = services.add_action(
        Actor(chief), incident, description="x", owner=chief, due_date=dt.date.today()
    )
    assert AuditEvent.objects.get(action="incident.action_create").person_ids == [world.anne.pk]
    with pytest.raises(ValidationError):
        services.update_action(
            Actor(chief),
            action,
            status="en_cours",
            done_on=dt.date.today(),
            expected_version=action.version,
        )
