"""Reads of the administrative file: a person's current values and history, the MDPH
orientation decisions recorded with admission requests, and the rights ending soon in a
facility (home page), always within the reader's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from opendui.accounts.access import scope_for
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.stays.models import AdmissionRequest

from . import rules
from .models import Address, ComplementaryCover, Coverage, Email, Phone, Right

VIEW = "person.view_administrative"


@dataclass(frozen=True)
class ContactRows:
    current: list[Any]
    history: list[Any]


def contact_rows(
    model: type[Address | Phone | Email], person: Person, today: dt.date
) -> ContactRows:
    rows = list(model.objects.filter(person=person).order_by("kind", "-created_at", "-id"))
    return ContactRows(
        current=[r for r in rows if r.is_current(today)],
        history=[r for r in rows if not r.is_current(today)],
    )


def coverages(person: Person) -> list[Coverage]:
    return list(Coverage.objects.filter(person=person))


def complementary_covers(person: Person) -> list[ComplementaryCover]:
    return list(ComplementaryCover.objects.filter(person=person))


def rights(person: Person) -> list[Right]:
    return list(Right.objects.filter(person=person))


def mdph_decisions(person: Person) -> list[AdmissionRequest]:
    """The MDPH orientation decisions typed in the person's admission requests (stays):
    shown in the rights list, read-only, linked to their request."""
    return list(
        AdmissionRequest.objects.filter(person=person)
        .exclude(mdph_decision_number="", mdph_decision_date__isnull=True, mdph_category="")
        .select_related("facility")
        .order_by("-mdph_decision_date", "-pk")
    )


def right_facts(rows: list[Right], decisions: list[AdmissionRequest]) -> list[rules.RightFacts]:
    """The rule's view of the rights and the MDPH orientations (one kind: they renew
    each other whatever the facility)."""
    facts = [rules.RightFacts(r.kind, str(r), r.start_date, r.end_date) for r in rows]
    facts += [
        rules.RightFacts(
            "mdph_orientation",
            f"Orientation MDPH {d.mdph_category}".strip(),
            d.mdph_decision_date,
            d.mdph_valid_until,
        )
        for d in decisions
        if d.mdph_valid_until is not None
    ]
    return facts


def expiring_rights(facility: Facility, reader: Any, today: dt.date) -> QuerySet[Right]:
    """Rights ending within ALERT_DAYS days (from today) of the persons of `facility` the
    reader sees, not renewed (no right of the same kind for the same person lasting
    longer), soonest end first. The SQL form of `rules.alerts` for expiring rights."""
    scope = scope_for(reader, VIEW)
    if scope.is_empty or not scope.covers_facility(facility):
        return Right.objects.none()
    seen = Person.objects.filter(
        scope.persons_filter(facility), pk=OuterRef("person_id"), merged_into__isnull=True
    )
    longer = Right.objects.filter(person_id=OuterRef("person_id"), kind=OuterRef("kind")).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=OuterRef("end_date"))
    )
    return (
        Right.objects.filter(end_date__gte=today, end_date__lte=rules.alert_limit(today))
        .filter(Exists(seen))
        .exclude(Exists(longer))
        .select_related("person")
        .order_by("end_date", "person_id", "pk")
    )
