"""Reads of projets personnalisés: a person's versions and the facility's overdue lists.

The overdue lists are for the chief of service. Both are single SQL queries whatever the
number of rows, filtered by the reader's scope (`scope_for(user, READ)`, as every list),
and paginated without a count (core.pagination):

- reviews overdue: running versions (ENCOURS, ENPAUSE: a pause does not waive the yearly
  review) of current stays whose review due date is past. That date is computed by the
  rule in SQL (`due_sql.review_due_expression`: min(next date asked at the latest
  review, max(validation, latest review) + 12 months)), not read from the stored
  `next_review_due`, so a later date stored before the rule was enforced cannot hide a
  late review; each row carries it as `review_due_on`;
- first PP overdue: current stays admitted more than 6 months ago (the avenant fixing the
  objectives, CASF D311) without any validated version. The admission threshold is
  computed once with the same `add_months` as the pure rule (stays.overdue.last_overdue),
  so month ends behave exactly as `rules.first_objectives_due`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from opendui.accounts.access import scope_for
from opendui.core.pagination import Page, page_of
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.stays.models import Stay
from opendui.stays.overdue import last_overdue

from .base import READ
from .due_sql import review_due_expression
from .models import RUNNING_VALUES, PersonalisedProject
from .rules import FIRST_PROJECT_MONTHS, ProjectStatus, first_objectives_due


def _visible_persons(user: Any, facility: Facility) -> QuerySet[Person]:
    return Person.objects.filter(scope_for(user, READ).persons_filter(facility)).values("pk")


def _current(today: dt.date) -> Q:
    return Q(stay__start_date__lte=today) & (
        Q(stay__end_date__isnull=True) | Q(stay__end_date__gte=today)
    )


def overdue_reviews(user: Any, facility: Facility, today: dt.date) -> QuerySet[PersonalisedProject]:
    """Running versions whose review is late, the most overdue first (`review_due_on`)."""
    return (
        PersonalisedProject.objects.filter(
            _current(today),
            stay__facility=facility,
            status__in=RUNNING_VALUES,
            person__in=_visible_persons(user, facility),
        )
        .annotate(review_due_on=review_due_expression())
        .filter(review_due_on__lt=today)
        .select_related("person", "stay__unit")
        .order_by("review_due_on", "pk")
    )


def first_projects_overdue(user: Any, facility: Facility, today: dt.date) -> QuerySet[Stay]:
    """Current stays past the first-PP deadline without a validated version.

    Annotated with `draft_id`, the version in preparation if there is one.
    """
    validated = PersonalisedProject.objects.filter(stay=OuterRef("pk"), validated_at__isnull=False)
    draft = PersonalisedProject.objects.filter(stay=OuterRef("pk"), status=ProjectStatus.DRAFT)
    return (
        Stay.objects.filter(
            facility=facility,
            start_date__lte=last_overdue(today, FIRST_PROJECT_MONTHS),
            person__in=_visible_persons(user, facility),
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(~Exists(validated))
        .annotate(draft_id=Subquery(draft.values("pk")[:1]))
        .select_related("person", "unit")
        .order_by("start_date", "pk")
    )


def overdue_reviews_page(
    user: Any, facility: Facility, today: dt.date, page: str | None, size: int
) -> Page:
    return page_of(overdue_reviews(user, facility, today), page, size)


def first_projects_page(
    user: Any, facility: Facility, today: dt.date, page: str | None, size: int
) -> Page:
    result = page_of(first_projects_overdue(user, facility, today), page, size)
    for stay in result.object_list:
        stay.first_project_due = first_objectives_due(stay.start_date)
    return result


def versions_of_person(person: Person) -> list[PersonalisedProject]:
    """All versions of all the person's PPs, newest first within each stay (one query)."""
    return list(
        PersonalisedProject.objects.filter(person=person)
        .select_related("stay__facility", "validated_by")
        .order_by("-stay__start_date", "stay_id", "-number")
    )
