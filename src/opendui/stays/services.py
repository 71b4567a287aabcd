"""Admission workflow, stays (admit, discharge, transfer) and contract follow-up.

Permission: every write here needs "person.create" in the facility concerned (both
facilities for a transfer). Admissions, discharges and transfers are done by the
accueil / secrétariat or the chef de service, whose roles hold "person.create";
"person.edit_identity" is a person-level right about identity, not about stays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from opendui.accounts.access import require
from opendui.core.actor import Actor
from opendui.core.services import save_audited
from opendui.organisations.models import Facility, Unit

from .models import (
    AdmissionRequest,
    Contract,
    DischargeDestination,
    DischargeReason,
    Stay,
    StayMode,
)
from .rules import AdmissionStatus, ContractFacts, overdue_items, transition_problem

PERMISSION = "person.create"


def _require(actor: Actor, facility: Facility) -> None:
    require(
        actor.user,
        PERMISSION,
        facility=facility,
        message=f"Vous n'avez pas le droit de gérer les admissions et séjours de « {facility} ».",
    )


def _audit(actor: Actor, instance, action: str, person_id: int, facility: Facility, **kw):
    return save_audited(
        actor,
        instance,
        action,
        person_ids=[person_id],
        organisation_id=facility.organisation_id,
        facility_id=facility.pk,
        **kw,
    )


def _date(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


def change_request_status(
    actor: Actor,
    request: AdmissionRequest,
    target: str,
    *,
    expected_version: int | None = None,
) -> AdmissionRequest:
    """Move a request along the workflow. "Admise" goes through `admit` (it creates the stay)."""
    _require(actor, request.facility)
    if target == AdmissionStatus.ADMITTED:
        raise ValidationError(
            "Le statut « admise » est donné par l'admission elle-même, qui crée le séjour."
        )
    problem = transition_problem(request.status, target)
    if problem:
        raise ValidationError(problem)
    request.status = target
    return _audit(
        actor,
        request,
        "admission.status",
        request.person_id,
        request.facility,
        expected_version=expected_version,
    )


def _open_stay_in(person_id: int, facility: Facility, on: dt.date) -> Stay | None:
    """A stay of the person in the facility still running on `on` (or opened later)."""
    return (
        Stay.objects.filter(person_id=person_id, facility=facility)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .first()
    )


def _check_mode_and_unit(mode: str, unit: Unit | None, facility: Facility) -> None:
    if mode not in StayMode.values:
        raise ValidationError(f"Mode d'accueil inconnu : « {mode} ».")
    if unit is not None and unit.facility_id != facility.pk:
        raise ValidationError(f"L'unité « {unit} » n'appartient pas à « {facility} ».")


def admit(
    actor: Actor,
    request: AdmissionRequest,
    start_date: dt.date,
    mode: str,
    unit: Unit | None = None,
) -> Stay:
    """Admit the person of an accepted request: the request becomes "admise" and a stay opens."""
    facility = request.facility
    _require(actor, facility)
    problem = transition_problem(request.status, AdmissionStatus.ADMITTED)
    if problem:
        raise ValidationError(problem)
    _check_mode_and_unit(mode, unit, facility)
    if request.person.organisation_id != facility.organisation_id:
        raise ValidationError("La personne relève d'un autre organisme gestionnaire.")
    existing = _open_stay_in(request.person_id, facility, start_date)
    if existing is not None:
        raise ValidationError(
            f"La personne a déjà un séjour en cours dans « {facility} » "
            f"(depuis le {_date(existing.start_date)}) : clôturez-le avant une nouvelle admission."
        )
    with transaction.atomic():
        stay = Stay(
            person=request.person, facility=facility, unit=unit, start_date=start_date, mode=mode
        )
        _audit(actor, stay, "stay.admit", request.person_id, facility)
        request.status = AdmissionStatus.ADMITTED
        request.stay = stay
        _audit(actor, request, "admission.status", request.person_id, facility)
    return stay


def _check_discharge(stay: Stay, end_date: dt.date) -> None:
    if stay.end_date is not None:
        raise ValidationError(f"Ce séjour est déjà clôturé (sortie le {_date(stay.end_date)}).")
    if end_date < stay.start_date:
        raise ValidationError(
            f"La date de sortie ({_date(end_date)}) ne peut pas précéder "
            f"la date d'admission ({_date(stay.start_date)})."
        )


def discharge(
    actor: Actor,
    stay: Stay,
    end_date: dt.date,
    reason: str,
    destination: str,
    *,
    reason_detail: str = "",
    destination_detail: str = "",
) -> Stay:
    """Close a stay with the discharge reason and destination."""
    _require(actor, stay.facility)
    _check_discharge(stay, end_date)
    if reason not in DischargeReason.values:
        raise ValidationError(f"Motif de sortie inconnu : « {reason} ».")
    if destination not in DischargeDestination.values:
        raise ValidationError(f"Destination de sortie inconnue : « {destination} ».")
    stay.end_date = end_date
    stay.discharge_reason = reason
    stay.discharge_reason_detail = reason_detail
    stay.discharge_destination = destination
    stay.discharge_destination_detail = destination_detail
    return _audit(actor, stay, "stay.discharge", stay.person_id, stay.facility)


def transfer(
    actor: Actor,
    stay: Stay,
    to_facility: Facility,
    on: dt.date,
    *,
    mode: str | None = None,
    unit: Unit | None = None,
) -> Stay:
    """Move the person to another facility of the same organisation on date `on`.

    The current stay ends on `on` (reason "transfert") and a new stay opens on `on`
    for the same person record. Returns the new stay.
    """
    from_facility = stay.facility
    _require(actor, from_facility)
    _require(actor, to_facility)
    if to_facility.pk == from_facility.pk:
        raise ValidationError("Le transfert doit se faire vers un autre établissement.")
    if to_facility.organisation_id != from_facility.organisation_id:
        raise ValidationError(
            "Un transfert n'est possible qu'entre établissements du même organisme gestionnaire."
        )
    _check_discharge(stay, on)
    mode = mode or stay.mode or StayMode.PERMANENT
    _check_mode_and_unit(mode, unit, to_facility)
    existing = _open_stay_in(stay.person_id, to_facility, on)
    if existing is not None:
        raise ValidationError(
            f"La personne a déjà un séjour en cours dans « {to_facility} » "
            f"(depuis le {_date(existing.start_date)})."
        )
    with transaction.atomic():
        stay.end_date = on
        stay.discharge_reason = DischargeReason.TRANSFER
        stay.discharge_destination = DischargeDestination.SAME_ORGANISATION
        stay.discharge_destination_detail = str(to_facility)
        _audit(actor, stay, "stay.transfer_out", stay.person_id, from_facility)
        new = Stay(
            person_id=stay.person_id, facility=to_facility, unit=unit, start_date=on, mode=mode
        )
        _audit(actor, new, "stay.transfer_in", stay.person_id, to_facility)
    return new


@dataclass(frozen=True)
class OverdueContract:
    stay: Stay
    contract: Contract | None
    items: list[tuple[str, dt.date]]


def overdue_contracts(facility: Facility, today: dt.date) -> list[OverdueContract]:
    """Stays running on `today` in the facility whose contract steps are overdue.

    The latest contract of each stay is used; a stay without any contract has all its
    due steps overdue. Two queries in all. Oldest admissions first.
    """
    stays = (
        Stay.objects.filter(facility=facility, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("person")
        .prefetch_related(
            Prefetch("contracts", queryset=Contract.objects.order_by("-created_at", "-pk"))
        )
        .order_by("start_date", "pk")
    )
    result = []
    for stay in stays:
        contracts = list(stay.contracts.all())
        contract = contracts[0] if contracts else None
        facts = ContractFacts(
            admission_date=stay.start_date,
            **(
                {
                    "kind": contract.kind,
                    "handed_on": contract.handed_on,
                    "signed_on": contract.signed_on,
                    "objectives_amendment_on": contract.objectives_amendment_on,
                    "last_update_on": contract.last_update_on,
                }
                if contract
                else {}
            ),
        )
        items = overdue_items(facts, today)
        if items:
            result.append(OverdueContract(stay, contract, items))
    return result
