"""Reads of incidents: the declarer's own, a facility's list with deadlines, one incident.

The list's urgency is computed in SQL (comparisons of stored dates with thresholds that
depend on `now` only), so "overdue first" holds across pages; the deadline texts of a row
come from the pure `rules.deadlines` applied to the row's annotated values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from opendui.organisations.models import Facility

from . import rules
from .models import Analysis, CorrectiveAction, Incident

REPORTABLE = [s.value for s in rules.Severity if rules.must_report(s)]
OPEN_ACTIONS = [s.value for s in rules.OPEN_ACTION_STATUSES]


def _overdue_actions(today: dt.date) -> Coalesce:
    counted = (
        CorrectiveAction.objects.filter(
            incident=OuterRef("pk"), status__in=OPEN_ACTIONS, due_date__lt=today
        )
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_deadlines(incidents: QuerySet[Incident], now: dt.datetime) -> QuerySet[Incident]:
    """Annotate `overdue_actions` and `urgency` (0 late, 1 pending, 2 nothing due)."""
    today = timezone.localtime(now).date()
    unconfirmed = Q(
        ars_report_mode=rules.ReportMode.ORAL.value,
        ars_reported_at__isnull=False,
        ars_confirmed_at__isnull=True,
    )
    not_reported = Q(severity__in=REPORTABLE, ars_reported_at__isnull=True) & ~Q(
        status=rules.Status.CLOSED.value
    )
    return incidents.annotate(overdue_actions=_overdue_actions(today)).annotate(
        urgency=Case(
            When(not_reported, then=Value(0)),
            When(
                unconfirmed & Q(ars_reported_at__lt=now - rules.CONFIRMATION_DELAY), then=Value(0)
            ),
            When(overdue_actions__gt=0, then=Value(0)),
            When(unconfirmed, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class Row:
    incident: Incident
    deadlines: list[rules.Deadline]


def describe(incident: Incident, now: dt.datetime) -> Row:
    facts = rules.DeadlineFacts(
        severity=incident.severity,
        status=incident.status,
        occurred_at=incident.occurred_at,
        reported_at=incident.ars_reported_at,
        report_mode=incident.ars_report_mode,
        confirmed_at=incident.ars_confirmed_at,
        overdue_actions=getattr(incident, "overdue_actions", 0),
    )
    return Row(incident, rules.deadlines(facts, now))


def facility_incidents(
    facility: Facility,
    now: dt.datetime,
    *,
    statuses: list[str] | None = None,
    severities: list[str] | None = None,
) -> QuerySet[Incident]:
    """The facility's incidents, most urgent first, then the most recent."""
    incidents = Incident.objects.filter(facility=facility)
    if statuses:
        incidents = incidents.filter(status__in=statuses)
    if severities:
        incidents = incidents.filter(severity__in=severities)
    return (
        with_deadlines(incidents, now)
        .annotate(person_count=Count("persons", distinct=True))
        .order_by("urgency", "-occurred_at", "-pk")
    )


def declared_by(user: Any, now: dt.datetime) -> QuerySet[Incident]:
    """The user's own declarations, newest first."""
    return (
        with_deadlines(Incident.objects.filter(declared_by=user), now)
        .select_related("facility")
        .order_by("-declared_at", "-pk")
    )


def incident_for_page(pk: int) -> Incident:
    """One incident with everything its page shows, in a fixed number of queries."""
    return (
        Incident.objects.select_related(
            "facility__organisation",
            "facility__category",
            "declared_by",
            "analysis__analysed_by",
        )
        .prefetch_related(
            "persons",
            Prefetch(
                "actions",
                queryset=CorrectiveAction.objects.select_related("owner").order_by(
                    "due_date", "pk"
                ),
            ),
        )
        .get(pk=pk)
    )


def analysis_of(incident: Incident) -> Analysis | None:
    """The incident's analysis or None (a reverse one-to-one raises when missing)."""
    try:
        return incident.analysis
    except Analysis.DoesNotExist:
        return None
