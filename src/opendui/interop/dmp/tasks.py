"""The DMP jobs: send a version, apply visibility flags, delete from the DMP.

Each is a `jobs.tasks.RetryingTask` keyed by its row (services.py enqueues them): an
unavailable DMP or records storage raises `sending.DmpRetry` and the worker tries again
with exponential backoff; the rows carry the French state the record shows. The logic is
in sending.py with the client passed in; here the real client is built from the settings.

A DMP that cannot be called at all (no OPENDUI_DMP_ENDPOINT, or a configuration error
such as a missing certificate) is not worth retrying: the row records the French reason
(blocked version, failed action) and the job ends; a user retries once it is fixed.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task

from . import sending
from .errors import DmpConfigurationError
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
    try:
        client = default_client()
    except DmpConfigurationError as error:
        return sending.block_unsendable(submission_id, error.message_fr)
    return sending.send(submission_id, client=client, build_cda=default_build_cda())


@task(max_attempts=ATTEMPTS, retry_on=(DmpRetry,), backoff_seconds=BACKOFF)
def apply_visibility(share_id: int) -> str:
    """Apply a shared document's visibility flags in the DMP (ITI-57)."""
    try:
        client = default_client()
    except DmpConfigurationError as error:
        return sending.fail_action(
            share_id,
            status_field="visibility_status",
            error_field="visibility_error",
            reason=error.message_fr,
        )
    return sending.apply_visibility(share_id, client=client)


@task(max_attempts=ATTEMPTS, retry_on=(DmpRetry,), backoff_seconds=BACKOFF)
def remove_share(share_id: int) -> str:
    """Delete a shared document from the DMP (ITI-57, status Deleted)."""
    try:
        client = default_client()
    except DmpConfigurationError as error:
        return sending.fail_action(
            share_id,
            status_field="removal_status",
            error_field="removal_error",
            reason=error.message_fr,
        )
    return sending.remove(share_id, client=client)
