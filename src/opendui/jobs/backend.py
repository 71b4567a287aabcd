"""The `TASKS` backend storing jobs in the database (`Job` rows), run by `opendui worker`.

Configured in settings::

    TASKS = {"default": {"BACKEND": "opendui.jobs.backend.DatabaseBackend",
                         "OPTIONS": {"LEASE_SECONDS": 300, "BACKOFF_SECONDS": 30}}}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import Task, TaskResult, TaskResultStatus
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskError
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

from .models import UNFINISHED, Job, JobStatus
from .tasks import RetryingTask

STATUS_TO_RESULT = {
    JobStatus.READY: TaskResultStatus.READY,
    JobStatus.RUNNING: TaskResultStatus.RUNNING,
    JobStatus.SUCCEEDED: TaskResultStatus.SUCCESSFUL,
    JobStatus.FAILED: TaskResultStatus.FAILED,
    JobStatus.ABANDONED: TaskResultStatus.FAILED,
}


class DatabaseBackend(BaseTaskBackend):
    task_class = RetryingTask
    supports_defer = True
    supports_get_result = True
    supports_priority = True
    supports_async_task = False

    def __init__(self, alias: str, params: dict[str, Any]):
        super().__init__(alias, params)
        # A job claimed longer ago than this by a worker that never finished it
        # (killed, machine lost) is taken again by another worker.
        self.lease_seconds = float(self.options.get("LEASE_SECONDS", 300))
        self.backoff_seconds = float(self.options.get("BACKOFF_SECONDS", 30))
        self.max_backoff_seconds = float(self.options.get("MAX_BACKOFF_SECONDS", 3600))

    def validate_task(self, task: Task) -> None:
        super().validate_task(task)
        if getattr(task, "max_attempts", 1) < 1:
            raise InvalidTask("max_attempts must be at least 1.")

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        now = timezone.now()
        key = getattr(task, "idempotency_key", "") or ""
        job = Job(
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            args=normalize_json(list(args)),
            kwargs=normalize_json(dict(kwargs)),
            max_attempts=getattr(task, "max_attempts", 1),
            run_after=task.run_after or now,
            enqueued_at=now,
            idempotency_key=key,
        )
        if key:
            existing = self._unfinished(key)
            if existing is not None:
                return self.result_of(existing, task)
            try:
                with transaction.atomic():
                    job.save(force_insert=True)
            except IntegrityError:
                # Another request inserted the same key between our read and our write.
                existing = self._unfinished(key)
                if existing is None:
                    raise
                return self.result_of(existing, task)
        else:
            job.save(force_insert=True)
        result = self.result_of(job, task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        try:
            job = Job.objects.get(pk=int(result_id))
        except (ValueError, TypeError, Job.DoesNotExist) as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        return self.result_of(job)

    def backoff(self, task: Task, attempts: int) -> dt.timedelta:
        """Delay before the next attempt after `attempts` failed ones: base × 2^(attempts−1)."""
        base = getattr(task, "backoff_seconds", None)
        base = self.backoff_seconds if base is None else float(base)
        return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), self.max_backoff_seconds))

    @staticmethod
    def _unfinished(key: str) -> Job | None:
        return Job.objects.filter(idempotency_key=key, status__in=UNFINISHED).first()

    def result_of(self, job: Job, task: Task | None = None) -> TaskResult:
        """The `TaskResult` describing a job row."""
        if task is None:
            task = load_task(job.task_path)
        result = TaskResult(
            task=task,
            id=str(job.pk),
            status=STATUS_TO_RESULT[JobStatus(job.status)],
            enqueued_at=job.enqueued_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            last_attempted_at=job.last_attempted_at,
            args=job.args,
            kwargs=job.kwargs,
            backend=self.alias,
            errors=(
                [TaskError(exception_class_path=job.error_class, traceback=job.last_error)]
                if job.error_class
                else []
            ),
            worker_ids=list(job.worker_ids),
        )
        object.__setattr__(result, "_return_value", job.result)
        return result


def load_task(path: str) -> Task:
    """The module-level Task object named by `path` (ValueError when there is none)."""
    try:
        task = import_string(path)
    except ImportError as exc:
        raise ValueError(f"unknown task {path!r}") from exc
    if not isinstance(task, Task):
        raise ValueError(f"{path!r} is not a task")
    return task
