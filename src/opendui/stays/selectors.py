"""Facility-level reads of stays."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from opendui.organisations.models import Facility

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


def facility_overview(facility: Facility) -> FacilityOverview:
    """Current stays of a facility and per unit, computed in SQL (two queries)."""
    current = Stay.objects.current().filter(facility=facility)
    units = list(
        facility.units.filter(is_active=True)
        .annotate(n=Count("stays", filter=Q(stays__in=current)))
        .values_list("name", "n")
    )
    return FacilityOverview(facility, current.count(), facility.total_capacity, units)
