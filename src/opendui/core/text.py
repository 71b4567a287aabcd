"""Text normalisation for names, a pure function shared by storage and search."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s'’\-]+")


def search_key(text: str) -> str:
    """Lower-case, accent-free, single-spaced form of a name: 'Lefèvre-Dupré' → 'lefevre dupre'."""
    # Decompose before case-folding: compatibility characters (e.g. a mathematical bold
    # capital) only become plain letters once decomposed, and must be folded after that.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text or "").casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    without_marks = without_marks.replace("œ", "oe").replace("æ", "ae")
    return _SEPARATORS.sub(" ", without_marks).strip()


_SUCCESSOR = {c: chr(ord(c) + 1) for c in "abcdefghijklmnopqrstuvwxy012345678"}


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """Bounds [low, high) holding every search key that starts with `prefix`.

    A prefix test written as a range can use an ordinary index on both SQLite and
    PostgreSQL (LIKE 'x%' needs a special operator class on PostgreSQL). The upper
    bound bumps the rightmost letter or digit that has a successor of the same kind:
    bumping 'z' to '{' would give a punctuation mark, which collations such as
    fr_FR.UTF-8 ignore, and keys could then fall outside the range. None means no
    upper bound. Callers keep the exact prefix test beside the range.
    """
    for position in range(len(prefix) - 1, -1, -1):
        successor = _SUCCESSOR.get(prefix[position])
        if successor is not None:
            return prefix, prefix[:position] + successor
    return prefix, None
