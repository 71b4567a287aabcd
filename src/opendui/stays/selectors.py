"""Facility-level reads of stays, and the current residents of a professional's teams."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from opendui.accounts.access import scope_for
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person

from .models import Stay

#: The order of person lists (served by the person_name_order index).
NAME_ORDER = ("birth_name_key", "first_name", "id")


@dataclass(frozen=True)
class FacilityOverview:
    facility: Facility
    current_stays: int
    total_capacity: int
    units: list[tuple[str, int]]

    @property
    def occupancy_percent(self) -> float | None:
        if not self.total_capacity:
            return None
        return round(100 * self.current_stays / self.total_capacity, 1)


def facility_overviews(facilities: Sequence[Facility]) -> list[FacilityOverview]:
    """Current stays of each facility and of each of its units: two queries in all."""
    ids = [f.pk for f in facilities]
    counts = Counter()
    unit_counts = Counter()
    for facility_id, unit_id, n in (
        Stay.objects.current()
        .filter(facility_id__in=ids)
        .values_list("facility_id", "unit_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[facility_id] += n
        if unit_id is not None:
            unit_counts[unit_id] += n
    units: dict[int, list[tuple[str, int]]] = {pk: [] for pk in ids}
    for unit in Unit.objects.filter(facility_id__in=ids, is_active=True).order_by("name"):
        units[unit.facility_id].append((unit.name, unit_counts[unit.pk]))
    return [FacilityOverview(f, counts[f.pk], f.total_capacity, units[f.pk]) for f in facilities]


def facility_overview(facility: Facility) -> FacilityOverview:
    return facility_overviews([facility])[0]


def current_residents(user: Any, facilities: Iterable[Facility]) -> QuerySet[Person]:
    """The persons with a stay running today in `facilities`, among those the user sees.

    "My residents": where the user is assigned to a unit only, the persons whose current
    stay is in one of their units; where assigned to the facility (or the organisation),
    all its current residents. The reader's scope itself is applied by
    `persons.selectors.visible_persons` (the same `scope_for` filter as every list), so
    this list never shows anyone the person list would hide. One query per page.
    """
    from opendui.persons.selectors import visible_persons

    scope = scope_for(user, "person.view_identity")
    running = Stay.objects.current().filter(person=OuterRef("pk"))
    condition = Q(pk__in=[])
    for facility in facilities:
        if facility.organisation_id in scope.organisation_ids or facility.pk in scope.facility_ids:
            condition |= Q(Exists(running.filter(facility=facility)))
        else:
            units = [unit for f, unit in scope.units if f == facility.pk]
            if units:
                condition |= Q(Exists(running.filter(facility=facility, unit_id__in=units)))
    return visible_persons(user).filter(condition).order_by(*NAME_ORDER)


def current_stays_of(person_ids: Iterable[int], facilities: Iterable[Facility]) -> dict[int, Stay]:
    """Each person's stay running today in one of `facilities` (one query), for labels."""
    stays = (
        Stay.objects.current()
        .filter(person_id__in=list(person_ids), facility__in=list(facilities))
        .select_related("unit", "facility")
        .order_by("person_id", "-start_date", "-pk")
    )
    found: dict[int, Stay] = {}
    for stay in stays:
        found.setdefault(stay.person_id, stay)
    return found
