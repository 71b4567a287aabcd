"""Periodic jobs: enqueued once per period, whatever the number of workers or restarts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from opendui.jobs.models import Job, JobStatus
from opendui.jobs.schedule import SCHEDULE, Daily, enqueue_due
from opendui.jobs.worker import run_pending
from tests.jobs import sample_tasks

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NIGHTLY = (Daily("test.stop", "tests.jobs.sample_tasks.stop_worker", dt.time(2, 0)),)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


def test_the_schedule_runs_the_insi_reverification_daily_at_two():
    entry = next(e for e in SCHEDULE if e.name == "insi.reverify")
    assert entry.at == dt.time(2, 0)
    assert entry.task_path == "opendui.interop.insi.tasks.reverify_due_identities"


def test_the_schedule_keeps_the_closed_months_indicators_nightly():
    entry = next(e for e in SCHEDULE if e.name == "pilotage.closed_months")
    assert entry.at == dt.time(3, 0)
    assert entry.task_path == "opendui.pilotage.tasks.keep_closed_months"


def test_period_starts_at_the_local_time_of_day():
    entry = NIGHTLY[0]
    assert entry.period(at(10, 1, 59)) == dt.date(2026, 3, 9)
    assert entry.period(at(10, 2, 0)) == dt.date(2026, 3, 10)
    # 01:30 UTC is 02:30 in Paris in winter: the local clock counts.
    assert entry.period(dt.datetime(2026, 3, 10, 1, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 10)
    assert entry.key(at(10, 3)) == "periodic:test.stop:2026-03-10"


def test_enqueued_once_per_period():
    first = enqueue_due(at(10, 3), NIGHTLY)
    assert len(first) == 1
    job = Job.objects.get(pk=int(first[0].id))
    assert job.idempotency_key == "periodic:test.stop:2026-03-10"
    # Another worker, or the same after a restart, the same night or the next morning.
    assert enqueue_due(at(10, 3, 1), NIGHTLY) == []
    assert enqueue_due(at(11, 1, 59), NIGHTLY) == []
    # Still once when the job already ran.
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and sample_tasks.STOP.is_set()
    assert enqueue_due(at(10, 23), NIGHTLY) == []
    # The next period.
    second = enqueue_due(at(11, 2, 0), NIGHTLY)
    assert len(second) == 1
    assert Job.objects.filter(task_path="tests.jobs.sample_tasks.stop_worker").count() == 2
