"""Template filter showing what an INSEE birth-place code designates."""

from __future__ import annotations

from django import template

from opendui.geography.places import place_of

register = template.Library()


@register.filter
def place_label(code: str | None) -> str:
    """``{{ person.birth_place_code|place_label }}`` -> "Paris 1er Arrondissement", or ""
    for an empty or unknown code (the code itself stays shown beside it)."""
    place = place_of(code) if code else None
    return place.label if place is not None else ""
