"""The DMP feed's listener on the document store (registered in apps.py)."""

from __future__ import annotations

from typing import Any


def share_stored_version(document: Any, version: Any, *, acting_user: Any) -> None:
    """documents.hooks: a generated document's version was stored: share or replace it in
    the DMP, acting as its validator (services.queue_generated_version)."""
    from .services import queue_generated_version

    if acting_user is None:
        return
    queue_generated_version(document, version, acting_user=acting_user)
