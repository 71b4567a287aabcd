"""Reads of notes, filtered in SQL by the data categories the reader may see.

A note of category C about person P is readable with `person.view_C` on P. The role
matrix is per role and each assignment has its own scope, so the readable categories
differ from person to person: for each category we take the scope of its view
permission (accounts.access.scope_for) and build `category = C AND person in scope`;
categories with the same scope share one condition. The person page asks check()
instead, which also knows break-the-glass grants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from opendui.accounts.access import Scope, check, scope_for
from opendui.accounts.permissions import DataCategory
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .models import Note, NoteRead
from .rules import Shift, day_bounds, shift_bounds


def view_code(category: str) -> str:
    return f"person.view_{category}"


def edit_code(category: str) -> str:
    return f"person.edit_{category}"


def categories_for(user: Any, person: Person, *, write: bool = False) -> list[str]:
    """Categories the user may read (or write) on this person, break-the-glass included."""
    code = edit_code if write else view_code
    return [c.value for c in DataCategory if check(user, code(c.value), person=person)]


def readable_condition(user: Any, facility: Facility | None = None) -> Q:
    """A Q over Note: the notes whose category the user may read on their person."""
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


def latest_only() -> Q:
    """Versions nobody has corrected (served by the unique index on `corrects`)."""
    return ~Q(Exists(Note.objects.filter(corrects=OuterRef("pk"))))


def _with_people(notes: QuerySet[Note]) -> QuerySet[Note]:
    return notes.select_related("author", "unit", "person", "goal")


def person_timeline(person: Person, categories: Iterable[str]) -> QuerySet[Note]:
    """Latest versions of the person's notes in `categories`, newest first."""
    return _with_people(
        Note.objects.filter(person=person, category__in=list(categories)).filter(latest_only())
    ).order_by("-written_at", "-pk")


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


def liaison_notes(
    user: Any,
    facility: Facility,
    day: dt.date,
    *,
    shift: Shift | str | None = None,
    unit: Unit | None = None,
) -> QuerySet[Note]:
    """The cahier de liaison: latest versions written in a facility during one care day
    (or one shift of it), in one unit or all, that the user may read; unread first."""
    start, end = shift_bounds(day, shift) if shift else day_bounds(day)
    notes = Note.objects.filter(
        facility=facility, written_at__gte=start, written_at__lt=end
    ).filter(latest_only(), readable_condition(user, facility))
    if unit is not None:
        notes = notes.filter(unit=unit)
    read = NoteRead.objects.filter(note=OuterRef("pk"), user=user)
    return (
        _with_people(notes).annotate(is_read=Exists(read)).order_by("is_read", "written_at", "pk")
    )


def readable_notes(
    user: Any, ids: Iterable[int], facility: Facility | None = None
) -> QuerySet[Note]:
    """Among `ids` (in `facility` if given), the latest versions the user may read."""
    notes = Note.objects.filter(pk__in=list(ids))
    if facility is not None:
        notes = notes.filter(facility=facility)
    return notes.filter(latest_only(), readable_condition(user, facility))
