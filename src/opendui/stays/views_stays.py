"""A person's stays: mode, unit, dates, absences, discharge, contract and its deadlines.

Reading needs `person.view_administrative` on the person (audited read, break-the-glass
shown). Each action is one POST URL on a stay that needs "person.create" in the stay's
facility (the services check it again); the page hides the forms of stays the user
cannot manage. A saved action redirects back with a message; a refused one saves
nothing and shows the page again with the French reasons on the submitted form
(409 when someone else saved the contract meanwhile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import Decision, check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    issue_form_token,
    save_or_refuse,
)
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import services
from .forms import AbsenceForm, ContractForm, DischargeForm, RelocateForm, TransferForm
from .models import Contract, Stay
from .rules import ContractFacts, contract_deadlines, next_update_due, overdue_items

PERMISSION = services.PERMISSION
NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
REFUSED = "Vous n'avez pas le droit de gérer les séjours de cet établissement."
FORMS = ("contract", "absence", "relocate", "discharge", "transfer")


def _auto_id(stay: Stay, name: str) -> str:
    return f"s{stay.pk}_{name}_%s"


def _latest_contracts(person: Person) -> dict[int, Contract]:
    """The latest contract of each of the person's stays: one query."""
    latest: dict[int, Contract] = {}
    for contract in Contract.objects.filter(stay__person=person).order_by(
        "stay_id", "-created_at", "-pk"
    ):
        latest.setdefault(contract.stay_id, contract)
    return latest


def _steps(stay: Stay, contract: Contract | None, today: dt.date) -> list[dict[str, Any]]:
    """Each legal step: due date, date done, and whether it is overdue today."""
    kind = contract.kind if contract else "contrat"
    due = contract_deadlines(stay.start_date, kind)
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
    running = stay.end_date is None or stay.end_date >= today
    late = {label for label, _ in overdue_items(facts, today)} if running else set()
    update_due = next_update_due(facts.signed_on, facts.last_update_on) if facts.signed_on else None
    rows = [
        ("remise du contrat", "Remise", due.handover, facts.handed_on),
        ("signature du contrat", "Signature", due.signature, facts.signed_on),
        (
            "avenant fixant les objectifs",
            "Avenant fixant les objectifs",
            due.objectives_amendment,
            facts.objectives_amendment_on,
        ),
        ("mise à jour annuelle", "Mise à jour annuelle", update_due, facts.last_update_on),
    ]
    return [
        {"label": label, "due": due_on, "done": done, "late": key in late}
        for key, label, due_on, done in rows
    ]


def _page(
    request: HttpRequest,
    person: Person,
    decision: Decision,
    *,
    bound: tuple[int, str] | None = None,
    form: BaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page; `form` is the submitted one (stay id, form name) shown with its errors."""
    today = timezone.localdate()
    stays = list(
        person.stays.select_related("facility", "unit", "admission_request")
        .prefetch_related("absences")
        .order_by("-start_date", "-pk")
    )
    contracts = _latest_contracts(person)
    managed = {s.facility_id for s in stays if check(request.user, PERMISSION, facility=s.facility)}
    units = _units_by_facility(
        {s.facility_id for s in stays if s.facility_id in managed and s.end_date is None}
    )
    destinations: list[tuple[int, str]] = []
    if managed:
        destinations = [
            (f.pk, f.name)
            for f in Facility.objects.filter(
                organisation_id=person.organisation_id, is_active=True
            ).order_by("name")
            if check(request.user, PERMISSION, facility=f)
        ]
    rows = []
    for stay in stays:
        contract = contracts.get(stay.pk)
        row: dict[str, Any] = {
            "stay": stay,
            "contract": contract,
            "steps": _steps(stay, contract, today),
            "absences": list(stay.absences.all()),
            "can_manage": stay.facility_id in managed,
        }
        if row["can_manage"]:
            row["forms"] = _forms(
                request, stay, contract, destinations, units.get(stay.facility_id, []), bound, form
            )
        rows.append(row)
    record_person_access(Actor.from_request(request), "stay.person_view", [person], decision)
    return render(
        request,
        "stays/person_stays.html",
        {"person": person, "decision": decision, "rows": rows, "today": today},
        status=status,
    )


def _units_by_facility(facility_ids: set[int]) -> dict[int, list[Unit]]:
    """The active units of the facilities whose stays in progress the page may move (one
    query; none when there is no such stay)."""
    units: dict[int, list[Unit]] = {}
    if facility_ids:
        for unit in Unit.objects.filter(facility_id__in=facility_ids, is_active=True).order_by(
            "name"
        ):
            units.setdefault(unit.facility_id, []).append(unit)
    return units


def _forms(request, stay, contract, destinations, units, bound, form) -> dict[str, Any]:
    forms: dict[str, Any] = {
        "contract": ContractForm(contract=contract, auto_id=_auto_id(stay, "contract")),
        "absence": AbsenceForm(auto_id=_auto_id(stay, "absence")),
    }
    if stay.end_date is None:
        version = {"expected_version": stay.version}
        forms["relocate"] = RelocateForm(
            initial={**version, "unit": stay.unit_id, "room": stay.room},
            units=[(unit.pk, unit.name) for unit in units],
            auto_id=_auto_id(stay, "relocate"),
        )
        forms["discharge"] = DischargeForm(initial=version, auto_id=_auto_id(stay, "discharge"))
        others = [(pk, name) for pk, name in destinations if pk != stay.facility_id]
        if others:
            forms["transfer"] = TransferForm(
                initial=version, facilities=others, auto_id=_auto_id(stay, "transfer")
            )
    is_bound = bound is not None and bound[0] == stay.pk
    if is_bound:
        forms[bound[1]] = form
    forms["absence_token"] = (
        creation_token(request) if is_bound and bound[1] == "absence" else issue_form_token(request)
    )
    return forms


def person_stays(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    decision = authorize(request, "person.view_administrative", person=person)
    return _page(request, person, decision)


# --- actions ---------------------------------------------------------------------------------


def _stay(request: HttpRequest, pk: int) -> Stay:
    stay = get_object_or_404(Stay.objects.select_related("facility", "person"), pk=pk)
    authorize(request, PERMISSION, facility=stay.facility)
    return stay


def _back(stay: Stay) -> HttpResponse:
    return redirect(
        reverse("stays:person_stays", kwargs={"pk": stay.person_id}) + f"#sejour-{stay.pk}"
    )


def _refused_page(request: HttpRequest, stay: Stay, name: str, form: BaseForm) -> HttpResponse:
    messages.error(request, NOTHING_SAVED)
    decision = check(request.user, "person.view_administrative", person=stay.person)
    if not decision:
        return _back(stay)
    return _page(
        request,
        stay.person,
        decision,
        bound=(stay.pk, name),
        form=form,
        status=conflict_status(form),
    )


def _run(
    request: HttpRequest,
    stay: Stay,
    name: str,
    form: BaseForm,
    save: Callable[[], Any],
    success: Callable[[Any], str],
) -> HttpResponse:
    """A state change of the stay (no token: the services refuse a second identical one)."""
    result = None
    if form.is_valid():
        result = save_or_refuse(form, save, refusals=(PermissionDenied,))
    if result is None:
        return _refused_page(request, stay, name, form)
    messages.success(request, success(result))
    return _back(stay)


@require_POST
def contract_record(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    form = ContractForm(request.POST, auto_id=_auto_id(stay, "contract"))
    return _run(
        request,
        stay,
        "contract",
        form,
        lambda: services.record_contract(Actor.from_request(request), stay, **form.cleaned_data),
        lambda contract: f"{contract.get_kind_display().capitalize()} enregistré.",
    )


@require_POST
def absence_add(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    form = AbsenceForm(request.POST, auto_id=_auto_id(stay, "absence"))

    def save():
        data = form.cleaned_data
        return services.add_absence(
            Actor.from_request(request),
            stay,
            data["kind"],
            data["start_date"],
            data["end_date"],
            data["comment"],
        )

    outcome = handle_creation(
        request,
        form,
        save,
        on_replay_url=reverse("stays:person_stays", kwargs={"pk": stay.person_id}),
        refusals=(PermissionDenied,),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is None:
        return _refused_page(request, stay, "absence", form)
    messages.success(request, f"Absence enregistrée : {outcome}.")
    return _back(stay)


@require_POST
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    form = DischargeForm(request.POST, auto_id=_auto_id(stay, "discharge"))
    return _run(
        request,
        stay,
        "discharge",
        form,
        lambda: services.discharge(Actor.from_request(request), stay, **form.cleaned_data),
        lambda saved: f"Sortie enregistrée le {saved.end_date:%d/%m/%Y}.",
    )


@require_POST
def relocate(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    units = {u.pk: u for u in Unit.objects.filter(facility=stay.facility, is_active=True)}
    form = RelocateForm(
        request.POST,
        units=[(unit.pk, unit.name) for unit in units.values()],
        auto_id=_auto_id(stay, "relocate"),
    )

    def save():
        data = form.cleaned_data
        return services.relocate(
            Actor.from_request(request),
            stay,
            unit=units.get(data["unit"]),
            room=data["room"],
            expected_version=data["expected_version"],
        )

    def success(saved: Stay) -> str:
        where = ", ".join(
            part
            for part in (
                saved.unit.name if saved.unit else "sans unité",
                f"chambre {saved.room}" if saved.room else "",
            )
            if part
        )
        return f"Nouveau lieu enregistré : {where}."

    return _run(request, stay, "relocate", form, save, success)


@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _stay(request, pk)
    facilities = {
        f.pk: f
        for f in Facility.objects.filter(
            organisation_id=stay.facility.organisation_id, is_active=True
        ).exclude(pk=stay.facility_id)
    }
    form = TransferForm(
        request.POST,
        facilities=[(pk, f.name) for pk, f in facilities.items()],
        auto_id=_auto_id(stay, "transfer"),
    )

    def save():
        data = form.cleaned_data
        return services.transfer(
            Actor.from_request(request),
            stay,
            facilities[data["to_facility"]],
            data["on"],
            mode=data["mode"] or None,
            expected_version=data["expected_version"],
        )

    return _run(
        request,
        stay,
        "transfer",
        form,
        save,
        lambda new: (
            f"Transfert enregistré : nouveau séjour à « {new.facility} » "
            f"depuis le {new.start_date:%d/%m/%Y}."
        ),
    )
