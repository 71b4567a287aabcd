"""Text normalisation for names, a pure function shared by storage and search."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s'’\-]+")


def search_key(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of a name: 'Lefèvre-Dupré' → 'lefevre dupre'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    without_marks = without_marks.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae")
    return _SEPARATORS.sub(" ", without_marks.lower()).strip()
