"""Periodic jobs: a small schedule in code, enqueued by the worker once per period.

Each entry names a task (dotted path, so this module imports no domain app) and
a local time of day. The period of day D runs from D at that time to D+1 at that
time; the worker enqueues the job with the idempotency key
`periodic:<name>:<D>` as soon as it runs during the period, unless a job with
that key already exists (whatever its state). A worker started at 10:00 thus
runs today's job at once; one started at 01:00 runs yesterday's if it never ran.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.tasks import TaskResult
from django.utils import timezone

from .backend import load_task
from .models import Job


@dataclass(frozen=True)
class Daily:
    name: str
    task_path: str
    at: dt.time

    def period(self, now: dt.datetime) -> dt.date:
        """The day whose period contains `now` (local time, so 02:00 is 02:00 in Paris)."""
        local = timezone.localtime(now)
        return local.date() if local.time() >= self.at else local.date() - dt.timedelta(days=1)

    def key(self, now: dt.datetime) -> str:
        return f"periodic:{self.name}:{self.period(now).isoformat()}"


SCHEDULE: tuple[Daily, ...] = (
    # Re-verify INS retrieved from INSi long ago (settings.INSI_REVERIFY_DAYS).
    Daily("insi.reverify", "opendui.interop.insi.tasks.reverify_due_identities", dt.time(2, 0)),
    # Keep the usage indicators of the closed months (the dashboard then reads them).
    Daily("pilotage.closed_months", "opendui.pilotage.tasks.keep_closed_months", dt.time(3, 0)),
)


def enqueue_due(
    now: dt.datetime | None = None, schedule: tuple[Daily, ...] = SCHEDULE
) -> list[TaskResult]:
    """Enqueue the periodic jobs of the current period not enqueued yet."""
    now = now or timezone.now()
    enqueued = []
    for entry in schedule:
        key = entry.key(now)
        if Job.objects.filter(idempotency_key=key).exists():
            continue
        task = load_task(entry.task_path)
        enqueued.append(task.using(idempotency_key=key).enqueue())
    return enqueued
