"""The home page's registry of panels: each app contributes its own cards.

`core` shows the page but knows no domain app (rule 8 of DESIGN.md: lower apps never
import higher ones). An app registers a provider from its `AppConfig.ready()`; the home
view asks every provider, in order, for the panels the user should see. A provider
decides its own audience and permissions, reads through its app's scoped selectors,
writes the access events of what it shows, and must cost a number of queries that does
not grow with the data (the home page's count is asserted in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from opendui.accounts.access import check


@dataclass(frozen=True)
class Panel:
    """One card: a template (rendered inside the page's grid of cards) and its context,
    available in the template as `panel`."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


Provider = Callable[[HttpRequest], Iterable[Panel] | Panel | None]

_PROVIDERS: list[tuple[int, str, Provider]] = []


def register_panel(provider: Provider, *, order: int = 100) -> None:
    """Add a provider (once); lower `order` first, then by registration name."""
    name = f"{provider.__module__}.{provider.__qualname__}"
    if any(n == name for _, n, _ in _PROVIDERS):
        return
    _PROVIDERS.append((order, name, provider))
    _PROVIDERS.sort(key=lambda entry: (entry[0], entry[1]))


def panels_for(request: HttpRequest) -> list[Panel]:
    """Every panel the registered providers give for this request, in order."""
    panels: list[Panel] = []
    for _order, _name, provider in _PROVIDERS:
        result = provider(request)
        if result is None:
            continue
        if isinstance(result, Panel):
            panels.append(result)
        else:
            panels.extend(result)
    return panels


def home_facilities(request: HttpRequest) -> list[Any]:
    """The facility chosen with the switcher, or every facility of the user (as the home
    page's other cards)."""
    current = getattr(request, "current_facility", None)
    return [current] if current is not None else list(getattr(request, "user_facilities", []))


#: The categories of the daily accompaniment: writing one of them in a facility makes a
#: professional part of its care or support team (éducateur, aide-soignant, infirmier,
#: médecin, psychologue, chef de service) — not the secretariat (administrative data
#: only) nor the direction (reading only).
ACCOMPANIMENT_CATEGORIES = ("social", "care", "medical", "psychological")


def accompanies(user: Any, facility: Any) -> bool:
    """Whether the user writes in the records of the facility's persons as part of its
    care or support team (roles are data: decided by the permissions, not role codes)."""
    return any(
        check(user, f"person.edit_{category}", facility=facility)
        for category in ACCOMPANIMENT_CATEGORIES
    )


def care_facilities(request: HttpRequest) -> list[Any]:
    """The home facilities where the user is part of the care or support team."""
    return [f for f in home_facilities(request) if accompanies(request.user, f)]
