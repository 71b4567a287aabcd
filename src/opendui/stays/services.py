"""Admission workflow, stays (admit, discharge, transfer) and contract follow-up.

Permission: every write here needs "person.create" in the facility concerned (both
facilities for a transfer). Admissions, discharges and transfers are done by the
accueil / secrétariat or the chef de service, whose roles hold "person.create";
"person.edit_identity" is a person-level right about identity, not about stays.

The decision on a request (accept, refuse, reopen a refusal) needs "admission.decide"
in the facility instead (chef de service, direction): the secretariat files, studies
and follows requests but does not decide. A refusal carries a reason from a list and
an explanation; a reopening carries its reason. Each step of a request is recorded in
its history (`AdmissionRequestChange`) beside the audited change.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opendui.accounts.access import require
from opendui.audit.services import json_safe
from opendui.core.actor import Actor
from opendui.core.services import (
    ConcurrentEditError,
    ExpectedVersion,
    require_version,
    save_audited,
)
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from . import modes
from .models import (
    Absence,
    AbsenceKind,
    AdmissionPriority,
    AdmissionRequest,
    AdmissionRequestChange,
    Contract,
    DischargeDestination,
    DischargeReason,
    RequestChangeKind,
    Stay,
    StayMode,
)
from .overdue import OverdueContract, overdue_contracts  # noqa: F401  (public API, moved)
from .rules import (
    CONTRACT_KINDS,
    DECISIONS,
    REOPENED_TO,
    AdmissionStatus,
    edit_problem,
    refusal_problems,
    reopen_problems,
    transition_problem,
)

PERMISSION = "person.create"
DECIDE = "admission.decide"


def _require(actor: Actor, facility: Facility) -> None:
    require(
        actor.user,
        PERMISSION,
        facility=facility,
        message=f"Vous n'avez pas le droit de gérer les admissions et séjours de « {facility} ».",
    )


def _require_decide(actor: Actor, facility: Facility) -> None:
    require(
        actor.user,
        DECIDE,
        facility=facility,
        message=(
            f"Vous n'avez pas le droit de décider des demandes d'admission de « {facility} » "
            "(accepter, refuser, réouvrir) : c'est le rôle du chef de service ou de la direction."
        ),
    )


def _history(
    actor: Actor,
    request: AdmissionRequest,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    comment: str = "",
    changes: dict | None = None,
) -> AdmissionRequestChange:
    return AdmissionRequestChange.objects.create(
        request=request,
        by=actor.user,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        comment=comment,
        changes=json_safe(changes or {}),
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
    expected_version: ExpectedVersion | None,
) -> AdmissionRequest:
    """Move a request along the workflow. "Admise" goes through `admit` (it creates the
    stay), "refusée" through `refuse_request` (it needs a reason); "acceptée" is a
    decision ("admission.decide")."""
    if target in DECISIONS:
        _require_decide(actor, request.facility)
    else:
        _require(actor, request.facility)
    if target == AdmissionStatus.ADMITTED:
        raise ValidationError(
            "Le statut « admise » est donné par l'admission elle-même, qui crée le séjour."
        )
    if target == AdmissionStatus.REFUSED:
        raise ValidationError(
            "Un refus se prononce avec son motif, par le bouton « Refuser la demande »."
        )
    problem = transition_problem(request.status, target)
    if problem:
        raise ValidationError(problem)
    before = request.status
    request.status = target
    with transaction.atomic():
        _audit(
            actor,
            request,
            "admission.status",
            request.person_id,
            request.facility,
            expected_version=expected_version,
        )
        _history(actor, request, RequestChangeKind.STATUS, from_status=before, to_status=target)
    return request


def _raise(problems: dict[str, str]) -> None:
    if problems:
        general = problems.pop("__all__", None)
        if general and not problems:
            raise ValidationError(general)
        if general:
            problems = {**problems, "__all__": general}
        raise ValidationError(problems)


def refuse_request(
    actor: Actor,
    request: AdmissionRequest,
    reason: str,
    detail: str,
    *,
    expected_version: int | None,
) -> AdmissionRequest:
    """Refuse a request with a reason from the list and an explanation (both required).

    Needs "admission.decide". The refusal is kept on the request (shown on its page) and
    in its history; a chef de service or director may reopen it (`reopen_request`).
    """
    _require_decide(actor, request.facility)
    expected_version = require_version(expected_version)
    detail = (detail or "").strip()
    _raise(refusal_problems(request.status, reason, detail))
    before = request.status
    request.status = AdmissionStatus.REFUSED
    request.refusal_reason = reason
    request.refusal_detail = detail
    with transaction.atomic():
        _audit(
            actor,
            request,
            "admission.refuse",
            request.person_id,
            request.facility,
            expected_version=expected_version,
        )
        _history(
            actor,
            request,
            RequestChangeKind.REFUSED,
            from_status=before,
            to_status=AdmissionStatus.REFUSED,
            reason=reason,
            comment=detail,
        )
    return request


def reopen_request(
    actor: Actor, request: AdmissionRequest, reason: str, *, expected_version: int | None
) -> AdmissionRequest:
    """Reopen a refused request (back to "en étude"), with the reason for it.

    Needs "admission.decide". The refusal leaves the request's current fields; its
    history and the audit trail keep it.
    """
    _require_decide(actor, request.facility)
    expected_version = require_version(expected_version)
    reason = (reason or "").strip()
    _raise(reopen_problems(request.status, reason))
    request.status = REOPENED_TO
    request.refusal_reason = ""
    request.refusal_detail = ""
    with transaction.atomic():
        _audit(
            actor,
            request,
            "admission.reopen",
            request.person_id,
            request.facility,
            expected_version=expected_version,
        )
        _history(
            actor,
            request,
            RequestChangeKind.REOPENED,
            from_status=AdmissionStatus.REFUSED,
            to_status=REOPENED_TO,
            comment=reason,
        )
    return request


#: What an edit may change: the request's content, not its facility, person or status.
EDITABLE_FIELDS = (
    "priority",
    "reasons",
    "mdph_decision_number",
    "mdph_decision_date",
    "mdph_category",
    "mdph_valid_until",
)


def _content_problems(
    priority: str,
    mdph_decision_date: dt.date | None,
    mdph_valid_until: dt.date | None,
    today: dt.date,
    received_on: dt.date | None = None,
) -> dict[str, str]:
    """Checks shared by the creation and the edit of a request, by form field."""
    errors: dict[str, str] = {}
    if priority not in AdmissionPriority.values:
        errors["priority"] = f"Priorité inconnue : « {priority} »."
    _check_past(errors, "received_on", received_on, today)
    _check_past(errors, "mdph_decision_date", mdph_decision_date, today)
    if mdph_decision_date and mdph_valid_until and mdph_valid_until < mdph_decision_date:
        errors["mdph_valid_until"] = (
            f"L'orientation ne peut pas prendre fin ({_date(mdph_valid_until)}) avant la "
            f"décision qui la prononce ({_date(mdph_decision_date)})."
        )
    return errors


def update_request(
    actor: Actor,
    request: AdmissionRequest,
    *,
    expected_version: int | None,
    today: dt.date | None = None,
    **values,
) -> AdmissionRequest:
    """Correct an open request's priority, reasons and MDPH orientation decision.

    Needs "person.create" (the secretariat keeps the file up to date). The version the
    user saw is required; the values before and after go to the audit trail and to the
    request's history. A form sent without any change saves nothing and says so.
    """
    _require(actor, request.facility)
    expected_version = require_version(expected_version)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Champs non modifiables : {', '.join(sorted(unknown))}")
    problem = edit_problem(request.status)
    if problem:
        raise ValidationError(problem)
    merged = {name: values.get(name, getattr(request, name)) for name in EDITABLE_FIELDS}
    merged["reasons"] = (merged["reasons"] or "").strip()
    merged["mdph_decision_number"] = (merged["mdph_decision_number"] or "").strip()
    merged["mdph_category"] = (merged["mdph_category"] or "").strip()
    errors = _content_problems(
        merged["priority"],
        merged["mdph_decision_date"],
        merged["mdph_valid_until"],
        today or timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    changes = {
        name: [getattr(request, name), value]
        for name, value in merged.items()
        if getattr(request, name) != value
    }
    if not changes:
        raise ValidationError("Aucune modification : rien n'a été enregistré.")
    for name, value in merged.items():
        setattr(request, name, value)
    with transaction.atomic():
        _audit(
            actor,
            request,
            "admission.update",
            request.person_id,
            request.facility,
            expected_version=expected_version,
        )
        _history(actor, request, RequestChangeKind.EDITED, changes=changes)
    return request


def _open_stay_in(person_id: int, facility: Facility, on: dt.date) -> Stay | None:
    """A stay of the person in the facility still running on `on` (or opened later)."""
    return (
        Stay.objects.filter(person_id=person_id, facility=facility)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .first()
    )


def facility_capacities(facility: Facility) -> dict[str, int]:
    """The facility's places per capacity field (stays.modes.CAPACITY_FIELDS)."""
    return {name: getattr(facility, name) for name in modes.CAPACITY_FIELDS.values()}


def default_mode(facility: Facility) -> str:
    """The mode a new stay in `facility` takes unless the professional chooses another
    (stays.modes.default_mode); "" when the facility records nothing that tells."""
    return modes.default_mode(facility.category_id, facility.couloir, facility_capacities(facility))


def _check_mode_and_unit(mode: str, unit: Unit | None, facility: Facility) -> None:
    if not mode:
        raise ValidationError(
            f"Indiquez le mode d'accueil : « {facility} » n'en a pas par défaut "
            "(aucune place enregistrée)."
        )
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
    *,
    room: str = "",
    expected_version: ExpectedVersion | None,
) -> Stay:
    """Admit the person of an accepted request: the request becomes "admise" and a stay opens.

    `expected_version` is the version of the request the user saw: admitting from a
    stale page (someone refused or edited the request since) is refused.
    """
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
            person=request.person,
            facility=facility,
            unit=unit,
            room=room.strip(),
            start_date=start_date,
            mode=mode,
        )
        _audit(actor, stay, "stay.admit", request.person_id, facility)
        before = request.status
        request.status = AdmissionStatus.ADMITTED
        request.stay = stay
        _audit(
            actor,
            request,
            "admission.status",
            request.person_id,
            facility,
            expected_version=expected_version,
        )
        _history(
            actor,
            request,
            RequestChangeKind.ADMITTED,
            from_status=before,
            to_status=AdmissionStatus.ADMITTED,
        )
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
    expected_version: ExpectedVersion | None,
) -> Stay:
    """Close a stay with the discharge reason and destination.

    `expected_version` is the version of the stay the user saw (concurrent edits).
    """
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
    return _audit(
        actor,
        stay,
        "stay.discharge",
        stay.person_id,
        stay.facility,
        expected_version=expected_version,
    )


def transfer(
    actor: Actor,
    stay: Stay,
    to_facility: Facility,
    on: dt.date,
    *,
    mode: str | None = None,
    unit: Unit | None = None,
    expected_version: ExpectedVersion | None,
) -> Stay:
    """Move the person to another facility of the same organisation on date `on`.

    The current stay ends on `on` (reason "transfert") and a new stay opens on `on`
    for the same person record, in `mode` or else the current mode if the arrival
    facility has places of it, else the arrival facility's default. Returns the new stay.
    `expected_version` is the version of the current stay the user saw.
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
    mode = mode or modes.mode_on_transfer(
        stay.mode, to_facility.category_id, to_facility.couloir, facility_capacities(to_facility)
    )
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
        _audit(
            actor,
            stay,
            "stay.transfer_out",
            stay.person_id,
            from_facility,
            expected_version=expected_version,
        )
        new = Stay(
            person_id=stay.person_id, facility=to_facility, unit=unit, start_date=on, mode=mode
        )
        _audit(actor, new, "stay.transfer_in", stay.person_id, to_facility)
    return new


def relocate(
    actor: Actor,
    stay: Stay,
    *,
    unit: Unit | None,
    room: str,
    expected_version: ExpectedVersion | None,
) -> Stay:
    """Move the person within the facility of a stay in progress: another unit, another
    room. The stay goes on (a move to another facility is a transfer); the audit event
    keeps the former unit and room (save_audited's before/after), so the record's history
    tells where the person was.
    """
    _require(actor, stay.facility)
    if stay.end_date is not None:
        raise ValidationError(
            f"Ce séjour est clôturé (sortie le {_date(stay.end_date)}) : "
            "l'unité et la chambre ne se changent plus."
        )
    if unit is not None and unit.facility_id != stay.facility_id:
        raise ValidationError(f"L'unité « {unit} » n'appartient pas à « {stay.facility} ».")
    room = room.strip()
    if unit == stay.unit and room == stay.room:
        raise ValidationError("L'unité et la chambre sont déjà celles-ci : rien à changer.")
    require_version(expected_version)
    stay.unit = unit
    stay.room = room
    return _audit(
        actor,
        stay,
        "stay.relocate",
        stay.person_id,
        stay.facility,
        expected_version=expected_version,
    )


# --- admission requests, contracts, absences -------------------------------------------------


def _check_past(errors: dict[str, str], field: str, value: dt.date | None, today: dt.date) -> None:
    if value is not None and value > today and field not in errors:
        errors[field] = f"La date du {_date(value)} est dans le futur."


def create_admission_request(
    actor: Actor,
    person: Person,
    facility: Facility,
    received_on: dt.date,
    priority: str = AdmissionPriority.NORMAL,
    reasons: str = "",
    *,
    mdph_decision_number: str = "",
    mdph_decision_date: dt.date | None = None,
    mdph_category: str = "",
    mdph_valid_until: dt.date | None = None,
    today: dt.date | None = None,
) -> AdmissionRequest:
    """File a request on the facility's waiting list (status "reçue").

    Errors name the field they are about, so that a form shows them in place.
    """
    _require(actor, facility)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if person.organisation_id != facility.organisation_id:
        errors["facility"] = (
            f"« {facility} » n'appartient pas à l'organisme gestionnaire de la personne."
        )
    errors.update(
        _content_problems(priority, mdph_decision_date, mdph_valid_until, today, received_on)
    )
    if errors:
        raise ValidationError(errors)
    request = AdmissionRequest(
        person=person,
        facility=facility,
        received_on=received_on,
        priority=priority,
        reasons=reasons,
        mdph_decision_number=mdph_decision_number,
        mdph_decision_date=mdph_decision_date,
        mdph_category=mdph_category,
        mdph_valid_until=mdph_valid_until,
    )
    with transaction.atomic():
        _audit(actor, request, "admission.create", person.pk, facility)
        _history(actor, request, RequestChangeKind.CREATED, to_status=request.status)
    return request


def latest_contract(stay: Stay) -> Contract | None:
    """The contract the follow-up uses: the newest one of the stay."""
    return stay.contracts.order_by("-created_at", "-pk").first()


CONTRACT_DATE_FIELDS = ("handed_on", "signed_on", "objectives_amendment_on", "last_update_on")


def record_contract(
    actor: Actor,
    stay: Stay,
    kind: str,
    handed_on: dt.date | None = None,
    signed_on: dt.date | None = None,
    objectives_amendment_on: dt.date | None = None,
    last_update_on: dt.date | None = None,
    *,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> Contract:
    """Create the stay's contract, or update its latest one, with the dates of its steps.

    `expected_version` is the version of the contract the user saw, 0 when they saw none
    (so that two people recording the first contract at once do not overwrite each other);
    an update without it is refused (MissingVersionError).
    """
    _require(actor, stay.facility)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if kind not in CONTRACT_KINDS:
        errors["kind"] = f"Type de contrat inconnu : « {kind} »."
    values = dict(
        zip(
            CONTRACT_DATE_FIELDS,
            (handed_on, signed_on, objectives_amendment_on, last_update_on),
            strict=True,
        )
    )
    for field, value in values.items():
        if value is not None and value < stay.start_date:
            errors[field] = (
                f"La date du {_date(value)} précède l'admission ({_date(stay.start_date)})."
            )
        _check_past(errors, field, value, today)
    if handed_on and signed_on and signed_on < handed_on and "signed_on" not in errors:
        errors["signed_on"] = (
            f"Le contrat ne peut pas être signé ({_date(signed_on)}) avant d'avoir été remis "
            f"({_date(handed_on)})."
        )
    if last_update_on and "last_update_on" not in errors:
        if signed_on is None:
            errors["last_update_on"] = "Une mise à jour suppose un contrat signé."
        elif last_update_on < signed_on:
            errors["last_update_on"] = (
                f"La mise à jour ({_date(last_update_on)}) ne peut pas précéder "
                f"la signature ({_date(signed_on)})."
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract = latest_contract(stay)
        if contract is None:
            if expected_version:
                raise ConcurrentEditError(ConcurrentEditError.message)
            contract = Contract(stay=stay)
            action = "contract.create"
        else:
            if expected_version == 0:
                raise ConcurrentEditError(ConcurrentEditError.message)
            action = "contract.update"
        contract.kind = kind
        for field, value in values.items():
            setattr(contract, field, value)
        return _audit(
            actor,
            contract,
            action,
            stay.person_id,
            stay.facility,
            expected_version=expected_version,
        )


def add_absence(
    actor: Actor,
    stay: Stay,
    kind: str,
    start: dt.date,
    end: dt.date | None = None,
    comment: str = "",
) -> Absence:
    """Record an absence (hospitalisation, holidays…) within the stay's dates."""
    _require(actor, stay.facility)
    errors: dict[str, str] = {}
    if kind not in AbsenceKind.values:
        errors["kind"] = f"Type d'absence inconnu : « {kind} »."
    if start < stay.start_date:
        errors["start_date"] = (
            f"L'absence ne peut pas commencer ({_date(start)}) avant l'admission "
            f"({_date(stay.start_date)})."
        )
    elif stay.end_date is not None and start > stay.end_date:
        errors["start_date"] = (
            f"L'absence ne peut pas commencer ({_date(start)}) après la sortie "
            f"({_date(stay.end_date)})."
        )
    if end is not None and end < start:
        errors["end_date"] = (
            f"La fin de l'absence ({_date(end)}) ne peut pas précéder son début ({_date(start)})."
        )
    elif stay.end_date is not None and (end is None or end > stay.end_date):
        errors["end_date"] = (
            f"Le séjour a pris fin le {_date(stay.end_date)} : l'absence doit se terminer "
            "au plus tard ce jour-là."
        )
    if not errors:
        overlapping = stay.absences.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start),
            **({"start_date__lte": end} if end is not None else {}),
        ).first()
        if overlapping is not None:
            errors["start_date"] = (
                f"Cette absence chevauche une absence déjà enregistrée : {overlapping}."
            )
    if errors:
        raise ValidationError(errors)
    absence = Absence(stay=stay, kind=kind, start_date=start, end_date=end, comment=comment)
    return _audit(actor, absence, "absence.create", stay.person_id, stay.facility)
