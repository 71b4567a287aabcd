"""Reads of notes, filtered in SQL by the data categories the reader may see.

A note of category C about person P is readable with `person.view_C` on P. The role
matrix is per role and each assignment has its own scope, so the readable categories
differ from person to person: for each category we take the scope of its view
permission (accounts.access.scope_for) and build `category = C AND person in scope`;
categories with the same scope share one condition. The person page asks check()
instead, which also knows break-the-glass grants.

A team note (no person) of category C for unit U of facility F is read, and written,
by the team: holders of `person.view_C` (`person.edit_C`) assigned to the whole
organisation, to F, or to U; a note for the whole facility (no unit) by anyone assigned
in F, units included (`team_condition`, `team_allows`).

Withdrawn notes are left out of every list (the record, the cahier, unread counts,
read marks) except the person's timeline of their author and of holders of
`note.view_withdrawn`, where they are shown as withdrawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from opendui.accounts.access import Scope, check, scope_for
from opendui.accounts.permissions import DataCategory
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .models import Note, NoteRead, NoteStatus
from .rules import SHIFT_ORDER, GroupCount, Shift, day_bounds, group_order, shift_bounds


def view_code(category: str) -> str:
    return f"person.view_{category}"


def edit_code(category: str) -> str:
    return f"person.edit_{category}"


def categories_for(user: Any, person: Person, *, write: bool = False) -> list[str]:
    """Categories the user may read (or write) on this person, break-the-glass included."""
    code = edit_code if write else view_code
    return [c.value for c in DataCategory if check(user, code(c.value), person=person)]


def readable_condition(user: Any, facility: Facility | None = None) -> Q:
    """A Q over Note: the notes about a person whose category the user may read on them."""
    by_scope: dict[Scope, list[str]] = {}
    for category in DataCategory:
        scope = scope_for(user, view_code(category.value))
        if scope.is_empty or (facility is not None and not scope.covers_facility(facility)):
            continue
        by_scope.setdefault(scope, []).append(category.value)
    condition = Q(pk__in=[])
    for scope, categories in by_scope.items():
        persons = Person.objects.filter(scope.persons_filter(facility), pk=OuterRef("person_id"))
        condition |= Q(category__in=categories) & Q(Exists(persons))
    return condition


def _team_of(scope: Scope) -> Q:
    """A Q over Note: the teams (facility or unit) a scope's assignments belong to."""
    condition = Q(pk__in=[])
    if scope.organisation_ids:
        condition |= Q(facility__organisation_id__in=scope.organisation_ids)
    if scope.facility_ids:
        condition |= Q(facility_id__in=scope.facility_ids)
    if scope.units:
        condition |= Q(unit_id__in=scope.unit_ids)
        condition |= Q(unit__isnull=True, facility_id__in={f for f, _ in scope.units})
    return condition


def team_condition(user: Any, *, write: bool = False) -> Q:
    """A Q over Note: the team notes the user may read (or write), by category and team."""
    code = edit_code if write else view_code
    by_scope: dict[Scope, list[str]] = {}
    for category in DataCategory:
        scope = scope_for(user, code(category.value))
        if not scope.is_empty:
            by_scope.setdefault(scope, []).append(category.value)
    condition = Q(pk__in=[])
    for scope, categories in by_scope.items():
        condition |= Q(category__in=categories) & _team_of(scope)
    return Q(person__isnull=True) & condition


def team_allows(user: Any, code: str, facility: Facility, unit_id: int | None) -> bool:
    """May the user use `code` (person.view_C / person.edit_C) on the team notes of
    `unit_id` in `facility` (None: the whole facility)? The Python twin of _team_of."""
    scope = scope_for(user, code)
    if facility.organisation_id in scope.organisation_ids or facility.pk in scope.facility_ids:
        return True
    if unit_id is not None:
        return unit_id in scope.unit_ids
    return any(f == facility.pk for f, _ in scope.units)


def team_categories(user: Any, facility: Facility, unit_id: int | None) -> list[str]:
    """Categories the user may write a team note in, for that team."""
    return [
        c.value for c in DataCategory if team_allows(user, edit_code(c.value), facility, unit_id)
    ]


def note_allows(user: Any, code_of: Any, note: Note) -> bool:
    """May the user read (`view_code`) or write (`edit_code`) this note's category where it
    belongs: on its person (check(), break-the-glass included) or for its team."""
    code = code_of(note.category)
    if note.person_id is None:
        return team_allows(user, code, note.facility, note.unit_id)
    return bool(check(user, code, person=note.person))


def latest_only() -> Q:
    """Versions nobody has corrected (served by the unique index on `corrects`)."""
    return ~Q(Exists(Note.objects.filter(corrects=OuterRef("pk"))))


def in_force() -> Q:
    """Notes not withdrawn."""
    return Q(status=NoteStatus.ACTIVE)


def _with_people(notes: QuerySet[Note]) -> QuerySet[Note]:
    return notes.select_related("author", "unit", "person", "goal")


def person_timeline(
    person: Person,
    categories: Iterable[str],
    *,
    withdrawn_of: Any = None,
    all_withdrawn: bool = False,
) -> QuerySet[Note]:
    """Latest versions of the person's notes in `categories`, newest first.

    Withdrawn notes are left out, except those written by `withdrawn_of` (their author)
    and, with `all_withdrawn` (`note.view_withdrawn`), all of them.
    """
    shown = in_force()
    if all_withdrawn:
        shown = Q()
    elif withdrawn_of is not None:
        shown |= Q(author_id=withdrawn_of.pk)
    return (
        _with_people(
            Note.objects.filter(person=person, category__in=list(categories)).filter(
                latest_only(), shown
            )
        )
        .select_related("withdrawn_by")
        .order_by("-written_at", "-pk")
    )


def versions_of(notes: Iterable[Note], categories: Iterable[str]) -> dict[int, list[Note]]:
    """Older versions of each note (by note id, oldest first), in one query.

    Only versions in `categories` are returned: a version is shown to those allowed to
    read its own category.
    """
    notes = list(notes)
    roots = {n.original_id or n.pk for n in notes}
    result: dict[int, list[Note]] = {n.pk: [] for n in notes}
    if not any(n.original_id for n in notes):
        return result
    by_root: dict[int, list[Note]] = {}
    for version in (
        Note.objects.filter(Q(pk__in=roots) | Q(original_id__in=roots))
        .filter(category__in=list(categories))
        .select_related("author", "unit", "goal")
        .order_by("created_at", "pk")
    ):
        by_root.setdefault(version.original_id or version.pk, []).append(version)
    for note in notes:
        if note.original_id:
            result[note.pk] = [v for v in by_root.get(note.original_id, []) if v.pk != note.pk]
    return result


def corrections_of(notes: Iterable[Note]) -> dict[int, Note]:
    """For each corrected version, the version that corrects it ("corrigée le … par …")."""
    ids = [n.pk for n in notes]
    return {
        c.corrects_id: c
        for c in Note.objects.filter(corrects_id__in=ids)
        .select_related("author", "goal")
        .only("id", "corrects_id", "created_at", "author__first_name", "author__last_name")
    }


def _liaison(
    user: Any,
    facility: Facility,
    day: dt.date,
    shift: Shift | str | None,
    unit: Unit | None,
) -> QuerySet[Note]:
    """Latest versions in force written in the facility during one care day (or one shift
    of it), that the user may read: about a person, or for the user's team. With `unit`,
    that unit's notes and the notes for the whole facility. Annotated with `shift_key`
    (the shift of the day each note belongs to, computed from the shifts' bounds) and
    `is_read` (marked read by the user, or written by them)."""
    start, end = shift_bounds(day, shift) if shift else day_bounds(day)
    notes = Note.objects.filter(facility=facility, written_at__gte=start, written_at__lt=end)
    notes = notes.filter(
        latest_only(), in_force(), readable_condition(user, facility) | team_condition(user)
    )
    if unit is not None:
        notes = notes.filter(Q(unit=unit) | Q(person__isnull=True, unit__isnull=True))
    bounds = [(s, shift_bounds(day, s)[1]) for s in SHIFT_ORDER]
    read = NoteRead.objects.filter(note=OuterRef("pk"), user=user)
    return notes.annotate(
        shift_key=Case(
            *(When(written_at__lt=end_of, then=Value(s.value)) for s, end_of in bounds[:-1]),
            default=Value(Shift.NIGHT.value),
            output_field=CharField(),
        ),
        is_read=ExpressionWrapper(
            Q(author_id=user.pk) | Q(Exists(read)), output_field=BooleanField()
        ),
    )


def liaison_groups(
    user: Any,
    facility: Facility,
    day: dt.date,
    *,
    shift: Shift | str | None = None,
    unit: Unit | None = None,
) -> list[GroupCount]:
    """Each (shift, unit) group of the cahier with its number of notes and of unread ones,
    in display order (`rules.group_order`): one aggregate query."""
    rows = (
        _liaison(user, facility, day, shift, unit)
        .order_by()
        .values("shift_key", "unit_id", "unit__name")
        .annotate(
            total=Count("pk"),
            unread=Count("pk", filter=~Q(author_id=user.pk) & ~Q(Exists(_read_by(user)))),
        )
    )
    return group_order(
        [
            GroupCount(
                Shift(r["shift_key"]), r["unit_id"], r["unit__name"] or "", r["total"], r["unread"]
            )
            for r in rows
        ]
    )


def _read_by(user: Any) -> QuerySet[NoteRead]:
    return NoteRead.objects.filter(note=OuterRef("pk"), user=user)


def liaison_notes(
    user: Any,
    facility: Facility,
    day: dt.date,
    *,
    shift: Shift | str | None = None,
    unit: Unit | None = None,
    groups: list[GroupCount] | None = None,
) -> QuerySet[Note]:
    """The cahier de liaison's notes, group after group in the order of `groups` (from
    `liaison_groups`), unread first within a group, then by time."""
    notes = _with_people(_liaison(user, facility, day, shift, unit)).select_related("facility")
    if groups is None:
        return notes.order_by("is_read", "written_at", "pk")
    rank = Case(
        *(
            When(
                Q(shift_key=g.shift.value)
                & (Q(unit_id=g.unit_id) if g.unit_id is not None else Q(unit__isnull=True)),
                then=Value(i),
            )
            for i, g in enumerate(groups)
        ),
        default=Value(len(groups)),
        output_field=IntegerField(),
    )
    return notes.annotate(group_rank=rank).order_by("group_rank", "is_read", "written_at", "pk")


def readable_notes(
    user: Any, ids: Iterable[int], facility: Facility | None = None
) -> QuerySet[Note]:
    """Among `ids` (in `facility` if given), the latest versions in force the user may read."""
    notes = Note.objects.filter(pk__in=list(ids))
    if facility is not None:
        notes = notes.filter(facility=facility)
    return notes.filter(
        latest_only(), in_force(), readable_condition(user, facility) | team_condition(user)
    )
