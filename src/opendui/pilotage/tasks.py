"""Background task of the usage indicators (Django Tasks API, run by `opendui worker`).

`keep_closed_months` computes and keeps (cache.py) the last 12 closed months of every
facility, so that the first visit of the dashboard after a month closes does not pay for
the whole organisation: meant for the periodic schedule (jobs/schedule.py), early in the
morning.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task
from django.utils import timezone

from opendui.organisations.models import Facility

from . import definitions as d
from .cache import figures_by_month


@task()
def keep_closed_months(months: int = 12) -> dict[str, Any]:
    last = d.Period.last_ended(timezone.localdate())
    periods = [
        d.Period(start, d.add_months(start, 1))
        for start in (d.add_months(last.start, -k) for k in range(months))
    ]
    ids = list(Facility.objects.values_list("pk", flat=True))
    figures_by_month(ids, periods)
    return {"etablissements": len(ids), "mois": months}
