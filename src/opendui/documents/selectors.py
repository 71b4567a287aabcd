"""Reads of the sharing records: the interface the usage indicators use (see models.py).

The future DMP/MSSanté clients fill `Sharing`; the indicators call `sharings_in_period`,
`persons_reached` and `sharing_counts` and nothing else, so adding the clients changes no
indicator code. Only rows those clients write count: the demo seeds none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet

from opendui.notes.selectors import categories_for
from opendui.persons.models import Person

from .models import Channel, Document, DocumentStatus, Sharing, SharingStatus


def sharings_in_period(
    facility_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    channel: Channel | str | None = None,
    sent_only: bool = True,
) -> QuerySet[Sharing]:
    """The sharings of the facilities sent in `[start, end)` (by default those accepted)."""
    rows = Sharing.objects.filter(
        facility_id__in=list(facility_ids), sent_at__gte=start, sent_at__lt=end
    )
    if channel is not None:
        rows = rows.filter(channel=str(channel))
    if sent_only:
        rows = rows.filter(status=SharingStatus.SENT)
    return rows


def persons_reached(
    facility_ids: Iterable[int], start: dt.datetime, end: dt.datetime, channel: Channel | str
) -> QuerySet[Sharing]:
    """Distinct (facility_id, person_id) of the accepted sharings of `channel` in
    `[start, end)` that concern a person: the indicators join it to their population, so a
    person counts once and only when they are in the denominator."""
    return (
        sharings_in_period(facility_ids, start, end, channel=channel)
        .filter(person__isnull=False)
        .order_by()
        .values_list("facility_id", "person_id")
        .distinct()
    )


def sharing_counts(
    facility_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[int, int]]:
    """{facility id: (MSSanté messages, DMP documents) accepted}, whoever they concern, in
    one query: shown beside the indicators for information, never in their rates."""
    rows = (
        sharings_in_period(facility_ids, start, end)
        .order_by()
        .values("facility_id")
        .annotate(
            messages=Count("pk", filter=Q(channel=Channel.MSSANTE)),
            dmp=Count("pk", filter=Q(channel=Channel.DMP)),
        )
    )
    return {row["facility_id"]: (row["messages"], row["dmp"]) for row in rows}


# --- The document store -------------------------------------------------------------------


def readable_categories(user: Any, person: Person) -> list[str]:
    """Data categories whose documents the user may read on this person."""
    return categories_for(user, person)


def writable_categories(user: Any, person: Person) -> list[str]:
    return categories_for(user, person, write=True)


def person_documents(
    person: Person,
    categories: list[str],
    *,
    withdrawn: bool = False,
    type_key: str = "",
    category: str = "",
):
    """The person's documents of `categories` (filtered in SQL: a category the reader may
    not read is never loaded), in force or withdrawn, newest act first. Uses the
    `document_person_tab` index (person, status, act date desc, id desc)."""
    rows = Document.objects.filter(
        person=person,
        status=DocumentStatus.WITHDRAWN if withdrawn else DocumentStatus.ACTIVE,
        data_category__in=categories,
    )
    if category:
        rows = rows.filter(data_category=category)
    if type_key:
        system, _sep, code = type_key.partition(":")
        rows = rows.filter(type_system=system, type_code=code)
    return rows.select_related("current", "author_user", "withdrawn_by").order_by(
        "-act_date", "-id"
    )
