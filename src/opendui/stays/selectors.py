"""Facility-level reads of stays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from opendui.organisations.models import Facility, Unit

from .models import Stay


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
