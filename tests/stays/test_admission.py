"""Services: admission workflow, admit / discharge / transfer, overdue contracts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent, EventKind
from opendui.core.actor import Actor
from opendui.organisations.models import Unit
from opendui.persons.models import Person, Sex
from opendui.stays.models import AdmissionRequest, Contract, Stay, StayMode
from opendui.stays.services import (
    admit,
    change_request_status,
    discharge,
    overdue_contracts,
    transfer,
)

D = dt.date


@pytest.fixture
def accueil(world):
    """Accueil for the whole organisation 'og'."""
    return Actor(user=world.user("accueil"))


@pytest.fixture
def newcomer(world):
    return Person.objects.create(
        organisation=world.og,
        local_id="N000001",
        birth_name="NOUVEAU",
        first_name="Paul",
        birth_date=D(1938, 2, 1),
        sex=Sex.MALE,
    )


def make_request(world, person, status="acceptee", facility=None):
    return AdmissionRequest.objects.create(
        person=person,
        facility=facility or world.ehpad,
        received_on=D(2025, 1, 5),
        status=status,
        mdph_decision_number="D-2024-1",
        mdph_category="13.3 MAS",
    )


def counts():
    return (
        Stay.objects.count(),
        AdmissionRequest.objects.filter(status="admise").count(),
        AuditEvent.objects.filter(kind=EventKind.CHANGE).count(),
    )


def test_change_status_is_audited(world, accueil, newcomer):
    request = make_request(world, newcomer, status="recue")
    before = AuditEvent.objects.filter(kind=EventKind.CHANGE).count()
    change_request_status(accueil, request, "en_etude", expected_version=request.version)
    request.refresh_from_db()
    assert request.status == "en_etude"
    event = AuditEvent.objects.filter(kind=EventKind.CHANGE).order_by("-seq").first()
    assert AuditEvent.objects.filter(kind=EventKind.CHANGE).count() == before + 1
    assert event.action == "admission.status"
    assert event.person_ids == [newcomer.pk]
    assert "status" in str(event.details["changes"])


def test_change_status_refused_transition_saves_nothing(world, accueil, newcomer):
    request = make_request(world, newcomer, status="recue")
    before = counts()
    with pytest.raises(ValidationError, match="Impossible de passer la demande"):
        change_request_status(accueil, request, "liste_attente", expected_version=request.version)
    with pytest.raises(ValidationError, match="donné par l'admission"):
        change_request_status(accueil, request, "admise", expected_version=request.version)
    assert counts() == before
    request.refresh_from_db()
    assert request.status == "recue"


def test_outsiders_refused(world, newcomer):
    request = make_request(world, newcomer, status="recue")
    other_accueil = Actor(user=world.user("accueil", facility=world.other))
    educateur = Actor(user=world.user("educateur", facility=world.ehpad))
    before = counts()
    for actor in (other_accueil, educateur):
        with pytest.raises(PermissionDenied):
            change_request_status(actor, request, "en_etude", expected_version=request.version)
        with pytest.raises(PermissionDenied):
            admit(
                actor, request, D(2025, 2, 1), StayMode.PERMANENT, expected_version=request.version
            )
        with pytest.raises(PermissionDenied):
            discharge(
                actor,
                world.anne.stays.get(),
                D(2025, 2, 1),
                "deces",
                "sans_objet",
                expected_version=1,
            )
    assert counts() == before


def test_admit_creates_stay(world, accueil, newcomer):
    request = make_request(world, newcomer)
    before = counts()
    stay = admit(
        accueil,
        request,
        D(2025, 2, 1),
        StayMode.TEMPORARY,
        unit=world.lilas,
        expected_version=request.version,
    )
    stay.refresh_from_db()
    request.refresh_from_db()
    assert (stay.person, stay.facility, stay.unit) == (newcomer, world.ehpad, world.lilas)
    assert stay.mode == "hebergement_temporaire" and stay.end_date is None
    assert request.status == "admise" and request.stay == stay
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 2)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"stay.admit", "admission.status"} <= actions


def test_admit_refusals_save_nothing(world, accueil, newcomer):
    not_accepted = make_request(world, newcomer, status="en_etude")
    already_there = make_request(world, world.anne)
    wrong_unit = make_request(world, newcomer)
    ime_unit = Unit.objects.create(facility=world.ime, name="Groupe A")
    before = counts()
    with pytest.raises(ValidationError, match="« en étude » à « admise »"):
        admit(
            accueil,
            not_accepted,
            D(2025, 2, 1),
            StayMode.PERMANENT,
            expected_version=not_accepted.version,
        )
    with pytest.raises(ValidationError, match="déjà un séjour en cours"):
        admit(
            accueil,
            already_there,
            D(2025, 2, 1),
            StayMode.PERMANENT,
            expected_version=already_there.version,
        )
    with pytest.raises(ValidationError, match="n'appartient pas"):
        admit(
            accueil,
            wrong_unit,
            D(2025, 2, 1),
            StayMode.PERMANENT,
            unit=ime_unit,
            expected_version=wrong_unit.version,
        )
    with pytest.raises(ValidationError, match="Mode d'accueil inconnu"):
        admit(accueil, wrong_unit, D(2025, 2, 1), "camping", expected_version=wrong_unit.version)
    assert counts() == before


def test_discharge(world, accueil):
    stay = world.anne.stays.get()
    discharge(
        accueil,
        stay,
        D(2025, 3, 10),
        "deces",
        "sans_objet",
        reason_detail="à l'EHPAD",
        expected_version=stay.version,
    )
    stay.refresh_from_db()
    assert stay.end_date == D(2025, 3, 10)
    assert (stay.discharge_reason, stay.discharge_destination) == ("deces", "sans_objet")
    assert AuditEvent.objects.filter(action="stay.discharge").count() == 1


def test_discharge_before_admission_refused(world, accueil):
    stay = world.anne.stays.get()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        discharge(
            accueil, stay, D(2023, 12, 31), "autre", "domicile", expected_version=stay.version
        )
    assert exc.value.messages == [
        "La date de sortie (31/12/2023) ne peut pas précéder la date d'admission (01/01/2024)."
    ]
    with pytest.raises(ValidationError, match="Motif de sortie inconnu"):
        discharge(
            accueil, stay, D(2025, 1, 1), "lassitude", "domicile", expected_version=stay.version
        )
    assert counts() == before
    stay.refresh_from_db()
    assert stay.end_date is None


def test_transfer_keeps_person(world, accueil):
    stay = world.anne.stays.get()
    persons = Person.objects.count()
    new = transfer(
        accueil,
        stay,
        world.ime,
        D(2025, 4, 1),
        mode=StayMode.DAY_SCHOOL,
        expected_version=stay.version,
    )
    stay.refresh_from_db()
    assert stay.end_date == D(2025, 4, 1) and stay.discharge_reason == "transfert"
    assert new.person_id == world.anne.pk and new.facility == world.ime
    assert new.start_date == D(2025, 4, 1) and new.mode == "externat"
    assert Person.objects.count() == persons
    assert world.anne.stays.count() == 2
    assert AuditEvent.objects.filter(action__startswith="stay.transfer").count() == 2


def test_transfer_refusals_save_nothing(world, accueil):
    stay = world.anne.stays.get()
    ehpad_only = Actor(user=world.user("accueil", facility=world.ehpad))
    before = counts()
    both = world.user("accueil")
    world.assign(both, "accueil", organisation=world.other_og)
    with pytest.raises(ValidationError, match="même organisme"):
        transfer(Actor(user=both), stay, world.other, D(2025, 4, 1), expected_version=stay.version)
    with pytest.raises(PermissionDenied):
        transfer(ehpad_only, stay, world.ime, D(2025, 4, 1), expected_version=stay.version)
    with pytest.raises(ValidationError, match="autre établissement"):
        transfer(accueil, stay, world.ehpad, D(2025, 4, 1), expected_version=stay.version)
    with pytest.raises(ValidationError, match="ne peut pas précéder"):
        transfer(accueil, stay, world.ime, D(2023, 4, 1), expected_version=stay.version)
    assert counts() == before


def test_overdue_contracts(world):
    today = D(2025, 3, 1)
    anne_stay = world.anne.stays.get()  # since 01/01/2024, no contract: everything overdue
    bruno_stay = world.bruno.stays.get()  # complete and up to date
    Contract.objects.create(
        stay=bruno_stay,
        handed_on=D(2024, 1, 10),
        signed_on=D(2024, 1, 20),
        objectives_amendment_on=D(2024, 6, 1),
        last_update_on=D(2025, 1, 15),
    )
    recent = Stay.objects.create(
        person=world.chloe, facility=world.ehpad, start_date=D(2025, 2, 20)
    )
    late_hand = Stay.objects.create(
        person=Person.objects.create(
            organisation=world.og,
            local_id="N2",
            birth_name="TARD",
            first_name="Léa",
            birth_date=D(1950, 1, 1),
            sex=Sex.FEMALE,
        ),
        facility=world.ehpad,
        start_date=D(2025, 1, 31),
    )
    Contract.objects.create(stay=late_hand, handed_on=D(2025, 2, 10))
    Stay.objects.create(  # ended: not listed
        person=world.denis, facility=world.ehpad, start_date=D(2023, 1, 1), end_date=D(2024, 1, 1)
    )
    result = {o.stay.pk: o.items for o in overdue_contracts(world.ehpad, today)}
    assert set(result) == {anne_stay.pk, late_hand.pk}
    assert result[anne_stay.pk] == [
        ("remise du contrat", D(2024, 1, 16)),
        ("signature du contrat", D(2024, 2, 1)),
        ("avenant fixant les objectifs", D(2024, 7, 1)),
    ]
    assert result[late_hand.pk] == [("signature du contrat", D(2025, 2, 28))]
    assert recent.pk not in result and bruno_stay.pk not in result
    assert overdue_contracts(world.other, today)[0].stay.person == world.denis


def test_a_transfer_without_a_mode_takes_one_the_arrival_has_places_of(world, accueil):
    """Kept when the arrival facility has places of the current mode, else the arrival's
    default: permanent stays in an EHPAD become home care in a SSIAD."""
    from opendui.organisations.models import Couloir, Facility, FinessCategory

    from ..conftest import valid_finess

    ssiad = Facility.objects.create(
        organisation=world.og,
        name="SSIAD du Val",
        finess_et=valid_finess("75000004"),
        category=FinessCategory.objects.get(code="354"),
        couloir=Couloir.DOM,
        capacity_service=40,
    )
    stay = world.anne.stays.get()
    stay.mode = StayMode.PERMANENT
    stay.save()
    in_ime = transfer(accueil, stay, world.ime, D(2025, 4, 1), expected_version=stay.version)
    assert in_ime.mode == StayMode.PERMANENT  # the IME has permanent places
    in_ssiad = transfer(accueil, in_ime, ssiad, D(2025, 6, 1), expected_version=in_ime.version)
    assert in_ssiad.mode == StayMode.HOME
