"""The database task backend and its worker: enqueue, run, retry with backoff, abandon."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.tasks import TaskResultStatus, default_task_backend, task_backends
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
from django.tasks.signals import task_finished
from django.utils import timezone

from opendui.jobs.backend import DatabaseBackend
from opendui.jobs.models import Job, JobStatus
from opendui.jobs.tasks import RetryingTask
from opendui.jobs.worker import LEASE_LOST_MESSAGE, Worker, run_pending
from tests.jobs import sample_tasks
from tests.jobs.sample_tasks import add, attempt_number, broken, flaky

pytestmark = pytest.mark.django_db


def test_the_default_backend_is_the_database_backend():
    assert isinstance(task_backends["default"], DatabaseBackend)
    assert default_task_backend.supports_defer and default_task_backend.supports_get_result


def test_enqueue_stores_a_ready_job_and_the_worker_runs_it():
    result = add.enqueue(2, 3)
    job = Job.objects.get(pk=int(result.id))
    assert job.task_path == "tests.jobs.sample_tasks.add"
    assert (job.status, job.args, job.kwargs, job.attempts) == (JobStatus.READY, [2, 3], {}, 0)
    assert result.status == TaskResultStatus.READY and not result.is_finished
    assert sample_tasks.CALLS == {}  # nothing runs at enqueue time

    assert run_pending() == 1
    assert sample_tasks.CALLS == {"add": 1}
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert result.attempts == 1 and result.finished_at is not None
    job.refresh_from_db()
    assert (job.status, job.result, job.lease_expires_at) == (JobStatus.SUCCEEDED, 5, None)
    assert run_pending() == 0  # a finished job never runs again


def test_get_result_of_an_unknown_id_raises():
    with pytest.raises(TaskResultDoesNotExist):
        default_task_backend.get_result("999999")
    with pytest.raises(TaskResultDoesNotExist):
        default_task_backend.get_result("pas-un-nombre")


def test_run_after_defers_the_job():
    later = timezone.now() + dt.timedelta(hours=1)
    result = add.using(run_after=later).enqueue(1, 1)
    assert run_pending() == 0
    assert run_pending(now=later) == 1
    assert add.get_result(result.id).return_value == 2


def test_priority_orders_due_jobs():
    low = add.enqueue(1, 0)
    high = add.using(priority=10).enqueue(2, 0)
    worker = Worker()
    first = worker.claim(timezone.now())
    assert str(first.pk) == high.id
    second = worker.claim(timezone.now())
    assert str(second.pk) == low.id


def test_retryable_error_is_retried_with_exponential_backoff():
    sample_tasks.FAILURES_LEFT["svc"] = 2
    result = flaky.enqueue("svc")
    now = timezone.now()

    assert run_pending(now=now) == 1
    job = Job.objects.get(pk=int(result.id))
    assert (job.status, job.attempts) == (JobStatus.READY, 1)
    assert job.run_after == now + dt.timedelta(seconds=10)  # first delay: the task's base
    assert job.last_error == "Service distant indisponible."
    assert job.error_class == "tests.jobs.sample_tasks.Transient"
    assert run_pending(now=now + dt.timedelta(seconds=9)) == 0  # not due yet

    second = now + dt.timedelta(seconds=10)
    assert run_pending(now=second) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.READY, 2)
    assert job.run_after == second + dt.timedelta(seconds=20)  # doubled

    assert run_pending(now=second + dt.timedelta(seconds=20)) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 3, "ok svc")
    assert sample_tasks.CALLS["svc"] == 3
    assert len(job.worker_ids) == 3


def test_retryable_error_until_max_attempts_abandons_the_job():
    sample_tasks.FAILURES_LEFT["down"] = 10
    finished = []

    def receiver(sender, task_result, **kwargs):
        finished.append((task_result.id, task_result.status))

    task_finished.connect(receiver)
    try:
        result = flaky.enqueue("down")
        for hours in range(5):
            run_pending(now=timezone.now() + dt.timedelta(hours=hours))
    finally:
        task_finished.disconnect(receiver)
    job = Job.objects.get(pk=int(result.id))
    assert (job.status, job.attempts) == (JobStatus.ABANDONED, 3)
    assert sample_tasks.CALLS["down"] == 3
    assert job.get_status_display() == "abandonné"
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "tests.jobs.sample_tasks.Transient"
    assert finished == [(result.id, TaskResultStatus.FAILED)]  # sent once, when final


def test_other_errors_fail_at_once_without_their_message():
    result = broken.enqueue("Dupont Marie")
    assert run_pending(now=timezone.now() + dt.timedelta(days=1)) == 1
    job = Job.objects.get(pk=int(result.id))
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.get_status_display() == "échoué"
    assert job.error_class == "builtins.KeyError"
    assert "Dupont" not in job.last_error and "KeyError" in job.last_error
    assert run_pending(now=timezone.now() + dt.timedelta(days=2)) == 0


def test_task_context_gives_the_attempt_number():
    result = attempt_number.enqueue()
    run_pending()
    run_pending(now=timezone.now() + dt.timedelta(seconds=5))
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 2


def test_max_attempts_must_be_positive():
    with pytest.raises(InvalidTask):
        RetryingTask(func=flaky.func, max_attempts=0)


# --- idempotency -------------------------------------------------------------------------------


def test_same_key_while_unfinished_returns_the_same_job():
    first = add.using(idempotency_key="k1").enqueue(1, 2)
    again = add.using(idempotency_key="k1").enqueue(1, 2)
    assert again.id == first.id
    assert Job.objects.filter(idempotency_key="k1").count() == 1
    other = add.using(idempotency_key="k2").enqueue(1, 2)
    assert other.id != first.id

    run_pending()
    # Finished: the key is free again (a new request is a new job).
    later = add.using(idempotency_key="k1").enqueue(1, 2)
    assert later.id != first.id
    assert Job.objects.filter(idempotency_key="k1").count() == 2


def test_database_refuses_two_unfinished_jobs_with_one_key():
    now = timezone.now()
    fields = {"task_path": "x", "run_after": now, "enqueued_at": now, "idempotency_key": "dup"}
    Job.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(**fields)
    # Finished jobs and empty keys are not constrained.
    Job.objects.create(**{**fields, "status": JobStatus.SUCCEEDED})
    Job.objects.create(**{**fields, "idempotency_key": ""})
    Job.objects.create(**{**fields, "idempotency_key": ""})


def test_a_concurrent_insert_of_the_same_key_returns_the_other_job(monkeypatch):
    """The read finds nothing, another request inserts, our insert hits the constraint."""
    first = add.using(idempotency_key="race").enqueue(1, 1)
    real = DatabaseBackend._unfinished
    calls = []

    def miss_once(key):
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(DatabaseBackend, "_unfinished", staticmethod(miss_once))
    second = add.using(idempotency_key="race").enqueue(1, 1)
    assert second.id == first.id and len(calls) == 2
    assert Job.objects.filter(idempotency_key="race").count() == 1


# --- lease -------------------------------------------------------------------------------------


def test_a_job_left_running_by_a_dead_worker_is_taken_again_after_the_lease():
    result = flaky.enqueue("lease")  # 3 attempts allowed
    now = timezone.now()
    dead = Worker(worker_id="dead-worker")
    claimed = dead.claim(now)  # the worker dies before running it
    assert claimed.status == JobStatus.RUNNING and claimed.attempts == 1
    lease = default_task_backend.lease_seconds
    assert claimed.lease_expires_at == now + dt.timedelta(seconds=lease)

    assert run_pending(now=now + dt.timedelta(seconds=lease - 1)) == 0  # still leased
    assert run_pending(now=now + dt.timedelta(seconds=lease + 1)) == 1
    job = Job.objects.get(pk=int(result.id))
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 2, "ok lease")
    assert job.worker_ids[0] == "dead-worker" and len(job.worker_ids) == 2


def test_lease_lost_on_the_last_attempt_abandons_the_job():
    result = add.enqueue(1, 1)  # max_attempts = 1
    now = timezone.now()
    Worker(worker_id="dead").claim(now)
    assert run_pending(now=now + dt.timedelta(hours=1)) == 1
    job = Job.objects.get(pk=int(result.id))
    assert job.status == JobStatus.ABANDONED and job.last_error == LEASE_LOST_MESSAGE
    assert sample_tasks.CALLS == {}  # never run twice when the task allows one attempt


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_outcome():
    add.enqueue(1, 2)
    now = timezone.now()
    slow = Worker(worker_id="slow")
    job = slow.claim(now)
    # Meanwhile the lease expired and another worker claimed it (attempt 2).
    Job.objects.filter(pk=job.pk).update(attempts=2, worker_ids=["slow", "fast"])
    slow.execute(job, now)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.result is None


def test_unknown_task_path_fails_the_job():
    now = timezone.now()
    job = Job.objects.create(task_path="tests.jobs.nowhere.task", run_after=now, enqueued_at=now)
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.last_error.startswith("Tâche inconnue")


def test_run_forever_stops_when_asked():
    add.enqueue(5, 5)
    sample_tasks.stop_worker.enqueue()
    Worker().run_forever(sample_tasks.STOP, sleep=0.01, schedule_every=3600)
    assert sample_tasks.CALLS == {"add": 1}
    assert set(
        Job.objects.filter(task_path__startswith="tests.").values_list("status", flat=True)
    ) == {JobStatus.SUCCEEDED}
