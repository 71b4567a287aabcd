"""Shared write helpers: optimistic locking and audited saves."""

from __future__ import annotations

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


def check_version(current: int, expected_version: int | None, *, required: bool = True) -> None:
    """Refuse an update unless `expected_version` is the stored version `current`.

    Every update of a versioned row goes through here (save_audited and the
    services that lock and compare themselves), so that a missing version is
    refused the same way everywhere instead of skipping the check.
    `required=False` is the transition for the services whose internal callers
    (jobs, approvals, demo data) do not pass the version they read yet: there a
    missing version still skips the check; forms require it (VersionedFormMixin).
    """
    if expected_version is None:
        if not required:
            return
        raise MissingVersionError(MissingVersionError.message)
    if current != expected_version:
        raise ConcurrentEditError(ConcurrentEditError.message)


def save_audited(
    actor: Actor,
    instance: Model,
    action: str,
    *,
    expected_version: int | None = None,
    **audit: Any,
) -> Model:
    """Create or update `instance` and record its before/after values, in one transaction.

    For updates of versioned rows, `expected_version` is the version the user (or
    the job) loaded: a different stored version means a concurrent edit, a missing
    one a form that cannot be checked; in both cases nothing is saved (check_version).
    """
    with transaction.atomic():
        before = None
        if instance.pk is not None and not instance._state.adding:
            current = type(instance).objects.select_for_update().get(pk=instance.pk)
            before = snapshot(current)
            if hasattr(current, "version"):
                check_version(current.version, expected_version, required=False)
                instance.version = F("version") + 1
        instance.save()
        if hasattr(instance, "version") and not isinstance(instance.version, int):
            instance.refresh_from_db(fields=["version"])
        record_change(actor, action, instance, before, **audit)
    return instance
