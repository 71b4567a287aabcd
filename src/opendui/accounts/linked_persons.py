"""Who an external professional follows: the person set of a linked-persons assignment.

accounts sits below the directory, which knows the links between persons and external
professionals; the directory registers the provider at startup. With no provider
registered, a linked-persons assignment reaches nobody (denied by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q

# provider(user, day) -> a Q over persons.Person: the persons the user's directory entry
# is currently linked to on `day`.
LinkedPersonsProvider = Callable[[Any, dt.date], Q]

_providers: list[LinkedPersonsProvider] = []


def register_linked_persons(provider: LinkedPersonsProvider) -> None:
    """Register a provider (the directory's, at ready()); registering twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)


def linked_persons_q(user: Any, day: dt.date) -> Q:
    """Persons followed by `user` on `day`, by any registered provider; none without one."""
    condition = Q(pk__in=[])
    for provider in _providers:
        condition |= provider(user, day)
    return condition
