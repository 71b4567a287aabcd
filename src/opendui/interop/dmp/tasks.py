"""The DMP jobs: send a version, apply visibility flags, delete from the DMP.

Each is a `jobs.tasks.RetryingTask` keyed by its row (services.py enqueues them): an
unavailable DMP or records storage raises `sending.DmpRetry` and the worker tries again
with exponential backoff; the rows carry the French state the record shows. The logic is
in sending.py with the client passed in; here the real client is built from the settings.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task

from . import sending
from .sending import DmpRetry

ATTEMPTS = 8
BACKOFF = sending.BACKOFF_SECONDS


def default_client() -> Any:
    """The DMP client configured by the OPENDUI_DMP_* settings."""
    from .client import DmpClient
    from .config import DmpConfig

    return DmpClient(DmpConfig.from_settings())


def default_build_cda():
    from .cda import build_cda

    return build_cda


@task(max_attempts=ATTEMPTS, retry_on=(DmpRetry,), backoff_seconds=BACKOFF)
def send_submission(submission_id: int) -> str:
    """Send one document version to the DMP (idempotency key: the submission id)."""
    return sending.send(submission_id, client=default_client(), build_cda=default_build_cda())


@task(max_attempts=ATTEMPTS, retry_on=(DmpRetry,), backoff_seconds=BACKOFF)
def apply_visibility(share_id: int) -> str:
    """Apply a shared document's visibility flags in the DMP (ITI-57)."""
    return sending.apply_visibility(share_id, client=default_client())


@task(max_attempts=ATTEMPTS, retry_on=(DmpRetry,), backoff_seconds=BACKOFF)
def remove_share(share_id: int) -> str:
    """Delete a shared document from the DMP (ITI-57, status Deleted)."""
    return sending.remove(share_id, client=default_client())
