"""Hooks of the projet personnalisé for the apps above it (documents).

accompaniment sits below documents (tests/core/test_layering.py): it cannot import the
document store, yet a validated PP version must become a stored document of the person.
So the store plugs in here from its AppConfig.ready():

- `on_version_validated(listener)`: `listener(actor, project)` is called by
  `services.validate` inside the validation's transaction, once the version is frozen.
  A listener must be quick (enqueue a job, write a row): it runs in the user's request,
  and an exception rolls the validation back.
- `on_stored_pdf(provider)`: `provider(project)` answers the URL of the stored document
  of that version (its PDF), or None; the PP page links to it and the « PDF » link goes
  there instead of rendering the PDF again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opendui.core.actor import Actor

    from .models import PersonalisedProject

VALIDATED_LISTENERS: list[Callable[..., None]] = []
STORED_PDF_PROVIDERS: list[Callable[..., str | None]] = []


def on_version_validated(listener: Callable[..., None]) -> None:
    """Register `listener(actor, project)`, called when a PP version is validated."""
    if listener not in VALIDATED_LISTENERS:
        VALIDATED_LISTENERS.append(listener)


def on_stored_pdf(provider: Callable[..., str | None]) -> None:
    """Register `provider(project) -> URL | None` of the stored PDF of a version."""
    if provider not in STORED_PDF_PROVIDERS:
        STORED_PDF_PROVIDERS.append(provider)


def version_validated(actor: Actor, project: PersonalisedProject) -> None:
    """Tell every listener that `project` (a version just frozen) was validated."""
    for listener in VALIDATED_LISTENERS:
        listener(actor, project)


def stored_pdf_url(project: PersonalisedProject) -> str | None:
    """The URL of the stored PDF of `project` given by the first provider that knows it."""
    for provider in STORED_PDF_PROVIDERS:
        url = provider(project)
        if url:
            return url
    return None
