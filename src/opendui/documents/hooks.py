"""Hooks of the document store for the apps above it (interop.dmp).

documents sits below the DMP feed (tests/core/test_layering.py): it cannot import it, yet a
generated document stored by its job (the validated projet personnalisé, the validated
AGGIR grid) must be shared to the DMP. So the feed plugs in here from its AppConfig.ready():

- `on_version_stored(listener)`: `listener(document, version, *, acting_user)` is called
  by the jobs that store a generated document (project_pdf.py, evaluation_pdf.py), inside
  their transaction, once the `DocumentVersion` row exists. `acting_user` is the
  professional who validated the document: the one the DMP feed acts as. A listener must
  be quick (write rows, enqueue a job); an exception rolls the storing back (and the job
  is retried), so a listener records a refusal instead of raising it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Document, DocumentVersion

VERSION_STORED_LISTENERS: list[Callable[..., None]] = []


def on_version_stored(listener: Callable[..., None]) -> None:
    """Register `listener(document, version, *, acting_user)`."""
    if listener not in VERSION_STORED_LISTENERS:
        VERSION_STORED_LISTENERS.append(listener)


def version_stored(document: Document, version: DocumentVersion, *, acting_user: Any) -> None:
    """Tell every listener that a generated document's `version` was just stored."""
    for listener in VERSION_STORED_LISTENERS:
        listener(document, version, acting_user=acting_user)
