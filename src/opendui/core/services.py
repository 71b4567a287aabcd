"""Shared write helpers: optimistic locking and audited saves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Model

from opendui.audit.services import record_change, snapshot

from .actor import Actor


class ConcurrentEditError(Exception):
    """Someone saved the row after the user loaded it; nothing was written."""

    message = (
        "Cet élément a été modifié par quelqu'un d'autre pendant votre saisie. "
        "Rien n'a été enregistré : rechargez la page pour voir la version actuelle."
    )


class MissingVersionError(ConcurrentEditError):
    """An update of a versioned row came without the version the user loaded.

    Without it the concurrency check could not be made: leaving the field out of
    a POST would otherwise overwrite someone else's changes unseen. Nothing is
    written; forms show it like a concurrent edit (409), with its own message.
    """

    message = "La version du formulaire manque : rechargez la page. Rien n'a été enregistré."


@dataclass(frozen=True)
class Current:
    """Marker for an update whose caller read the row in this very transaction.

    Internal callers (jobs, approvals applied by the system, demo seeding,
    merges) lock the row they update and have no version a user saw: they pass
    CURRENT instead of a version, which skips the comparison explicitly. Never
    pass it from a view with request data: there the version comes from the form.
    """

    def __repr__(self) -> str:
        return "CURRENT"


CURRENT = Current()

#: The version an update service takes: the one the user loaded, or CURRENT.
ExpectedVersion = int | Current


def require_version(expected_version: int | Current | None) -> int | Current:
    """Refuse an update that does not say which version it was made on.

    `check_version` calls it; services that change their row in memory before the
    locked comparison call it first, so that a refused update leaves the row as it was.
    """
    if expected_version is None:
        raise MissingVersionError(MissingVersionError.message)
    return expected_version


def check_version(current: int, expected_version: int | Current | None) -> None:
    """Refuse an update unless `expected_version` is the stored version `current`.

    Every update of a versioned row goes through here (save_audited and the
    services that lock and compare themselves), so that a missing version is
    refused the same way everywhere instead of silently skipping the check
    (MissingVersionError). CURRENT is the explicit, greppable exception for
    internal callers that locked the row themselves.
    """
    expected_version = require_version(expected_version)
    if isinstance(expected_version, Current):
        return
    if current != expected_version:
        raise ConcurrentEditError(ConcurrentEditError.message)


def save_audited(
    actor: Actor,
    instance: Model,
    action: str,
    *,
    expected_version: int | Current | None = None,
    **audit: Any,
) -> Model:
    """Create or update `instance` and record its before/after values, in one transaction.

    For updates of versioned rows, `expected_version` is the version the user
    loaded (or CURRENT for an internal caller that locked the row itself): a
    different stored version means a concurrent edit, a missing one an update that
    cannot be checked; in both cases nothing is saved (check_version). Creations
    need no version.
    """
    with transaction.atomic():
        before = None
        if instance.pk is not None and not instance._state.adding:
            current = type(instance).objects.select_for_update().get(pk=instance.pk)
            before = snapshot(current)
            if hasattr(current, "version"):
                check_version(current.version, expected_version)
                instance.version = F("version") + 1
        instance.save()
        if hasattr(instance, "version") and not isinstance(instance.version, int):
            instance.refresh_from_db(fields=["version"])
        record_change(actor, action, instance, before, **audit)
    return instance
