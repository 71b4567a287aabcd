"""The rows of the person list: plain values, no model instances.

The list is the most visited page of the DUI and every search lands on it. A page of
50 persons used to build some 200 model instances (persons, their current stays, the
stays' facilities and units) and let the template call methods, filters and `{% url %}`
on each: two thirds of the page's time on a 2-core server (docs/benchmarks.md). The
rows are now read with `values_list` and shaped once here, so the template only prints
strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.urls import reverse

from opendui.core.pagination import Page, page_number
from opendui.organisations.models import Facility
from opendui.stays.models import Stay

from .models import display_name, shown_birth_name
from .selectors import NAME_ORDER, search_branches, search_persons, visible_persons

# The columns a row shows (display name, birth name, birth date, local id) and the
# audit needs (organisation).
ROW_COLUMNS = (
    "pk",
    "organisation_id",
    "local_id",
    "birth_name",
    "first_name",
    "used_name",
    "used_first_name",
    "birth_date",
)


@dataclass(frozen=True)
class PersonRow:
    """One line of the list, as displayed."""

    pk: int
    organisation_id: int
    url: str
    name: str  # used name when there is one, else birth name; then the first name used
    birth_name: str  # shown as "né·e …" when the used name differs, else ""
    birth_date: dt.date | None
    local_id: str
    current_stays: tuple[str, ...]  # "Facility – Unit" of each stay in progress
    archived: bool = False  # archived for the reader (listed with "include archived")

    @property
    def birth_date_text(self) -> str:
        return f"{self.birth_date:%d/%m/%Y}" if self.birth_date else ""


def stay_label(facility_name: str, unit_name: str | None) -> str:
    return f"{facility_name} – {unit_name}" if unit_name else facility_name


def person_rows_page(
    user: Any,
    query: str,
    facility: Facility | None,
    page: str | None,
    size: int,
    *,
    archived: bool = False,
) -> Page:
    """Page `page` of the persons `search_persons` finds, as PersonRow: two queries.
    With `archived`, the records archived for the reader are listed too, and marked
    (a third query)."""
    number = page_number(page)
    start = (number - 1) * size
    found = search_rows(user, query, facility, start, start + size + 1, archived=archived)
    shown = found[:size]
    ids = [values[0] for values in shown]
    stays = current_stays_of(ids)
    # Which of the page's persons are current for the reader (one more query, probing the
    # scope's index for these ids only; as a column of the list query PostgreSQL hashed
    # the whole facility's current persons for every page).
    current = set(
        visible_persons(user, facility).filter(pk__in=ids).values_list("pk", flat=True)
        if archived and ids
        else ids
    )
    detail_url = reverse("persons:detail", args=[0])[:-2]  # "/personnes/0/" → "/personnes/"
    rows = [
        PersonRow(
            pk=pk,
            organisation_id=organisation_id,
            url=f"{detail_url}{pk}/",
            name=display_name(birth_name, first_name, used_name, used_first_name),
            birth_name=shown_birth_name(birth_name, used_name),
            birth_date=birth_date,
            local_id=local_id,
            current_stays=tuple(stays.get(pk, ())),
            archived=pk not in current,
        )
        for (
            pk,
            organisation_id,
            local_id,
            birth_name,
            first_name,
            used_name,
            used_first_name,
            birth_date,
        ) in shown
    ]
    return Page(rows, number, len(found) > size)


def search_rows(
    user: Any,
    query: str,
    facility: Facility | None,
    start: int,
    stop: int,
    *,
    archived: bool = False,
) -> list[tuple]:
    """Rows start..stop of the search, in one query: the union of the search's branches
    (selectors.search_branches), each cut at `stop`, where the database allows a LIMIT
    inside a UNION (PostgreSQL; not SQLite, the small embedded databases). `archived`:
    see selectors.visible_persons."""
    if connection.features.supports_slicing_ordering_in_compound:
        branches = search_branches(user, query, facility, archived=archived)
    else:
        branches = [search_persons(user, query, facility, archived=archived)]
    if len(branches) == 1:
        return list(branches[0].values_list(*ROW_COLUMNS)[start:stop])
    columns = (*ROW_COLUMNS, NAME_ORDER[0])  # the union is ordered on selected columns only
    cut = [branch.values_list(*columns)[:stop] for branch in branches]
    union = cut[0].union(*cut[1:]).order_by(NAME_ORDER[0], NAME_ORDER[1], "pk")
    return [values[:-1] for values in union[start:stop]]


def current_stays_of(person_ids: list[int]) -> dict[int, list[str]]:
    """The stays in progress of each person, most recent first, as display labels."""
    if not person_ids:
        return {}
    labels: dict[int, list[str]] = {}
    for person_id, facility_name, unit_name in (
        Stay.objects.current()
        .filter(person_id__in=person_ids)
        .values_list("person_id", "facility__name", "unit__name")
    ):
        labels.setdefault(person_id, []).append(stay_label(facility_name, unit_name))
    return labels
