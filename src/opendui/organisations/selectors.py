"""Reads of organisations and facilities, filtered by the user's assignments."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from opendui.accounts.access import grants_of

from .models import Facility, ManagingOrganisation

_CACHE = "_opendui_facilities"


def facilities_of(user: Any) -> list[Facility]:
    """Facilities the user works in (organisation-wide assignments give all of them)."""
    cached = user.__dict__.get(_CACHE)
    if cached is None:
        grants = grants_of(user)
        organisations = {g.organisation_id for g in grants if g.facility_id is None}
        facilities = {g.facility_id for g in grants if g.facility_id is not None}
        if not organisations and not facilities:
            cached = []
        else:
            cached = list(
                Facility.objects.filter(
                    Q(organisation_id__in=organisations) | Q(pk__in=facilities), is_active=True
                )
                .select_related("category")
                .order_by("name")
            )
        user.__dict__[_CACHE] = cached
    return cached


def organisations_managed_by(user: Any) -> QuerySet[ManagingOrganisation]:
    from opendui.accounts.access import scope_for

    return ManagingOrganisation.objects.filter(
        pk__in=scope_for(user, "organisation.manage").organisation_ids
    )
