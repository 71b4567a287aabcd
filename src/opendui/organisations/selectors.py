"""Reads of organisations and facilities, filtered by the user's assignments."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from opendui.accounts.access import grants_of
from opendui.core.text import search_key

from .models import Facility, ManagingOrganisation, Unit

_CACHE = "_opendui_facilities"


def facilities_of(user: Any) -> list[Facility]:
    """Active facilities the user works in, by name (organisation-wide assignments give all
    of their organisation's). Read on every page by the facility switcher: users assigned
    to facilities only get them from their grants, without a query of their own."""
    cached = user.__dict__.get(_CACHE)
    if cached is None:
        grants = grants_of(user)
        organisations = {g.organisation_id for g in grants if g.facility_id is None}
        if organisations:
            facilities = {g.facility_id for g in grants if g.facility_id is not None}
            found = Facility.objects.filter(
                Q(organisation_id__in=organisations) | Q(pk__in=facilities), is_active=True
            ).select_related("category")
        else:
            assigned = {g.facility.pk: g.facility for g in grants if g.facility is not None}
            found = [f for f in assigned.values() if f.is_active]
        cached = sorted(found, key=_by_name)
        user.__dict__[_CACHE] = cached
    return cached


def _by_name(facility: Facility) -> tuple[str, str, int]:
    """Name order, accents and capitals aside ('Écoute' among the E), whatever the
    database's collation."""
    return search_key(facility.name), facility.name, facility.pk


def organisations_managed_by(user: Any) -> QuerySet[ManagingOrganisation]:
    from opendui.accounts.access import scope_for

    return ManagingOrganisation.objects.filter(
        pk__in=scope_for(user, "organisation.manage").organisation_ids
    )


def organisations_for_admin(user: Any) -> QuerySet[ManagingOrganisation]:
    """The organisations `user` manages, each with its facilities and their unit counts.

    Three queries whatever the number of organisations, facilities or units:
    the organisations, then their facilities (category joined, units counted in SQL).
    """
    facilities = (
        Facility.objects.select_related("category")
        .annotate(
            active_unit_count=Count("units", filter=Q(units__is_active=True)),
            unit_count=Count("units"),
        )
        .order_by("-is_active", "name")
    )
    return organisations_managed_by(user).prefetch_related(
        Prefetch("facilities", queryset=facilities, to_attr="facility_list")
    )


def units_of(facility: Facility) -> list[Unit]:
    """The facility's units, active first, each with `current_stays`: how many people are
    accompanied in it today (one query; counts only, no personal data)."""
    from opendui.stays.models import Stay

    current = Stay.objects.current().filter(facility=facility)
    return list(
        facility.units.annotate(current_stays=Count("stays", filter=Q(stays__in=current))).order_by(
            "-is_active", "name"
        )
    )


def current_stay_count(*, facility: Facility | None = None, unit: Unit | None = None) -> int:
    """How many stays are current today in a facility or a unit."""
    from opendui.stays.models import Stay

    stays = Stay.objects.current()
    if unit is not None:
        stays = stays.filter(unit=unit)
    if facility is not None:
        stays = stays.filter(facility=facility)
    return stays.count()
