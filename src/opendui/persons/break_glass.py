"""The break-the-glass reason rule (pure, no Django import).

The reason is what the DPO reads to decide whether an access outside one's scope was
justified, so it must say something: a length counted on raw characters let through
15 dots or 20 zero-width spaces. Only letters and digits count (Unicode categories L
and N, so accented letters and other scripts do), whatever spaces, punctuation,
symbols or invisible characters surround them.
"""

from __future__ import annotations

import unicodedata

MIN_REASON_SIGNIFICANT = 15


def significant_characters(text: str) -> int:
    """How many letters and digits (Unicode categories L* and N*) `text` holds."""
    return sum(1 for char in text if unicodedata.category(char)[0] in "LN")


def reason_problem(text: str) -> str | None:
    """None when `text` is an acceptable reason, else the French message saying why not."""
    if significant_characters(text or "") >= MIN_REASON_SIGNIFICANT:
        return None
    return (
        "Indiquez le motif de l'accès exceptionnel en quelques mots : "
        f"{MIN_REASON_SIGNIFICANT} lettres ou chiffres au moins "
        "(les espaces, la ponctuation et les symboles ne comptent pas)."
    )
