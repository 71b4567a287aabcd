"""Helpers shared by the agenda views: refusals (403 + audit row) and time ranges."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from opendui.audit.models import EventKind as AuditKind
from opendui.audit.services import record
from opendui.core import pagination
from opendui.core.actor import Actor
from opendui.core.params import date_param

from .models import Event
from .services import local_tz


def deny(request: HttpRequest, event: Event, code: str, person_ids) -> None:
    """Record the refusal in the audit trail and answer 403 (as core.authz.authorize)."""
    record(
        Actor.from_request(request),
        AuditKind.ACCESS,
        "access.denied",
        person_ids=sorted(person_ids),
        obj=event,
        details={"permission": code, "path": request.path},
        organisation_id=event.facility.organisation_id,
    )
    raise PermissionDenied(code)


def record_list_access(request: HttpRequest, action: str, persons, details: dict) -> None:
    """The access event of a list page naming the persons shown (as
    persons.services.record_person_access, for the light PersonName rows of plannings)."""
    persons = list(persons)
    if not persons:
        return
    record(
        Actor.from_request(request),
        AuditKind.ACCESS,
        action,
        person_ids=[p.pk for p in persons],
        organisation_id=persons[0].organisation_id,
        details=details,
    )


def parse_day(value: str | None) -> dt.date:
    """A YYYY-MM-DD query parameter; today when absent, invalid or out of the range that
    the week's arithmetic can handle (core.params: navigation falls back to the default)."""
    return date_param(value, default=timezone.localdate())


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).replace(tzinfo=local_tz())


def page_number(request: HttpRequest, name: str = "page") -> int:
    return pagination.page_number(request.GET.get(name))
