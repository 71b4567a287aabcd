"""Scoped reads of the pilotage pages: the facilities a user may measure, drill-down lists."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from opendui.accounts.access import scope_for
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from .definitions import Period
from .indicators import person_ids_sql

VIEW = "pilotage.view"
PERSONS = "person.view_identity"


def measurable_facilities(user: Any) -> QuerySet[Facility]:
    """Facilities where the user holds pilotage.view (all of an organisation-wide holder's)."""
    scope = scope_for(user, VIEW)
    facility_ids = set(scope.facility_ids) | {f for f, _ in scope.units}
    return (
        Facility.objects.filter(organisation_id__in=scope.organisation_ids)
        | Facility.objects.filter(pk__in=facility_ids)
    ).order_by("name")


def drilldown(
    user: Any, facility: Facility, period: Period, kind: str, agenda_only: bool = False
) -> QuerySet[Person]:
    """The persons of a drill-down list that the user may see, by name."""
    sql, params = person_ids_sql(facility, period, kind, agenda_only)
    return (
        # A past month's persons may have left since: those the reader may still open too.
        Person.objects.filter(scope_for(user, PERSONS).persons_filter(facility, archived=True))
        .filter(pk__in=RawSQL(sql, params))  # noqa: S611  (values are parameters)
        .order_by("birth_name", "first_name", "pk")
    )
