"""Reads of the DMP feed: a person's submissions, a facility's failures, the export.

Bounded queries (a page of rows, related rows joined); permission-filtered like the
documents tab: only documents of the data categories the reader may read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from opendui.accounts.access import scope_for
from opendui.accounts.permissions import DataCategory
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from .models import DmpSubmission, SubmissionStatus

#: What a facility's list of failures shows: what a user must act on.
FAILURES = (SubmissionStatus.FAILED, SubmissionStatus.REFUSED, SubmissionStatus.BLOCKED)


def _with_document(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("share", "document_version__document", "requested_by").order_by(
        "-created_at", "-id"
    )


def submissions_of_person(user: Any, person: Person, *, limit: int = 50) -> list[DmpSubmission]:
    """The latest submissions of `person` whose document the user may read (newest first)."""
    from opendui.notes.selectors import categories_for

    categories = categories_for(user, person)
    if not categories:
        return []
    queryset = DmpSubmission.objects.filter(
        person=person, share__document__data_category__in=categories
    )
    return list(_with_document(queryset)[:limit])


def facility_failures(user: Any, facility: Facility, *, limit: int = 100) -> list[DmpSubmission]:
    """Submissions of `facility` that failed, were refused or blocked, for the persons and
    data categories the user may read there (newest first)."""
    conditions = []
    for category in DataCategory:
        scope = scope_for(user, f"person.view_{category.value}")
        if scope.is_empty or not scope.covers_facility(facility):
            continue
        persons = Person.objects.filter(scope.persons_filter(facility), pk=OuterRef("person_id"))
        conditions.append((category.value, Exists(persons)))
    if not conditions:
        return []
    from django.db.models import Q

    allowed = Q(pk__in=[])
    for category, in_scope in conditions:
        allowed |= Q(share__document__data_category=category) & Q(in_scope)
    queryset = DmpSubmission.objects.filter(allowed, facility=facility, status__in=FAILURES)
    return list(_with_document(queryset.select_related("person"))[:limit])


def latest_sent_per_document() -> Iterator[tuple[str, str, str]]:
    """(uniqueId, stored CDA name, SHA-256) of the latest sent version of each document,
    for `opendui dmp exporter-cda` (an operator's command: no user scope)."""
    rows = (
        DmpSubmission.objects.filter(status=SubmissionStatus.SENT)
        .exclude(cda_name="")
        .order_by("share_id", "-version_number")
        .values_list("share_id", "unique_id", "cda_name", "cda_sha256")
    )
    seen = None
    for share_id, unique_id, name, sha256 in rows.iterator(chunk_size=500):
        if share_id != seen:
            seen = share_id
            yield unique_id, name, sha256
