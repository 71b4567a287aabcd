"""Reads of the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opendui.accounts.access import scope_for

from .models import AuditEvent, AuditEventPerson, EventKind


def search_events(user: Any) -> QuerySet[AuditEvent]:
    organisations = scope_for(user, "audit.search").organisation_ids
    return AuditEvent.objects.filter(organisation_id__in=organisations).order_by("-seq")


def access_events_for_person(person: Any) -> QuerySet[AuditEvent]:
    event_ids = AuditEventPerson.objects.filter(person_id=person.pk).values("event_id")
    return AuditEvent.objects.filter(pk__in=event_ids, kind=EventKind.ACCESS).order_by("-seq")
