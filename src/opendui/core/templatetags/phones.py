"""`{{ number|phone }}`: a stored telephone number as people read it (core.phones)."""

from __future__ import annotations

from django import template

from opendui.core.phones import display_phone

register = template.Library()


@register.filter
def phone(stored: str | None) -> str:
    """``{{ entry.phone|phone }}`` -> "01 23 45 67 89" for a French number stored as
    +33123456789; other numbers as stored; "" for an empty value."""
    return display_phone(stored) if stored else ""
