"""Reads of persons, always filtered by the reader's scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet

from opendui.accounts.access import scope_for
from opendui.core.text import prefix_range, search_key
from opendui.organisations.models import Facility

from .models import Person

_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def visible_persons(
    user: Any, facility: Facility | None = None, permission: str = "person.view_identity"
) -> QuerySet[Person]:
    """Persons the user may see with `permission`, optionally within one facility."""
    scope = scope_for(user, permission)
    if scope.is_empty:
        return Person.objects.none()
    if facility is not None and not scope.covers_facility(facility):
        return Person.objects.none()
    return Person.objects.filter(scope.persons_filter(facility))


def count_visible_persons(user: Any, facility: Facility | None = None) -> int:
    return visible_persons(user, facility).count()


def parse_search(query: str) -> tuple[str, dt.date | None]:
    """Split a search box into a name part and an optional birth date (JJ/MM/AAAA)."""
    name_words, birth_date = [], None
    for word in query.split():
        match = _DATE.match(word)
        if match:
            day, month, year = (int(x) for x in match.groups())
            try:
                birth_date = dt.date(year, month, day)
            except ValueError:
                continue
        else:
            name_words.append(word)
    return search_key(" ".join(name_words)), birth_date


def search_persons(user: Any, query: str, facility: Facility | None = None) -> QuerySet[Person]:
    """Name (birth or used, accent- and case-insensitive, prefix), birth date or local id."""
    persons = visible_persons(user, facility)
    name, birth_date = parse_search(query)
    if birth_date is not None:
        persons = persons.filter(birth_date=birth_date)
    if name:
        persons = persons.filter(
            _starts_with("birth_name_key", name)
            | _starts_with("used_name_key", name)
            | Q(local_id=name.upper())
        )
    return persons.order_by("birth_name_key", "first_name", "id")


def _starts_with(field: str, prefix: str) -> Q:
    """Prefix test as an index range plus the exact test (see core.text.prefix_range)."""
    low, high = prefix_range(prefix)
    condition = Q(**{f"{field}__gte": low, f"{field}__startswith": prefix})
    if high is not None:
        condition &= Q(**{f"{field}__lt": high})
    return condition
