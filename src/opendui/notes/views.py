"""Transmission pages: a person's notes, writing, editing within the grace period,
correcting, and the facility's cahier de liaison with read marks.

Reads are audited (persons.services.record_person_access) with the persons whose
notes are shown; writes go through notes.services (audited there). Forms follow
POST/redirect/GET; a refused write saves nothing and shows the form again.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation, save_or_refuse
from opendui.core.pagination import page_of
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .forms import EditNoteForm, NoteForm
from .models import Note, NoteKind
from .rules import SHIFT_LABELS, SHIFT_ORDER, Shift, shift_bounds, shift_of, within_grace
from .selectors import (
    categories_for,
    edit_code,
    liaison_notes,
    person_timeline,
    versions_of,
    view_code,
)
from .services import (
    can_edit_in_place,
    correct_note,
    edit_note,
    grace_minutes,
    mark_read,
    write_note,
)

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
VIEW = "person.view_identity"
KIND_TITLES = {
    NoteKind.TRANSMISSION: "Nouvelle transmission ciblée",
    NoteKind.OBSERVATION: "Nouvelle observation",
    NoteKind.MACROCIBLE: "Nouvelle macrocible",
}


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _note(pk: int) -> Note:
    return get_object_or_404(
        Note.objects.select_related("person__organisation", "author", "unit", "goal"), pk=pk
    )


def _deny(request: HttpRequest, person: Person, code: str) -> None:
    """Like core.authz.authorize's refusal, when the rule is 'some category' rather than one
    permission: audit the refusal and answer 403."""
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "access.denied",
        person_ids=[person.pk],
        obj=person,
        details={"permission": code, "path": request.path},
        organisation_id=person.organisation_id,
    )
    raise PermissionDenied(code)


# --- a person's notes ------------------------------------------------------------------------


def _rows(user: Any, notes: list[Note], categories: list[str], writable: list[str]) -> list:
    versions = versions_of(notes, categories)
    now = timezone.now()
    rows = []
    for note in notes:
        older = versions.get(note.pk, [])
        chain = [*older, note]
        in_grace = note.author_id == user.pk and within_grace(note.created_at, now, grace_minutes())
        rows.append(
            {
                "note": note,
                # Newest first, each with the version that corrected it.
                "versions": [(v, chain[i + 1]) for i, v in enumerate(chain[:-1])][::-1],
                "can_edit": in_grace and note.category in writable,
                "can_correct": (
                    not in_grace and note.author_id == user.pk and note.category in writable
                ),
            }
        )
    return rows


def person_notes(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, VIEW, person=person)
    categories = categories_for(request.user, person)
    if not categories:
        _deny(request, person, "person.view_<catégorie>")
    writable = categories_for(request.user, person, write=True)
    page = page_of(person_timeline(person, categories), request.GET.get("page"), settings.PAGE_SIZE)
    record_person_access(
        Actor.from_request(request),
        "note.person_view",
        [person],
        decision,
        details={"page": page.number},
    )
    return render(
        request,
        "notes/person_notes.html",
        {
            "person": person,
            "decision": decision,
            "page_obj": page,
            "rows": _rows(request.user, page.object_list, categories, writable),
            "can_write": bool(writable),
            "kinds": list(KIND_TITLES.items()),
            "grace_minutes": grace_minutes(),
        },
    )


def open_goals(person: Person):
    """Goals still pursued in the person's current PP versions (in preparation or running)."""
    from opendui.accompaniment.models import Goal
    from opendui.accompaniment.rules import ItemStatus, ProjectStatus

    return (
        Goal.objects.filter(
            project__person=person,
            project__status__in=[ProjectStatus.DRAFT, ProjectStatus.ACTIVE],
            status__in=[ItemStatus.DRAFT, ItemStatus.ACTIVE],
        )
        .select_related("project")
        .order_by("-project__number", "pk")
    )


def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, VIEW, person=person)
    writable = categories_for(request.user, person, write=True)
    if not writable:
        _deny(request, person, "person.edit_<catégorie>")
    kind = request.GET.get("type") or request.POST.get("kind") or NoteKind.TRANSMISSION
    if kind not in NoteKind.values:
        kind = NoteKind.TRANSMISSION
    data = request.POST if request.method == "POST" else None
    form = NoteForm(data, kind=kind, categories=writable, goals=open_goals(person))
    actor = Actor.from_request(request)
    back = reverse("notes:person", kwargs={"pk": person.pk})
    try:
        result = handle_creation(
            request,
            form,
            lambda: write_note(
                actor,
                person,
                kind=kind,
                written_at=form.cleaned_data["written_at"],
                facility=request.current_facility,
                goal=form.cleaned_data.get("goal"),
                **form.content(),
            ),
            on_replay_url=back,
        )
    except PermissionDenied:
        messages.error(request, "Vous n'avez pas le droit d'écrire dans cette catégorie.")
        return redirect(back)
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, f"{result} enregistrée.")
        return redirect(back)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "notes/note_form.html",
        {
            "person": person,
            "decision": decision,
            "form": form,
            "kind": kind,
            "title": KIND_TITLES[NoteKind(kind)],
            "token": creation_token(request),
            "action": reverse("notes:create", kwargs={"pk": person.pk}),
        },
    )


def _note_page(request: HttpRequest, note: Note, form, title: str, action: str, **extra: Any):
    return render(
        request,
        "notes/note_form.html",
        {
            "person": note.person,
            "note": note,
            "form": form,
            "kind": note.kind,
            "title": title,
            "action": action,
            **extra,
        },
        status=409 if form.errors.get("__all__") and request.method == "POST" else 200,
    )


def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    authorize(request, edit_code(note.category), person=note.person)
    back = reverse("notes:person", kwargs={"pk": note.person_id})
    if request.method != "POST" and not can_edit_in_place(request.user, note):
        messages.info(
            request,
            f"Le délai de modification ({grace_minutes()} minutes) est passé ou la note a été "
            "corrigée : seul son auteur peut maintenant la corriger (nouvelle version).",
        )
        return redirect(back)
    writable = categories_for(request.user, note.person, write=True)
    initial = {
        name: getattr(note, name)
        for name in NoteForm.base_fields
        if hasattr(note, name) and name != "written_at"
    }
    initial["written_at"] = timezone.localtime(note.written_at)
    form = EditNoteForm(
        request.POST if request.method == "POST" else None,
        note=note,
        kind=note.kind,
        categories=writable,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_or_refuse(
                form,
                lambda: edit_note(
                    Actor.from_request(request),
                    note,
                    expected_version=form.cleaned_data.get("expected_version"),
                    written_at=form.cleaned_data["written_at"],
                    **form.content(),
                ),
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(back)
        if saved is not None:
            messages.success(request, f"{saved} modifiée.")
            return redirect(back)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return _note_page(
        request, note, form, f"Modifier : {note}", reverse("notes:edit", kwargs={"pk": note.pk})
    )


def note_correct(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    authorize(request, edit_code(note.category), person=note.person)
    back = reverse("notes:person", kwargs={"pk": note.person_id})
    initial = {name: getattr(note, name) for name in NoteForm.base_fields if hasattr(note, name)}
    form = NoteForm(
        request.POST if request.method == "POST" else None,
        kind=note.kind,
        categories=[note.category],
        with_written_at=False,
        initial=initial,
    )
    actor = Actor.from_request(request)
    try:
        result = handle_creation(
            request, form, lambda: correct_note(actor, note, **form.content()), on_replay_url=back
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect(back)
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, "Correction enregistrée : la version précédente reste visible.")
        return redirect(back)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return _note_page(
        request,
        note,
        form,
        f"Corriger : {note}",
        reverse("notes:correct", kwargs={"pk": note.pk}),
        token=creation_token(request),
        correcting=True,
    )


# --- cahier de liaison -----------------------------------------------------------------------


def liaison_home(request: HttpRequest) -> HttpResponse:
    """The cahier of the facility the user works in, or the choice of a facility."""
    authorize(request, VIEW)
    facility = request.current_facility
    if facility is not None:
        return redirect("notes:liaison", facility_pk=facility.pk)
    return render(
        request, "notes/liaison_home.html", {"facilities": getattr(request, "user_facilities", [])}
    )


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _shift_links(facility: Facility, day: dt.date, shift: str, unit: str) -> dict[str, str]:
    """Previous/next shift and day, as URLs of the same page."""
    base = reverse("notes:liaison", kwargs={"facility_pk": facility.pk})

    def url(d: dt.date, s: str) -> str:
        return f"{base}?jour={d.isoformat()}&poste={s}&unite={unit}"

    links = {
        "previous_day": url(day - dt.timedelta(days=1), shift),
        "next_day": url(day + dt.timedelta(days=1), shift),
    }
    if shift:
        start, end = shift_bounds(day, shift)
        links["previous_shift"] = url(*shift_of(start - dt.timedelta(minutes=1)))
        links["next_shift"] = url(*shift_of(end))
    return links


def _grouped(notes: list[Note]) -> list[dict]:
    """[{"title", "groups": [(shift heading, notes)]}] for unread then read notes."""
    sections = []
    for is_read, title in ((False, "À lire"), (True, "Déjà lues")):
        rows = [n for n in notes if n.is_read == is_read]
        groups = [
            (f"{SHIFT_LABELS[s]} – {d:%d/%m/%Y}", list(items))
            for (d, s), items in groupby(rows, key=lambda n: shift_of(n.written_at))
        ]
        sections.append({"title": title, "read": is_read, "count": len(rows), "groups": groups})
    return sections


def liaison(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, VIEW, facility=facility)
    current_day, _current_shift = shift_of(timezone.now())
    day = _parse_day(request.GET.get("jour"), current_day)
    shift = request.GET.get("poste") or ""
    if shift not in {s.value for s in Shift}:
        shift = ""
    units = list(facility.units.filter(is_active=True).order_by("name"))
    unit_param = request.GET.get("unite") or ""
    unit = next((u for u in units if str(u.pk) == unit_param), None)
    notes = liaison_notes(request.user, facility, day, shift=shift or None, unit=unit)
    page = page_of(notes, request.GET.get("page"), settings.PAGE_SIZE)
    unread = notes.filter(is_read=False).count()
    persons = {n.person_id: n.person for n in page.object_list}
    record_person_access(
        Actor.from_request(request),
        "note.liaison_view",
        persons.values(),
        details={"page": page.number, "day": day.isoformat(), "shift": shift},
    )
    unit_value = str(unit.pk) if unit else ""
    query = f"jour={day.isoformat()}&poste={shift}&unite={unit_value}&"
    return render(
        request,
        "notes/liaison.html",
        {
            "facility": facility,
            "units": units,
            "unit": unit,
            "day": day,
            "shift": shift,
            "shift_choices": [(s.value, SHIFT_LABELS[s]) for s in SHIFT_ORDER],
            "shift_label": SHIFT_LABELS[Shift(shift)] if shift else "Toute la journée",
            "page_obj": page,
            "sections": _grouped(page.object_list),
            "shown_unread": [n.pk for n in page.object_list if not n.is_read],
            "unread": unread,
            "query_string": query,
            "here": f"{request.path}?{query}page={page.number}",
            "links": _shift_links(facility, day, shift, unit_value),
        },
    )


def _back_to(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    # Only our own pages: a path, not another site.
    if not target.startswith("/") or target.startswith("//"):
        target = fallback
    return redirect(target)


def _said_marked(request: HttpRequest, count: int) -> None:
    if count == 0:
        messages.info(request, "Aucune nouvelle transmission marquée comme lue.")
    elif count == 1:
        messages.success(request, "1 transmission marquée comme lue.")
    else:
        messages.success(request, f"{count} transmissions marquées comme lues.")


@require_POST
def mark_one_read(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    authorize(request, view_code(note.category), person=note.person)
    count = mark_read(request.user, [note.pk])
    _said_marked(request, count)
    fallback = reverse("notes:liaison", kwargs={"facility_pk": note.facility_id})
    return _back_to(request, fallback)


@require_POST
def liaison_mark_all(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, VIEW, facility=facility)
    ids = []
    for value in request.POST.getlist("note")[: settings.PAGE_SIZE]:
        if value.isdigit():
            ids.append(int(value))
    count = mark_read(request.user, ids, facility=facility) if ids else 0
    _said_marked(request, count)
    return _back_to(request, reverse("notes:liaison", kwargs={"facility_pk": facility.pk}))
