"""The worker: claims due jobs one at a time, runs them, records the outcome.

A job is *claimed* in a short transaction (locked with `SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL, so several workers never take the same row; SQLite
serialises writers itself), marked "en cours" with a lease, then run outside
any transaction. A worker killed mid-job leaves the row "en cours": once the
lease has expired another worker takes it again, and that interrupted run
counts as an attempt.

Tests and `opendui worker --once` call `run_pending()`; `opendui worker` and
`opendui demo` run `Worker.run_forever()`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskContext, task_backends
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.json import normalize_json

from .backend import DatabaseBackend, load_task
from .models import Job, JobStatus
from .tasks import public_message

logger = logging.getLogger(__name__)

LEASE_LOST_MESSAGE = "La tâche a été interrompue (exécutant arrêté) et n'a plus d'essai disponible."
UNKNOWN_TASK_MESSAGE = "Tâche inconnue de cette version d'OpenDUI."
# A safety net for run_pending(): a job retried with a zero backoff must not loop forever.
MAX_JOBS_PER_RUN = 1000


def _new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{get_random_string(6)}"


@dataclass
class Worker:
    backend_alias: str = DEFAULT_TASK_BACKEND_ALIAS
    worker_id: str = field(default_factory=_new_worker_id)
    queues: frozenset[str] | None = None

    @property
    def backend(self) -> DatabaseBackend:
        backend = task_backends[self.backend_alias]
        if not isinstance(backend, DatabaseBackend):
            raise TypeError(f"the {self.backend_alias!r} task backend does not store jobs")
        return backend

    # --- claiming ----------------------------------------------------------------------------

    def claim(self, now: datetime) -> Job | None:
        """Take the next due job (or one whose lease expired) and mark it "en cours"."""
        with transaction.atomic():
            due = Job.objects.filter(
                Q(status=JobStatus.READY, run_after__lte=now)
                | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
            )
            if self.queues is not None:
                due = due.filter(queue_name__in=self.queues)
            due = due.order_by("-priority", "run_after", "pk")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            job = due.first()
            if job is None:
                return None
            if job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts:
                # Its worker died during the last allowed attempt.
                logger.warning("Job %s (%s): lease expired, abandoned", job.pk, job.task_path)
                self._store_end(job, JobStatus.ABANDONED, "LeaseExpired", LEASE_LOST_MESSAGE)
                return job
            if job.status == JobStatus.RUNNING:
                logger.warning("Job %s (%s): lease expired, taken again", job.pk, job.task_path)
            job.status = JobStatus.RUNNING
            job.attempts += 1
            job.worker_ids = [*job.worker_ids, self.worker_id]
            job.lease_expires_at = now + timedelta(seconds=self.backend.lease_seconds)
            job.started_at = job.started_at or timezone.now()
            job.last_attempted_at = timezone.now()
            job.save(
                update_fields=[
                    "status",
                    "attempts",
                    "worker_ids",
                    "lease_expires_at",
                    "started_at",
                    "last_attempted_at",
                ]
            )
        return job

    # --- running -----------------------------------------------------------------------------

    def run_one(self, now: datetime | None = None) -> bool:
        """Run the next due job, if any. `now` lets tests jump past a backoff delay."""
        now = now or timezone.now()
        job = self.claim(now)
        if job is None:
            return False
        if job.status != JobStatus.RUNNING:  # abandoned while claiming
            self._send_finished(job)
            return True
        self.execute(job, now)
        return True

    def execute(self, job: Job, now: datetime) -> None:
        backend = self.backend
        try:
            task = load_task(job.task_path)
        except ValueError:
            logger.error("Job %s: unknown task %s", job.pk, job.task_path)
            self._finish(job, JobStatus.FAILED, error=("UnknownTask", UNKNOWN_TASK_MESSAGE))
            return
        task_result = backend.result_of(job, task)
        task_started.send(type(backend), task_result=task_result)
        error: BaseException | None = None
        value = None
        try:
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *job.args, **job.kwargs)
            else:
                value = task.call(*job.args, **job.kwargs)
            value = normalize_json(value)
        except Exception as exc:  # any task error is recorded, the worker goes on
            error = exc
        if error is None:
            self._finish(job, JobStatus.SUCCEEDED, result=value)
            return
        error_class = f"{type(error).__module__}.{type(error).__qualname__}"
        retryable = isinstance(error, getattr(task, "retry_on", ()))
        # Class only: exception messages can carry personal data.
        logger.warning(
            "Job %s (%s) attempt %d/%d failed: %s",
            job.pk,
            job.task_path,
            job.attempts,
            job.max_attempts,
            type(error).__name__,
        )
        message = public_message(error)
        if retryable and job.attempts < job.max_attempts:
            self._retry_later(job, now + backend.backoff(task, job.attempts), error_class, message)
        elif retryable:
            self._finish(job, JobStatus.ABANDONED, error=(error_class, message))
        else:
            self._finish(job, JobStatus.FAILED, error=(error_class, message))

    def _mine(self, job: Job):
        """The row as long as this worker still holds it (its lease may have been taken over)."""
        return Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)

    def _retry_later(self, job: Job, run_after: datetime, error_class: str, message: str) -> None:
        job.status, job.run_after, job.lease_expires_at = JobStatus.READY, run_after, None
        job.error_class, job.last_error = error_class, message
        updated = self._mine(job).update(
            status=job.status,
            run_after=run_after,
            lease_expires_at=None,
            error_class=error_class,
            last_error=message,
        )
        if not updated:
            logger.warning("Job %s: lease lost before the outcome was stored", job.pk)

    def _finish(
        self,
        job: Job,
        status: JobStatus,
        *,
        result=None,
        error: tuple[str, str] | None = None,
    ) -> None:
        with transaction.atomic():
            locked = self._mine(job).select_for_update().first()
            if locked is None:
                logger.warning("Job %s: lease lost before the outcome was stored", job.pk)
                return
            self._store_end(locked, status, *(error or ("", "")), result=result)
        job.refresh_from_db()
        self._send_finished(job)

    @staticmethod
    def _store_end(
        job: Job, status: JobStatus, error_class: str, message: str, *, result=None
    ) -> None:
        job.status = status
        job.finished_at = timezone.now()
        job.lease_expires_at = None
        job.result = result
        if error_class:
            job.error_class, job.last_error = error_class, message
        job.save(
            update_fields=[
                "status",
                "finished_at",
                "lease_expires_at",
                "result",
                "error_class",
                "last_error",
            ]
        )

    def _send_finished(self, job: Job) -> None:
        """`task_finished` once a job is final: receivers record the outcome (e.g. a failed
        national-service query) on the business record. Sent outside any exception handler
        so Django's logging receiver logs no traceback (it could carry personal data)."""
        backend = self.backend
        try:
            task_result = backend.result_of(job)
        except ValueError:
            return
        task_finished.send(type(backend), task_result=task_result)

    # --- loops -------------------------------------------------------------------------------

    def run_pending(self, now: datetime | None = None, limit: int = MAX_JOBS_PER_RUN) -> int:
        """Run every job due at `now` (default: the current time); the number run."""
        count = 0
        while count < limit and self.run_one(now):
            count += 1
        return count

    def run_forever(
        self,
        stop: threading.Event,
        *,
        sleep: float = 1.0,
        schedule_every: float = 60.0,
    ) -> None:
        """Run jobs until `stop` is set; enqueue periodic jobs every `schedule_every` s,
        and run the frequent tasks (the audit sealer) when they are due.

        The current job always ends before the worker stops: a job is never cut
        in the middle by a stop request (SIGTERM/SIGINT set `stop`).
        """
        from .schedule import FrequentRunner, enqueue_due

        next_schedule = 0.0
        frequent = FrequentRunner()
        while not stop.is_set():
            _close_old_connections()
            try:
                if time.monotonic() >= next_schedule:
                    enqueue_due()
                    next_schedule = time.monotonic() + schedule_every
                frequent.run_due()
                ran = self.run_one()
            except Exception:
                # The database went away, a migration is missing…: wait, then try again.
                logger.exception("Worker %s: error outside a job", self.worker_id)
                ran = False
            if not ran:
                stop.wait(sleep)
        _close_old_connections()


def _close_old_connections() -> None:
    """Drop broken or too old connections between jobs, as Django does between requests.

    Not inside a transaction (a test's): closing would roll it back."""
    if not connection.in_atomic_block:
        close_old_connections()


def run_pending(now: datetime | None = None, limit: int = MAX_JOBS_PER_RUN) -> int:
    """Run the jobs due now (or at `now`) in this thread; for tests and `worker --once`."""
    return Worker().run_pending(now, limit)


class WorkerThread(threading.Thread):
    """A worker in a daemon thread of the current process (`opendui demo`)."""

    def __init__(self, sleep: float = 1.0):
        super().__init__(name="opendui-worker", daemon=True)
        self.stop_event = threading.Event()
        self.sleep = sleep

    def run(self) -> None:
        try:
            Worker().run_forever(self.stop_event, sleep=self.sleep)
        finally:
            connection.close()

    def stop(self, timeout: float | None = 10) -> None:
        self.stop_event.set()
        self.join(timeout)
