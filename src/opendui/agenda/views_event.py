"""One event: creation (single or recurring), detail, edit, status, presence, report.

Creation uses a one-time form token (a double click never creates twice); edits carry
the version the user loaded (a concurrent edit answers 409 and saves nothing); a
refused input shows the French message and saves nothing. Double bookings of a
professional are shown as warnings after saving, never blocking.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from opendui.core.actor import Actor
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.identifiers import ascii_digits
from opendui.core.params import PK_MAX, int_param, posted
from opendui.core.services import ConcurrentEditError
from opendui.persons.services import record_person_access

from .access import can_read_report, readable_ids, write_problem
from .forms import EventForm, RepeatForm, ReportForm, ScopeForm, StatusForm
from .models import Event, EventParticipant, EventStatus, PresenceChoice
from .recurrence import Frequency, Rule
from .rules import STATUS_LABELS, TRANSITIONS, Status
from .selectors import conflicts_of, professionals_on
from .services import EventData, create_event, update_event
from .services_status import change_status, record_presence, record_report
from .views import _facility
from .views_common import deny

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."


def _event(pk: int) -> Event:
    return get_object_or_404(
        Event.objects.select_related(
            "facility", "facility__organisation", "unit", "series", "pp_service"
        ),
        pk=pk,
    )


def _person_ids(event: Event) -> set[int]:
    return set(EventParticipant.objects.filter(event=event).values_list("person_id", flat=True))


def _warn_conflicts(request: HttpRequest, events: list[Event]) -> None:
    """A clear French warning for each professional booked twice (never blocking)."""
    found = conflicts_of([e.pk for e in events if e.status != Status.CANCELLED])
    if not found:
        return
    names = {
        p.user_id: p.full_name for rows in professionals_on(list(found)).values() for p in rows
    }
    shown = 0
    for rows in found.values():
        for c in rows:
            if shown >= 5:
                break
            start = timezone.localtime(c.other_start)
            end = timezone.localtime(c.other_end)
            messages.warning(
                request,
                f"Attention, conflit d'agenda : {names.get(c.professional_id, 'un professionnel')} "
                f"a déjà un autre événement le {start:%d/%m/%Y} de {start:%H:%M} à {end:%H:%M}. "
                "L'événement est enregistré ; vérifiez le planning.",
            )
            shown += 1
    total = sum(len(r) for r in found.values())
    if total > shown:
        messages.warning(request, f"… et {total - shown} autre(s) conflit(s) d'agenda.")


def _record_form_view(request: HttpRequest, form: EventForm, facility) -> None:
    """The form lists the persons the user may pick: one access event naming them."""
    record_person_access(
        Actor.from_request(request),
        "event.form_view",
        form.offered_persons,
        details={"facility": facility.pk},
    )


def _data(form: EventForm, facility) -> EventData:
    d = form.cleaned_data
    return EventData(
        facility=facility,
        kind=d["kind"],
        title=d["title"],
        start=d["start"],
        end=d["end"],
        unit=d.get("unit"),
        place=d.get("place") or "",
        serafin_code=d.get("serafin_code") or "",
        category=d["category"],
        persons=list(d.get("persons") or []),
        professionals=list(d.get("professionals") or []),
        pp_service=d.get("pp_service"),
    )


def _rule(repeat: RepeatForm) -> Rule | None:
    if not repeat.is_valid() or not repeat.cleaned_data.get("frequency"):
        return None
    d = repeat.cleaned_data
    return Rule(
        frequency=Frequency(d["frequency"]),
        interval=d.get("interval") or 1,
        weekdays=tuple(d.get("weekdays") or ()),
        until=d.get("until"),
        count=d.get("count"),
    )


def event_create(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = _facility(request, facility_pk)
    actor = Actor.from_request(request)
    initial: dict[str, Any] = {}
    person_pk = int_param(request.GET.get("personne"), default=0, minimum=1, maximum=PK_MAX)
    if person_pk:
        initial["persons"] = [person_pk]
    form = EventForm(
        posted(request),
        user=request.user,
        facility=facility,
        initial=initial,
        existing_person_ids=[],
    )
    repeat = RepeatForm(posted(request), prefix="rep")
    if request.method == "POST" and not repeat.is_valid():
        form.is_valid()
        form.add_error(None, "La répétition est mal remplie : vérifiez-la.")
    else:
        result = handle_creation(
            request,
            form,
            lambda: create_event(actor, _data(form, facility), _rule(repeat)),
            on_replay_url=reverse("agenda:planning_week", kwargs={"facility_pk": facility.pk}),
            refusals=(PermissionDenied,),
        )
        if isinstance(result, HttpResponse):
            return result
        if result:
            count = len(result)
            messages.success(
                request,
                "Événement enregistré."
                if count == 1
                else f"{count} événements enregistrés (répétition).",
            )
            _warn_conflicts(request, result)
            return redirect("agenda:detail", pk=result[0].pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    _record_form_view(request, form, facility)
    return render(
        request,
        "agenda/event_form.html",
        {
            "facility": facility,
            "form": form,
            "repeat": repeat,
            "token": creation_token(request),
            "creating": True,
        },
        status=200,
    )


@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    participants = list(
        EventParticipant.objects.filter(event=event)
        .select_related("person")
        .order_by("person__birth_name", "person__first_name", "pk")
    )
    ids = {p.person_id for p in participants}
    seen = readable_ids(request.user, event.facility, ids)
    if seen is None:
        deny(request, event, "person.view_identity", ids)
    visible = [p for p in participants if p.person_id in seen]
    can_write = write_problem(request.user, event.facility, ids, event.category) is None
    report_readable = can_read_report(request.user, event.facility, ids, event.category)
    professionals = professionals_on([event.pk]).get(event.pk, [])
    conflicts = conflicts_of([event.pk] if event.status != Status.CANCELLED else [])
    names = {p.user_id: p.full_name for p in professionals}
    record_person_access(
        Actor.from_request(request),
        "event.view",
        [p.person for p in visible],
        details={"event": event.pk, "report": report_readable},
    )
    targets = [
        {"value": t.value, "label": STATUS_LABELS[t]}
        for t in (Status.VALIDATED, Status.DONE, Status.CANCELLED)
        if t in TRANSITIONS[Status(event.status)]
    ]
    return render(
        request,
        "agenda/event_detail.html",
        {
            "event": event,
            "participants": visible,
            "hidden": len(participants) - len(visible),
            "professionals": professionals,
            "conflicts": [
                {"who": names.get(c.professional_id, ""), "conflict": c}
                for c in conflicts.get(event.pk, [])
            ],
            "can_write": can_write,
            "report_readable": report_readable,
            "targets": targets,
            "presence_choices": PresenceChoice.choices,
            "report_form": ReportForm(
                initial={
                    "report": event.report if report_readable else "",
                    "expected_version": event.version,
                }
            ),
            "in_series": event.series_id is not None,
        },
    )


def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    ids = _person_ids(event)
    problem = write_problem(request.user, event.facility, ids, event.category)
    if problem:
        deny(request, event, f"person.edit_{event.category}", ids)
    if event.status == Status.CANCELLED:
        messages.error(request, "Un événement annulé ne se modifie plus.")
        return redirect("agenda:detail", pk=event.pk)
    professionals = professionals_on([event.pk]).get(event.pk, [])
    initial = {
        "kind": event.kind,
        "title": event.title,
        "start": timezone.localtime(event.start),
        "end": timezone.localtime(event.end),
        "place": event.place,
        "unit": event.unit_id,
        "persons": sorted(ids),
        "professionals": [p.user_id for p in professionals],
        "serafin_code": event.serafin_code,
        "category": event.category,
    }
    form = EventForm(
        posted(request),
        user=request.user,
        facility=event.facility,
        event=event,
        initial=initial,
        existing_person_ids=sorted(ids),
    )
    scope = ScopeForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = scope.cleaned_data["scope"] if scope.is_valid() else "une"
            saved = save_or_refuse(
                form,
                lambda: update_event(
                    Actor.from_request(request),
                    event,
                    _data(form, event.facility),
                    expected_version=form.cleaned_data.get("expected_version"),
                    scope=chosen,
                ),
                refusals=(PermissionDenied,),
            )
            if saved:
                messages.success(
                    request,
                    "Événement modifié."
                    if len(saved) == 1
                    else f"{len(saved)} occurrences modifiées.",
                )
                _warn_conflicts(request, saved)
                return redirect("agenda:detail", pk=event.pk)
            status = conflict_status(form)
        messages.error(request, NOTHING_SAVED)
    _record_form_view(request, form, event.facility)
    return render(
        request,
        "agenda/event_form.html",
        {
            "facility": event.facility,
            "event": event,
            "form": form,
            "scope_form": scope if event.series_id else None,
            "creating": False,
        },
        status=status,
    )


def _refused(request: HttpRequest, event: Event, error: Exception) -> HttpResponse:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, f"{text} Rien n'a été enregistré.")
    return redirect("agenda:detail", pk=event.pk)


def _write_guard(request: HttpRequest, event: Event) -> set[int]:
    ids = _person_ids(event)
    if write_problem(request.user, event.facility, ids, event.category):
        deny(request, event, f"person.edit_{event.category}", ids)
    return ids


@require_POST
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    _write_guard(request, event)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Statut inconnu. Rien n'a été enregistré.")
        return redirect("agenda:detail", pk=event.pk)
    d = form.cleaned_data
    try:
        changed = change_status(
            Actor.from_request(request),
            event,
            d["status"],
            reason=d.get("reason") or "",
            expected_version=d.get("expected_version"),
            scope=d.get("scope") or "une",
        )
    except ConcurrentEditError as error:
        return _conflict(request, event, error)
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, event, error)
    label = dict(EventStatus.choices)[d["status"]]
    messages.success(
        request,
        f"Événement {label}." if len(changed) == 1 else f"{len(changed)} occurrences : {label}.",
    )
    return redirect("agenda:detail", pk=event.pk)


def _conflict(request: HttpRequest, event: Event, error: Exception) -> HttpResponse:
    """A concurrent edit: 409 with the message, nothing saved."""
    return render(
        request,
        "agenda/conflict.html",
        {"event": event, "message": ConcurrentEditError.message},
        status=409,
    )


@require_POST
def event_presence(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    ids = _write_guard(request, event)
    presences = {
        person_id: request.POST[f"presence_{person_id}"]
        for person_id in ids
        if f"presence_{person_id}" in request.POST
    }
    version = request.POST.get("expected_version")
    try:
        record_presence(
            Actor.from_request(request),
            event,
            presences,
            expected_version=int(version) if version and ascii_digits(version) else None,
        )
    except ConcurrentEditError as error:
        return _conflict(request, event, error)
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, event, error)
    messages.success(request, "Présence enregistrée.")
    return redirect("agenda:detail", pk=event.pk)


@require_POST
def event_report(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    _write_guard(request, event)
    form = ReportForm(request.POST)
    form.is_valid()
    try:
        record_report(
            Actor.from_request(request),
            event,
            form.cleaned_data.get("report", ""),
            expected_version=form.cleaned_data.get("expected_version"),
        )
    except ConcurrentEditError as error:
        return _conflict(request, event, error)
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, event, error)
    messages.success(request, "Compte rendu enregistré.")
    return redirect("agenda:detail", pk=event.pk)
