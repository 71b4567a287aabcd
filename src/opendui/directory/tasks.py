"""Background job of the directory: the nightly refresh from the Annuaire Santé."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.tasks import task

from opendui.annuaire.client import AnnuaireError
from opendui.annuaire.config import client_from_settings
from opendui.jobs.tasks import JobError

from .annuaire_sync import refresh_from_annuaire


class AnnuaireUnavailable(JobError):
    """The Annuaire did not answer at this attempt (the job is tried again later)."""


@task(max_attempts=6, retry_on=(AnnuaireUnavailable,), backoff_seconds=600)
def refresh_annuaire_entries() -> dict[str, Any]:
    """Refresh the directory entries that came from the Annuaire Santé. Without a
    configured Annuaire there is nothing to do; when it is down the job is retried
    (10 min, 20 min, 40 min… up to the backend's cap)."""
    try:
        client = client_from_settings()
    except AnnuaireError as error:
        if error.reason == "config":
            return {"skipped": "not configured"}
        raise
    try:
        return asdict(refresh_from_annuaire(client))
    except AnnuaireError as error:
        raise AnnuaireUnavailable(str(error)) from error
