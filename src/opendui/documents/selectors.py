"""Reads of the sharing records: the interface the usage indicators use (see models.py).

The future DMP/MSSanté clients fill `Sharing`; the indicators call `sharings_in_period` and
`sharing_counts` and nothing else, so adding the clients changes no indicator code.
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


def sharing_counts(
    facility_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[int, int]]:
    """{facility id: (MSSanté messages sent, persons whose DMP received a document)}, one query."""
    rows = (
        sharings_in_period(facility_ids, start, end)
        .order_by()
        .values("facility_id")
        .annotate(
            messages=Count("pk", filter=Q(channel=Channel.MSSANTE)),
            dmp=Count("person_id", distinct=True, filter=Q(channel=Channel.DMP)),
        )
    )
    return {row["facility_id"]: (row["messages"], row["dmp"]) for row in rows}
