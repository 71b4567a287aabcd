"""INSi background tasks (Django Tasks API, run by `opendui worker`).

- `search_identity`: a user's search, 3 attempts when the service is unreachable;
- `reverify_due_identities`: the daily job (schedule `insi.reverify`) that enqueues
  one `reverify_identity` per person due, in batches.

01, 02 and SOAP faults are outcomes, not failures: the job succeeds and the
query shows them. Only an unreachable service is retried; when the job ends in
failure anyway, `_record_failure` (task_finished receiver) writes it on the query.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.tasks import TaskResult, TaskResultStatus, task
from django.tasks.signals import task_finished

from opendui.jobs.tasks import JobError

from . import services

UNREACHABLE_ATTEMPT = "Le téléservice INSi n'a pas répondu à cette tentative."


class InsiUnreachable(JobError):
    """One attempt found the service unreachable (stored on the job, no personal data)."""


def _run(query_id: int) -> dict[str, Any]:
    try:
        return services.run_query(query_id)
    except services.ServiceUnreachable as error:
        raise InsiUnreachable(UNREACHABLE_ATTEMPT) from error


@task(max_attempts=3, retry_on=(InsiUnreachable,), backoff_seconds=10)
def search_identity(query_id: int) -> dict[str, Any]:
    return _run(query_id)


@task(max_attempts=3, retry_on=(InsiUnreachable,))
def reverify_identity(query_id: int) -> dict[str, Any]:
    return _run(query_id)


@task()
def reverify_due_identities() -> dict[str, Any]:
    return {"enqueued": services.enqueue_reverifications()}


QUERY_TASKS = {search_identity.module_path, reverify_identity.module_path}


@receiver(task_finished, dispatch_uid="insi_record_failure")
def _record_failure(sender, task_result: TaskResult, **kwargs) -> None:
    if task_result.task.module_path not in QUERY_TASKS:
        return
    if task_result.status != TaskResultStatus.FAILED or not task_result.args:
        return
    last = task_result.errors[-1].exception_class_path if task_result.errors else ""
    services.record_failure(
        int(task_result.args[0]),
        unreachable=last.endswith(".InsiUnreachable") or last == "LeaseExpired",
    )
