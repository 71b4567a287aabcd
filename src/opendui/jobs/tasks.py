"""`RetryingTask`: Django's `Task` with a retry policy and an idempotency key.

The database backend declares it as its `task_class`, so `@django.tasks.task`
accepts the extra options::

    @task(max_attempts=3, retry_on=(ServiceUnreachable,))
    def call_national_service(query_id: int) -> dict: ...

    call_national_service.using(idempotency_key=f"search:{pk}").enqueue(pk)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.tasks import Task


class JobError(Exception):
    """An error whose message may be stored on the job and shown to users.

    Other exceptions are recorded by class name only: their messages can carry
    personal data (a name in a validation message, a birth date in a repr).
    """

    def __init__(self, public_message: str):
        super().__init__(public_message)
        self.public_message = public_message


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryingTask(Task):
    # Attempts in all, the first included; 1 means "never retried".
    max_attempts: int = 1
    # Exceptions after which the job is tried again (with exponential backoff);
    # any other exception fails the job at once.
    retry_on: tuple[type[BaseException], ...] = ()
    # Delay before the second attempt, doubled at each further attempt;
    # None uses the backend's BACKOFF_SECONDS option.
    backoff_seconds: float | None = None
    # Enqueuing while an unfinished job has the same key returns that job.
    idempotency_key: str = ""

    def using(
        self,
        *,
        priority: int | None = None,
        queue_name: str | None = None,
        run_after: datetime | None = None,
        backend: str | None = None,
        idempotency_key: str | None = None,
    ) -> RetryingTask:
        # Zero-argument super() does not work in a slots dataclass (the class is rebuilt).
        task = Task.using(
            self, priority=priority, queue_name=queue_name, run_after=run_after, backend=backend
        )
        if idempotency_key is not None:
            task = replace(task, idempotency_key=idempotency_key)
        return task


def public_message(error: BaseException) -> str:
    """The French sentence stored for a failed attempt: never an arbitrary exception text."""
    message = getattr(error, "public_message", None)
    if isinstance(message, str) and message:
        return message
    return f"Erreur pendant l'exécution de la tâche ({type(error).__name__})."
