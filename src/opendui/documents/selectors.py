"""Reads of the sharing records: the interface the usage indicators use (see models.py).

The future DMP/MSSanté clients fill `Sharing`; the indicators call `sharings_in_period`,
`persons_reached` and `sharing_counts` and nothing else, so adding the clients changes no
indicator code. Only rows those clients write count: the demo seeds none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from .models import Channel, Sharing, SharingStatus


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
