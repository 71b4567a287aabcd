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


def test_the_schedule_anchors_the_audit_trail_nightly():
    entry = next(e for e in SCHEDULE if e.name == "audit.anchor")
    assert entry.at == dt.time(1, 30)
    assert entry.task_path == "opendui.audit.tasks.anchor_audit_trail"


def test_the_audit_sealer_runs_every_few_seconds_in_the_worker_loop(settings):
    from opendui.jobs.schedule import FREQUENT

    entry = next(e for e in FREQUENT if e.name == "audit.seal")
    assert entry.task_path == "opendui.audit.tasks.seal_audit_trail"
    settings.AUDIT_SEAL_EVERY = 2.5
    assert entry.interval() == 2.5


def test_frequent_tasks_run_when_due_without_job_rows(caplog):
    from opendui.jobs.schedule import Every, FrequentRunner

    sample_tasks.CALLS.clear()
    sample_tasks.FAILURES_LEFT["tick"] = 1
    runner = FrequentRunner((Every("test.tick", "tests.jobs.sample_tasks.tick", 5),))
    assert runner.run_due(clock=100.0) == ["test.tick"]  # fails: logged by class, goes on
    assert "KeyError" in caplog.text and "Martin" not in caplog.text
    assert runner.run_due(clock=104.9) == []
    assert runner.run_due(clock=105.0) == ["test.tick"]
    assert sample_tasks.CALLS["tick"] == 2
    assert not Job.objects.exists()


def test_the_worker_seals_the_audit_trail(settings, tmp_path):
    """`opendui worker --once` seals the events written by requests."""
    from django.core.management import call_command

    from opendui.audit.models import AuditSeal
    from opendui.audit.services import record
    from opendui.core.actor import Actor

    settings.AUDIT_KEY = "worker-test-key-" + "w" * 40
    record(Actor.system("test"), "system", "test.event")
    call_command("worker", "--once", stdout=__import__("io").StringIO())
    assert AuditSeal.objects.filter(event__action="test.event").count() == 1
