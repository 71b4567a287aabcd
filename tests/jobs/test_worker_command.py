"""`opendui worker`: --once runs what is due and stops; SIGTERM stops the loop cleanly."""

from __future__ import annotations

import io
import os
import signal
import threading

import pytest
from django.core.management import call_command

from opendui.jobs.models import Job, JobStatus
from tests.jobs import sample_tasks
from tests.jobs.sample_tasks import add

pytestmark = pytest.mark.django_db


def test_once_runs_due_jobs_and_the_periodic_ones_then_stops(settings, tmp_path):
    settings.AUDIT_KEY = "worker-test-key-" + "w" * 40
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    add.enqueue(20, 22)
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert sample_tasks.CALLS == {"add": 1}
    assert Job.objects.get(task_path="tests.jobs.sample_tasks.add").result == 42
    periodic = Job.objects.get(idempotency_key__startswith="periodic:insi.reverify:")
    assert periodic.status == JobStatus.SUCCEEDED
    assert periodic.result == {"enqueued": 0}  # nobody to re-verify in an empty database
    months = Job.objects.get(idempotency_key__startswith="periodic:pilotage.closed_months:")
    assert months.status == JobStatus.SUCCEEDED
    assert months.result == {"etablissements": 0, "mois": 12}  # no facility yet
    anchor = Job.objects.get(idempotency_key__startswith="periodic:audit.anchor:")
    assert anchor.status == JobStatus.SUCCEEDED
    assert anchor.result == {"scelles": 0, "ancre": 0, "lieux": 1}
    assert len(list((tmp_path / "anchors").iterdir())) == 1
    expiry = Job.objects.get(idempotency_key__startswith="periodic:grants.expire:")
    assert (expiry.status, expiry.result) == (JobStatus.SUCCEEDED, {"expirees": 0})
    prune = Job.objects.get(idempotency_key__startswith="periodic:accounts.prune_throttles:")
    assert (prune.status, prune.result) == (
        JobStatus.SUCCEEDED,
        {"failures": 0, "locks": 0, "reset_requests": 0},
    )
    tokens = Job.objects.get(idempotency_key__startswith="periodic:core.form_tokens:")
    assert (tokens.status, tokens.result) == (JobStatus.SUCCEEDED, {"supprimes": 0})
    refresh = Job.objects.get(idempotency_key__startswith="periodic:directory.annuaire_refresh:")
    assert (refresh.status, refresh.result) == (
        JobStatus.SUCCEEDED,
        {"skipped": "not configured"},  # no OPENDUI_ANNUAIRE_URL in the tests
    )
    recheck = Job.objects.get(idempotency_key__startswith="periodic:accounts.annuaire_recheck:")
    assert (recheck.status, recheck.result) == (JobStatus.SUCCEEDED, {"skipped": "not configured"})
    assert "9 tâche(s) exécutée(s), dont 8 planifiée(s) ajoutée(s)." in out.getvalue()
    # Once per period: a second run adds nothing.
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "0 tâche(s) exécutée(s), dont 0 planifiée(s) ajoutée(s)." in out.getvalue()


def test_sigterm_stops_the_worker_after_the_current_job():
    add.enqueue(1, 1)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    out = io.StringIO()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        call_command("worker", "--sleep", "0.05", stdout=out)
    finally:
        timer.cancel()
    assert "Exécutant de tâches arrêté." in out.getvalue()
    assert sample_tasks.CALLS == {"add": 1}
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored
