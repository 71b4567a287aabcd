"""Services: admission requests, contract steps and absences (validation, rights, audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent, EventKind
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError
from opendui.stays.models import Absence, AdmissionRequest, Contract, Stay
from opendui.stays.services import add_absence, create_admission_request, record_contract

D = dt.date
TODAY = D(2025, 3, 1)


def changes() -> int:
    return AuditEvent.objects.filter(kind=EventKind.CHANGE).count()


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- admission requests ----------------------------------------------------------------------


def test_create_request_is_saved_and_audited(world, secretary_actor, newcomer):
    request = create_admission_request(
        secretary_actor,
        newcomer,
        world.ehpad,
        D(2025, 2, 1),
        "urgente",
        "Retour à domicile impossible.",
        mdph_decision_number="D-1",
        mdph_decision_date=D(2024, 6, 1),
        mdph_category="13.3 MAS",
        mdph_valid_until=D(2029, 6, 1),
        today=TODAY,
    )
    request.refresh_from_db()
    assert (request.status, request.priority, request.facility) == ("recue", "urgente", world.ehpad)
    assert request.mdph_valid_until == D(2029, 6, 1)
    event = AuditEvent.objects.get(action="admission.create")
    assert event.person_ids == [newcomer.pk] and event.facility_id == world.ehpad.pk


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"received_on": D(2025, 3, 2)}, "received_on", "La date du 02/03/2025 est dans le futur."),
        (
            {"mdph_decision_date": D(2024, 6, 1), "mdph_valid_until": D(2024, 5, 31)},
            "mdph_valid_until",
            "L'orientation ne peut pas prendre fin (31/05/2024) avant la décision qui la "
            "prononce (01/06/2024).",
        ),
        ({"priority": "vite"}, "priority", "Priorité inconnue : « vite »."),
    ],
)
def test_create_request_refusals_save_nothing(
    world, secretary_actor, newcomer, kwargs, field, message
):
    data = {"received_on": D(2025, 2, 1), **kwargs}
    before = (AdmissionRequest.objects.count(), changes())
    with pytest.raises(ValidationError) as excinfo:
        create_admission_request(secretary_actor, newcomer, world.ehpad, today=TODAY, **data)
    assert errors_of(excinfo)[field] == [message]
    assert (AdmissionRequest.objects.count(), changes()) == before


def test_create_request_for_a_person_of_another_organisation_is_refused(world):
    both = world.user("accueil", facility=world.ehpad)
    world.assign(both, "accueil", facility=world.other)
    with pytest.raises(ValidationError) as excinfo:
        create_admission_request(Actor(user=both), world.denis, world.ehpad, D(2025, 1, 1))
    assert "n'appartient pas à l'organisme gestionnaire" in errors_of(excinfo)["facility"][0]
    assert not AdmissionRequest.objects.exists()


def test_create_request_needs_the_right_in_the_facility(world, secretary_actor, newcomer):
    educator = Actor(user=world.user("educateur", facility=world.ehpad))
    for actor, facility in ((secretary_actor, world.ime), (educator, world.ehpad)):
        with pytest.raises(PermissionDenied):
            create_admission_request(actor, newcomer, facility, D(2025, 1, 1))
    assert not AdmissionRequest.objects.exists()


# --- contracts -------------------------------------------------------------------------------


def anne_stay(world) -> Stay:
    return world.anne.stays.get()  # admitted 01/01/2024


def test_record_contract_creates_then_updates_the_latest(world, secretary_actor):
    stay = anne_stay(world)
    contract = record_contract(
        secretary_actor, stay, "contrat", handed_on=D(2024, 1, 10), expected_version=0, today=TODAY
    )
    assert contract.version == 1
    updated = record_contract(
        secretary_actor,
        stay,
        "contrat",
        handed_on=D(2024, 1, 10),
        signed_on=D(2024, 1, 20),
        expected_version=1,
        today=TODAY,
    )
    assert updated.pk == contract.pk and updated.version == 2
    assert Contract.objects.get().signed_on == D(2024, 1, 20)
    actions = list(
        AuditEvent.objects.filter(action__startswith="contract.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["contract.create", "contract.update"]


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            {"handed_on": D(2023, 12, 31)},
            "handed_on",
            "La date du 31/12/2023 précède l'admission (01/01/2024).",
        ),
        ({"signed_on": D(2025, 3, 2)}, "signed_on", "La date du 02/03/2025 est dans le futur."),
        (
            {"handed_on": D(2024, 2, 1), "signed_on": D(2024, 1, 31)},
            "signed_on",
            "Le contrat ne peut pas être signé (31/01/2024) avant d'avoir été remis (01/02/2024).",
        ),
        (
            {"last_update_on": D(2024, 6, 1)},
            "last_update_on",
            "Une mise à jour suppose un contrat signé.",
        ),
        (
            {"signed_on": D(2024, 6, 1), "last_update_on": D(2024, 5, 1)},
            "last_update_on",
            "La mise à jour (01/05/2024) ne peut pas précéder la signature (01/06/2024).",
        ),
    ],
)
def test_record_contract_refusals_save_nothing(world, secretary_actor, dates, field, message):
    before = (Contract.objects.count(), changes())
    with pytest.raises(ValidationError) as excinfo:
        record_contract(
            secretary_actor, anne_stay(world), "contrat", expected_version=0, today=TODAY, **dates
        )
    assert errors_of(excinfo)[field] == [message]
    assert (Contract.objects.count(), changes()) == before


def test_record_contract_detects_concurrent_edits(world, secretary_actor):
    stay = anne_stay(world)
    record_contract(
        secretary_actor, stay, "contrat", handed_on=D(2024, 1, 10), expected_version=0, today=TODAY
    )
    before = (Contract.objects.count(), changes())
    # Someone saw no contract and records one: the one saved meanwhile is not overwritten.
    with pytest.raises(ConcurrentEditError):
        record_contract(secretary_actor, stay, "dipc", expected_version=0, today=TODAY)
    with pytest.raises(ConcurrentEditError):
        record_contract(secretary_actor, stay, "dipc", expected_version=7, today=TODAY)
    assert (Contract.objects.count(), changes()) == before
    assert Contract.objects.get().kind == "contrat"


def test_record_contract_needs_the_right_in_the_stay_facility(world):
    ime_secretary = Actor(user=world.user("accueil", facility=world.ime))
    with pytest.raises(PermissionDenied):
        record_contract(
            ime_secretary, anne_stay(world), "contrat", handed_on=D(2024, 1, 2), expected_version=0
        )
    assert not Contract.objects.exists()


# --- absences --------------------------------------------------------------------------------


def test_add_absence(world, secretary_actor):
    absence = add_absence(
        secretary_actor, anne_stay(world), "hospitalisation", D(2024, 5, 2), D(2024, 5, 9), "CHU"
    )
    absence.refresh_from_db()
    assert (absence.kind, absence.start_date, absence.end_date) == (
        "hospitalisation",
        D(2024, 5, 2),
        D(2024, 5, 9),
    )
    assert AuditEvent.objects.get(action="absence.create").person_ids == [world.anne.pk]


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (
            D(2023, 12, 1),
            None,
            "start_date",
            "L'absence ne peut pas commencer (01/12/2023) avant l'admission (01/01/2024).",
        ),
        (
            D(2024, 5, 9),
            D(2024, 5, 2),
            "end_date",
            "La fin de l'absence (02/05/2024) ne peut pas précéder son début (09/05/2024).",
        ),
    ],
)
def test_add_absence_refusals(world, secretary_actor, start, end, field, message):
    with pytest.raises(ValidationError) as excinfo:
        add_absence(secretary_actor, anne_stay(world), "vacances", start, end)
    assert errors_of(excinfo)[field] == [message]
    assert not Absence.objects.exists()


def test_absence_must_end_within_an_ended_stay(world, secretary_actor):
    stay = anne_stay(world)
    Stay.objects.filter(pk=stay.pk).update(end_date=D(2024, 6, 30))
    stay.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        add_absence(secretary_actor, stay, "vacances", D(2024, 6, 20))
    assert "Le séjour a pris fin le 30/06/2024" in errors_of(excinfo)["end_date"][0]
    with pytest.raises(ValidationError) as excinfo:
        add_absence(secretary_actor, stay, "vacances", D(2024, 7, 2), D(2024, 7, 5))
    assert "après la sortie (30/06/2024)" in errors_of(excinfo)["start_date"][0]
    assert not Absence.objects.exists()


def test_overlapping_absences_are_refused(world, secretary_actor):
    stay = anne_stay(world)
    add_absence(secretary_actor, stay, "vacances", D(2024, 7, 1), D(2024, 7, 10))
    with pytest.raises(ValidationError) as excinfo:
        add_absence(secretary_actor, stay, "hospitalisation", D(2024, 7, 10))
    assert "chevauche" in errors_of(excinfo)["start_date"][0]
    add_absence(secretary_actor, stay, "hospitalisation", D(2024, 7, 11))
    assert Absence.objects.count() == 2
