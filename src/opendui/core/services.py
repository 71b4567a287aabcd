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


def save_audited(
    actor: Actor,
    instance: Model,
    action: str,
    *,
    expected_version: int | None = None,
    **audit: Any,
) -> Model:
    """Create or update `instance` and record its before/after values, in one transaction.

    For updates of versioned rows, `expected_version` is the version the user
    loaded: a different stored version means a concurrent edit, and nothing is saved.
    """
    with transaction.atomic():
        before = None
        if instance.pk is not None and not instance._state.adding:
            current = type(instance).objects.select_for_update().get(pk=instance.pk)
            before = snapshot(current)
            if hasattr(current, "version"):
                if expected_version is not None and current.version != expected_version:
                    raise ConcurrentEditError(ConcurrentEditError.message)
                instance.version = F("version") + 1
        instance.save()
        if hasattr(instance, "version") and not isinstance(instance.version, int):
            instance.refresh_from_db(fields=["version"])
        record_change(actor, action, instance, before, **audit)
    return instance
