"""Postal addresses, what every app shares (pure functions, no Django import).

The administrative file (`administrative.Address`: line1, line2, postal code, commune,
country) and the directory (`directory.DirectoryEntry`: address, postal code, commune)
keep their own columns; they share the rule of a French postal code, its wording and the
one-line form an address is shown in. The form side is `core.address_forms`.
"""

from __future__ import annotations

from opendui.core.identifiers import ascii_digits

FRENCH_POSTAL_CODE = "Un code postal français comporte 5 chiffres."


def postal_code_problem(code: str) -> str | None:
    """A French postal code: 5 digits (overseas ones too, 971xx–988xx). Foreign codes
    follow their country's own rules and are not checked."""
    if len(code) == 5 and ascii_digits(code):
        return None
    return FRENCH_POSTAL_CODE


def one_line(*parts: str) -> str:
    """An address on one line, its non-empty parts separated by commas, as lists show it."""
    return ", ".join(part for part in (p.strip() for p in parts if p) if part)
