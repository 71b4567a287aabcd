"""Reading a seeded demo back: facilities in seeding order, an account's scopes."""

from __future__ import annotations

from opendui.accounts.models import Assignment
from opendui.organisations.models import Facility

HOME_SERVICES = {"354", "182", "460"}  # SSIAD, SESSAD, SAA: no units


def facilities_in_order() -> list[Facility]:
    """Facilities by seeding position (FINESS géographique numbers follow it)."""
    return sorted(Facility.objects.select_related("category"), key=lambda f: f.finess_et[2:])


def scopes_of(email: str) -> set[tuple[int | None, str | None]]:
    """(facility position, unit name) of the user's assignments; position None = OG-wide."""
    positions = {f.pk: i for i, f in enumerate(facilities_in_order(), start=1)}
    return {
        (positions.get(a.facility_id), a.unit.name if a.unit else None)
        for a in Assignment.objects.filter(user__email=email).select_related("unit")
    }
