"""Background jobs of the core: pruning the one-time form tokens never sent."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from .forms import prune_form_tokens


@task()
def prune_old_form_tokens() -> dict[str, Any]:
    """Delete the creation-form tokens issued more than a day ago (the nightly schedule,
    jobs/schedule.py): a form shown and never sent leaves its row behind."""
    return {"supprimes": prune_form_tokens()}
