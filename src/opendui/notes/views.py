"""Transmission pages: a person's notes, writing, editing within the grace period,
correcting, withdrawing, and the facility's cahier de liaison with read marks and notes
for the team.

Reads are audited (persons.services.record_person_access) with the persons whose
notes are shown; the cahier's event is about the facility, with the persons of the notes
shown and the ids of the team notes shown (a team note concerns no person). Writes go
through notes.services (audited there). Forms follow POST/redirect/GET; a refused write
saves nothing and shows the form again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.accounts.permissions import DataCategory
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation, save_or_refuse
from opendui.core.pagination import Page, page_of
from opendui.core.params import PK_MAX, date_param, int_param
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .forms import TEAM_WHOLE_FACILITY, EditNoteForm, NoteForm, TeamNoteForm, WithdrawForm
from .models import Note, NoteKind, NoteStatus
from .rules import (
    SHIFT_LABELS,
    SHIFT_ORDER,
    GroupCount,
    Shift,
    group_pages,
    shift_bounds,
    shift_of,
    within_grace,
)
from .selectors import (
    categories_for,
    edit_code,
    liaison_groups,
    liaison_notes,
    note_allows,
    person_timeline,
    team_categories,
    versions_of,
    view_code,
)
from .services import (
    can_edit_in_place,
    correct_note,
    edit_note,
    grace_minutes,
    mark_read,
    may_withdraw,
    withdraw_note,
    write_note,
    write_team_note,
)

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
VIEW = "person.view_identity"
KIND_TITLES = {
    NoteKind.TRANSMISSION: "Nouvelle transmission ciblée",
    NoteKind.OBSERVATION: "Nouvelle observation",
    NoteKind.MACROCIBLE: "Nouvelle macrocible",
}
TEAM_KIND_TITLES = {
    NoteKind.TRANSMISSION: "Nouvelle transmission pour l'équipe",
    NoteKind.OBSERVATION: "Nouvelle observation pour l'équipe",
}


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _note(pk: int) -> Note:
    return get_object_or_404(
        Note.objects.select_related(
            "person__organisation", "facility", "author", "unit", "goal", "withdrawn_by"
        ),
        pk=pk,
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


def _deny_team(request: HttpRequest, note: Note, code: str) -> None:
    """A team note refused: audit the refusal about the facility (no person) and answer 403."""
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "access.denied",
        obj=note.facility,
        details={"permission": code, "path": request.path, "note": note.pk},
        organisation_id=note.facility.organisation_id,
        facility_id=note.facility_id,
    )
    raise PermissionDenied(code)


def _authorize_note(request: HttpRequest, note: Note, code_of) -> None:
    """`code_of(category)` on the note's person (audited refusal, 403), or on its team."""
    code = code_of(note.category)
    if note.person_id is not None:
        authorize(request, code, person=note.person)
    elif not note_allows(request.user, code_of, note):
        _deny_team(request, note, code)


def _back_of(note: Note) -> str:
    """Where a note is shown: its person's notes, or the cahier of its day (team note)."""
    if note.person_id is not None:
        return reverse("notes:person", kwargs={"pk": note.person_id})
    day, shift = shift_of(note.written_at)
    base = reverse("notes:liaison", kwargs={"facility_pk": note.facility_id})
    return f"{base}?jour={day.isoformat()}&poste={shift.value}&unite="


# --- a person's notes ------------------------------------------------------------------------


def _rows(
    user: Any,
    notes: list[Note],
    categories: list[str],
    writable: list[str],
    withdraw_others: bool = False,
) -> list:
    """Each note with its older versions and what the reader may do with it.

    `withdraw_others`: the reader holds `note.withdraw` on the person (and reads the
    note, since it is listed): they may withdraw any note in force, not only their own.
    """
    versions = versions_of(notes, categories)
    now = timezone.now()
    rows = []
    for note in notes:
        older = versions.get(note.pk, [])
        chain = [*older, note]
        own = note.author_id == user.pk
        in_force = note.status == NoteStatus.ACTIVE
        in_grace = own and in_force and within_grace(note.created_at, now, grace_minutes())
        rows.append(
            {
                "note": note,
                # Newest first, each with the version that corrected it.
                "versions": [(v, chain[i + 1]) for i, v in enumerate(chain[:-1])][::-1],
                "can_edit": in_grace and note.category in writable,
                "can_correct": (not in_grace and own and in_force and note.category in writable),
                "can_withdraw": in_force
                and ((own and note.category in writable) or withdraw_others),
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
    all_withdrawn = bool(check(request.user, "note.view_withdrawn", person=person))
    timeline = person_timeline(
        person, categories, withdrawn_of=request.user, all_withdrawn=all_withdrawn
    )
    page = page_of(timeline, request.GET.get("page"), settings.PAGE_SIZE)
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
            "rows": _rows(
                request.user,
                page.object_list,
                categories,
                writable,
                withdraw_others=bool(check(request.user, "note.withdraw", person=person)),
            ),
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
            "back": _back_of(note),
            "note": note,
            "form": form,
            "kind": note.kind,
            "title": title,
            "action": action,
            **extra,
        },
        status=409 if form.errors.get("__all__") and request.method == "POST" else 200,
    )


def _writable(user: Any, note: Note) -> list[str]:
    """Categories the user may write where the note belongs (its person or its team)."""
    if note.person_id is None:
        return team_categories(user, note.facility, note.unit_id)
    return categories_for(user, note.person, write=True)


def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    _authorize_note(request, note, edit_code)
    back = _back_of(note)
    if request.method != "POST" and not can_edit_in_place(request.user, note):
        messages.info(
            request,
            f"Le délai de modification ({grace_minutes()} minutes) est passé ou la note a été "
            "corrigée : seul son auteur peut maintenant la corriger (nouvelle version).",
        )
        return redirect(back)
    writable = _writable(request.user, note)
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
    _authorize_note(request, note, edit_code)
    back = _back_of(note)
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


def note_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a note written in the wrong record: the reason, then the service."""
    note = _note(pk)
    _authorize_note(request, note, view_code)
    if not may_withdraw(request.user, note):
        # Neither its author (still writing its category there) nor note.withdraw.
        if note.person_id is not None:
            _deny(request, note.person, "note.withdraw")
        _deny_team(request, note, "note.withdraw")
    back = _back_of(note)
    if note.status != NoteStatus.ACTIVE:
        messages.info(request, "Cette transmission a déjà été retirée.")
        return redirect(back)
    form = WithdrawForm(request.POST if request.method == "POST" else None, note=note)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: withdraw_note(
                Actor.from_request(request),
                note,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["expected_version"],
            ),
        )
        if saved is not None:
            messages.success(
                request,
                "Transmission retirée : elle n'apparaît plus dans le dossier ni dans le cahier "
                "de liaison ; elle reste consultable par son auteur et l'encadrement, et "
                "tracée dans le journal d'audit.",
            )
            return redirect(back)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "notes/withdraw.html",
        {"note": note, "person": note.person, "form": form, "back": back},
        status=409 if form.errors.get("__all__") and request.method == "POST" else 200,
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


NO_UNIT = "Établissement (toute l'équipe, personnes sans unité)"


def _grouped(page: Page, groups: list[GroupCount], size: int) -> list[dict]:
    """Every (shift, unit) group of the day in display order, with its notes on this page.

    The counts are the whole group's (from the aggregate); a group whose notes are on
    other pages says on which (its notes are consecutive, rules.group_pages).
    """
    shown: dict[tuple[str, int | None], list[Note]] = defaultdict(list)
    for note in page.object_list:
        shown[(note.shift_key, note.unit_id)].append(note)
    sections = []
    for group, (first, last) in zip(groups, group_pages(groups, size), strict=True):
        notes = shown.get((group.shift.value, group.unit_id), [])
        unread_here = [n.pk for n in notes if not n.is_read]
        sections.append(
            {
                "id": f"g-{group.shift.value}-{group.unit_id or 0}",
                "title": f"{SHIFT_LABELS[group.shift]} · {group.unit_name or NO_UNIT}",
                "group": group,
                "notes": notes,
                "unread_here": unread_here,
                "open": bool(unread_here),
                "continued": bool(notes) and first < page.number,
                "continues": bool(notes) and last > page.number,
                "elsewhere": None if notes else first,
            }
        )
    return sections


def _team_choices(user: Any, facility: Facility, units: list) -> list[tuple[str, str]]:
    """The teams the user may write a note for: the whole facility, then each unit."""
    choices = []
    if team_categories(user, facility, None):
        choices.append((TEAM_WHOLE_FACILITY, f"Tout l'établissement ({facility.name})"))
    choices += [(str(u.pk), u.name) for u in units if team_categories(user, facility, u.pk)]
    return choices


def liaison(request: HttpRequest, facility_pk: int) -> HttpResponse:
    """One care day (or shift) of the facility's notes, grouped by shift and unit, the
    groups with unread notes first and open, the others collapsed."""
    facility = get_object_or_404(Facility.objects.select_related("organisation"), pk=facility_pk)
    authorize(request, VIEW, facility=facility)
    current_day, _current_shift = shift_of(timezone.now())
    day = date_param(request.GET.get("jour"), default=current_day)
    shift = request.GET.get("poste") or ""
    if shift not in {s.value for s in Shift}:
        shift = ""
    units = list(facility.units.filter(is_active=True).order_by("name"))
    unit_param = request.GET.get("unite") or ""
    unit = next((u for u in units if str(u.pk) == unit_param), None)
    groups = liaison_groups(request.user, facility, day, shift=shift or None, unit=unit)
    notes = liaison_notes(
        request.user, facility, day, shift=shift or None, unit=unit, groups=groups
    )
    page = page_of(notes, request.GET.get("page"), settings.PAGE_SIZE)
    persons = {n.person_id: n.person for n in page.object_list if n.person_id}
    team_notes = [n.pk for n in page.object_list if not n.person_id]
    if persons or team_notes:
        record(
            Actor.from_request(request),
            EventKind.ACCESS,
            "note.liaison_view",
            person_ids=list(persons),
            obj=facility,
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
            details={
                "page": page.number,
                "day": day.isoformat(),
                "shift": shift,
                "unit": unit.pk if unit else None,
                "team_notes": team_notes,
            },
        )
    unit_value = str(unit.pk) if unit else ""
    query = f"jour={day.isoformat()}&poste={shift}&unite={unit_value}&"
    unread = sum(g.unread for g in groups)
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
            "sections": _grouped(page, groups, settings.PAGE_SIZE),
            "total": sum(g.total for g in groups),
            "shown_unread": [n.pk for n in page.object_list if not n.is_read],
            "unread": unread,
            "query_string": query,
            "here": f"{request.path}?{query}page={page.number}",
            "links": _shift_links(facility, day, shift, unit_value),
            "can_write_team": bool(_team_choices(request.user, facility, units)),
            "withdraw_team_notes": bool(check(request.user, "note.withdraw", facility=facility)),
        },
    )


def team_create(request: HttpRequest, facility_pk: int) -> HttpResponse:
    """Write a note for the team of a unit or of the whole facility, from the cahier."""
    facility = get_object_or_404(Facility.objects.select_related("organisation"), pk=facility_pk)
    authorize(request, VIEW, facility=facility)
    units = list(facility.units.filter(is_active=True).order_by("name"))
    teams = _team_choices(request.user, facility, units)
    if not teams:
        record(
            Actor.from_request(request),
            EventKind.ACCESS,
            "access.denied",
            obj=facility,
            details={"permission": "person.edit_<catégorie> (équipe)", "path": request.path},
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
        )
        raise PermissionDenied("person.edit_<catégorie>")
    kind = request.GET.get("type") or request.POST.get("kind") or NoteKind.TRANSMISSION
    if kind not in (NoteKind.TRANSMISSION, NoteKind.OBSERVATION):
        kind = NoteKind.TRANSMISSION
    categories = sorted(
        {c for team, _ in teams for c in team_categories(request.user, facility, _unit_id(team))},
        key=[c.value for c in DataCategory].index,
    )
    data = request.POST if request.method == "POST" else None
    form = TeamNoteForm(data, kind=kind, categories=categories, units=teams)
    back = reverse("notes:liaison", kwargs={"facility_pk": facility.pk})
    actor = Actor.from_request(request)

    def save() -> Note:
        team = form.cleaned_data["team"]
        return write_team_note(
            actor,
            facility,
            kind=kind,
            unit=next((u for u in units if str(u.pk) == team), None),
            written_at=form.cleaned_data["written_at"],
            **{k: v for k, v in form.content().items() if k != "team"},
        )

    try:
        result = handle_creation(request, form, save, on_replay_url=back)
    except PermissionDenied as error:
        form.add_error(None, str(error))
        result = None
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, f"Note pour l'équipe enregistrée ({result}).")
        day, note_shift = shift_of(result.written_at)
        return redirect(f"{back}?jour={day.isoformat()}&poste={note_shift.value}&unite=")
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "notes/note_form.html",
        {
            "person": None,
            "facility": facility,
            "back": back,
            "form": form,
            "kind": kind,
            "title": TEAM_KIND_TITLES[NoteKind(kind)],
            "team_kinds": [(k, t) for k, t in TEAM_KIND_TITLES.items() if k != kind],
            "token": creation_token(request),
            "action": reverse("notes:team_create", kwargs={"facility_pk": facility.pk}),
        },
    )


def _unit_id(team: str) -> int | None:
    return None if team == TEAM_WHOLE_FACILITY else int(team)


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
    _authorize_note(request, note, view_code)
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
        if (pk := int_param(value, default=0, minimum=1, maximum=PK_MAX)) > 0:
            ids.append(pk)
    count = mark_read(request.user, ids, facility=facility) if ids else 0
    _said_marked(request, count)
    return _back_to(request, reverse("notes:liaison", kwargs={"facility_pk": facility.pk}))
