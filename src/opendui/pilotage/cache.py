"""Figures of closed months, computed once per facility and kept (models.MonthlyMeasure).

The organisation's 12-month dashboard needs 12 × (facilities) facility-months; computed
live each time, that grows with the organisation. A closed month cannot gain rows in the
append-only sources (they are stamped when written), so its figures are kept; the one
input that can change afterwards, the stays (an admission entered late, a discharge date
corrected), is checked with one aggregate: a kept row older than the facility's last saved
stay is computed again. The current month is always computed live, and so is everything
the command `opendui indicateurs` prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from opendui.stays.models import Stay

from . import definitions as d
from .indicators import compute_figures
from .models import MonthlyMeasure

#: Key of the informative sending counts in a kept row's `values` (beside the indicators).
SENT = "envois"


def _key(variants: dict[str, str] | None) -> str:
    """The variants and the definitions' version: a row computed under other definitions
    is never reused."""
    key = d.resolve_variants(variants) | {"version": str(d.DEFINITIONS_VERSION)}
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


def _stored(figures: d.Figures) -> dict[str, list[int]]:
    return {k: list(v) for k, v in figures.values.items()} | {SENT: list(figures.sent)}


def _loaded(values: dict[str, list[int]]) -> d.Figures:
    sent = values.get(SENT, (0, 0))
    return d.Figures({k: tuple(values[k]) for k in d.KEYS}, (sent[0], sent[1]))


def figures_by_month(
    facility_ids: Sequence[int],
    periods: Sequence[d.Period],
    variants: dict[str, str] | None = None,
) -> dict[d.Period, dict[int, d.Figures]]:
    """{period: {facility id: Figures}}; closed months from the kept rows when still valid.

    Queries: 2 for the kept rows and the stays' last saves, then 2 or 3 per month that has
    a facility to (re)compute, and one insert of what was computed (after a delete of the
    stale rows)."""
    ids = sorted(set(facility_ids))
    today = timezone.localdate()
    closed = [p for p in periods if p.end <= today and p.months == 1]
    key = _key(variants)
    kept: dict[tuple[int, object], MonthlyMeasure] = {}
    stale: list[int] = []  # kept rows computed before a stay changed
    if closed and ids:
        last_saved = dict(
            Stay.objects.filter(facility_id__in=ids)
            .order_by()
            .values_list("facility_id")
            .annotate(at=Max("updated_at"))
        )
        for row in MonthlyMeasure.objects.filter(
            facility_id__in=ids, month__in=[p.start for p in closed], variants=key
        ):
            saved = last_saved.get(row.facility_id)
            if saved is None or row.computed_at >= saved:
                kept[(row.facility_id, row.month)] = row
            else:
                stale.append(row.pk)
    out: dict[d.Period, dict[int, d.Figures]] = {}
    new_rows: list[MonthlyMeasure] = []
    now = timezone.now()
    for period in periods:
        missing = [pk for pk in ids if (pk, period.start) not in kept]
        figures = compute_figures(missing, period, variants) if missing else {}
        for pk in ids:
            if pk not in missing:
                figures[pk] = _loaded(kept[(pk, period.start)].values)
        if period in closed:
            new_rows += [
                MonthlyMeasure(
                    facility_id=pk,
                    month=period.start,
                    variants=key,
                    values=_stored(figures[pk]),
                    computed_at=now,
                )
                for pk in missing
            ]
        out[period] = figures
    if new_rows:
        _keep(new_rows, stale)
    return out


def _keep(rows: list[MonthlyMeasure], stale: list[int]) -> None:
    """Store the computed months in one statement (after removing the stale ones)."""
    try:
        with transaction.atomic():
            if stale:
                MonthlyMeasure.objects.filter(pk__in=stale).delete()
            MonthlyMeasure.objects.bulk_create(rows)
    except IntegrityError:  # another request kept the same months meanwhile: as good
        pass


def forget() -> None:
    """Drop every kept month (after a rebuild of the sources)."""
    MonthlyMeasure.objects.all().delete()
