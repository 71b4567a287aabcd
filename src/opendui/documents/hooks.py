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
- `register_document_status(provider)`: a block per document in the documents tab (the
  DMP status and its actions); see below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


# --- Status blocks of the documents tab --------------------------------------------------
#
# The documents tab shows, per document, what the apps above the store know of it (the DMP
# feed: "envoyé le …", "refusé : motif", its actions). `register_document_status(provider)`
# adds `provider(request, person, documents) -> {document_id: StatusBlock}`, called once
# per page with the page's documents: a provider reads what it needs for all of them in a
# bounded number of queries (the tab's query count is asserted), and leaves out a document
# it has nothing to say about.


@dataclass(frozen=True)
class StatusBlock:
    """What a provider shows for one document: `template` is included with `block` = this
    block (`context` holds its values), the page's `person`, `document` and `csrf_token`."""

    key: str
    template: str
    context: dict = field(default_factory=dict)


DOCUMENT_STATUS_PROVIDERS: list[Callable[..., dict[int, StatusBlock]]] = []


def register_document_status(provider: Callable[..., dict[int, StatusBlock]]) -> None:
    """Register `provider(request, person, documents) -> {document_id: StatusBlock}`."""
    if provider not in DOCUMENT_STATUS_PROVIDERS:
        DOCUMENT_STATUS_PROVIDERS.append(provider)


def document_statuses(request: Any, person: Any, documents: list) -> dict[int, list[StatusBlock]]:
    """Every provider's blocks for the page's `documents`, by document id."""
    blocks: dict[int, list[StatusBlock]] = {}
    if not documents:
        return blocks
    for provider in DOCUMENT_STATUS_PROVIDERS:
        for document_id, block in provider(request, person, documents).items():
            blocks.setdefault(document_id, []).append(block)
    return blocks
