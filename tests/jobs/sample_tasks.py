"""Tasks used by the job tests (module level, as the Tasks API requires)."""

from __future__ import annotations

import threading

from django.tasks import task

from opendui.jobs.tasks import JobError

# Calls per task, and failures still to raise, set by each test.
CALLS: dict[str, int] = {}
FAILURES_LEFT: dict[str, int] = {}
STOP = threading.Event()


class Transient(JobError):
    """A retryable error with a public French message."""


@task()
def add(a: int, b: int) -> int:
    CALLS["add"] = CALLS.get("add", 0) + 1
    return a + b


@task(max_attempts=3, retry_on=(Transient,), backoff_seconds=10)
def flaky(label: str) -> str:
    CALLS[label] = CALLS.get(label, 0) + 1
    if FAILURES_LEFT.get(label, 0) > 0:
        FAILURES_LEFT[label] -= 1
        raise Transient("Service distant indisponible.")
    return f"ok {label}"


@task(max_attempts=3, retry_on=(Transient,))
def broken(name: str) -> None:
    # A non-retryable error whose message carries personal data.
    raise KeyError(f"personne inconnue : {name}")


@task(takes_context=True, max_attempts=2, retry_on=(Transient,), backoff_seconds=1)
def attempt_number(context) -> int:
    if context.attempt == 1:
        raise Transient("Premier essai raté.")
    return context.attempt


@task()
def stop_worker() -> None:
    STOP.set()


@task()
def tick() -> None:
    CALLS["tick"] = CALLS.get("tick", 0) + 1
    if FAILURES_LEFT.get("tick", 0) > 0:
        FAILURES_LEFT["tick"] -= 1
        raise KeyError("personne inconnue : Martin")
