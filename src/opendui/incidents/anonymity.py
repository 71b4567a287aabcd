"""Names and identifiers taken out of the free texts of the ARS declaration (pure).

CASF R331-8: the declaration carries no nominative data. Free texts may still name the
persons concerned or the professionals ("Mme Martin est tombée devant Nadia"), so each
text is redacted of what the incident knows about them — and of nothing else:

- **names** (birth name, used name, first names of a person; first and last name of a
  professional) are replaced where they stand as *whole words* of the text. A word is a
  run of letters and digits: spaces, punctuation, hyphens and apostrophes separate words,
  so "aide-soignante" is the words "aide" and "soignante", "d'Anne" is "d" and "Anne".
  Comparison ignores case and accents ("LEFEVRE" is "Lefèvre", "œ" is "oe");
- a name of several words ("Marie-Claire", "LE GALL", "de la Fontaine") is replaced whole
  wherever its words follow each other, separated by spaces, hyphens or apostrophes
  ("Marie Claire", "le-gall"); each of its words also stands for it alone ("Claire",
  "Gall", "Fontaine"), except articles and particles ("le", "de", "la"…) and single
  letters, which are ordinary words of the text;
- **identifiers** (local record number, INS, birth dates as typed, e-mail addresses) are
  replaced as whole strings; they are never cut into words, so the address
  "aide-soignant@…" does not make "aide" a name.

An ordinary word ("Blanc", "Petit", "Paris", "soignante") is replaced only when it is a
name of someone concerned. Everything is found on the original text in one pass, so a
placeholder is never matched again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

#: A word of a text or of a name: letters and digits (no underscore).
WORD = re.compile(r"[^\W_]+")
#: What may separate the words of one name in a text: spaces, hyphens, apostrophes.
NAME_GLUE = re.compile(r"[\s\-‐‑‒–'’ʼ‘`´]+")
#: Words of a name that do not stand for it alone: articles, prepositions, particles.
PARTICLES = frozenset(
    {
        "a",
        "al",
        "d",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "des",
        "di",
        "do",
        "dos",
        "du",
        "e",
        "el",
        "en",
        "et",
        "l",
        "la",
        "las",
        "le",
        "les",
        "lo",
        "los",
        "of",
        "op",
        "te",
        "ten",
        "ter",
        "van",
        "von",
        "y",
        "zu",
    }
)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def fold(word: str) -> str:
    """`word` without case nor accents: "Lefèvre", "LEFEVRE" and "lefevre" fold alike."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Concerned:
    """Someone the incident concerns: the names and identifiers to take out, and what
    replaces them ("[personne n°1]", "[professionnel]")."""

    placeholder: str
    names: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()


def _name_forms(name: str) -> list[tuple[str, ...]]:
    """The word sequences that stand for `name`: all its words, and each significant one."""
    words = tuple(fold(w) for w in WORD.findall(name))
    if not words or len("".join(words)) < 2:  # a lone letter is no name to look for
        return []
    forms = [words]
    if len(words) > 1:
        forms += [(w,) for w in words if len(w) > 1 and w not in PARTICLES]
    return forms


def _identifier_spans(text: str, concerned: Sequence[Concerned]) -> list[tuple[int, int, str]]:
    spans = []
    for who in concerned:
        for identifier in sorted({i.strip() for i in who.identifiers if i.strip()}, key=len)[::-1]:
            pattern = rf"(?<![^\W_]){re.escape(identifier)}(?![^\W_])"
            spans += [
                (m.start(), m.end(), who.placeholder) for m in re.finditer(pattern, text, re.I)
            ]
    return spans


def _without_overlaps(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Leftmost first, the longest at a position; later spans overlapping a kept one go."""
    kept: list[tuple[int, int, str]] = []
    for start, end, placeholder in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, placeholder))
    return kept


def redact(text: str, concerned: Sequence[Concerned]) -> str:
    """`text` with every name and identifier of the persons concerned replaced by their
    placeholder, whole words only, case- and accent-insensitively; nothing else changes."""
    if not text:
        return text
    taken = _without_overlaps(_identifier_spans(text, concerned))
    # Words outside the identifiers, folded, with their place in the text.
    words = [
        (m.start(), m.end(), fold(m.group()))
        for m in WORD.finditer(text)
        if not any(s <= m.start() < e for s, e, _ in taken)
    ]
    forms: dict[tuple[str, ...], str] = {}
    for who in concerned:
        for name in who.names:
            for form in _name_forms(name or ""):
                forms.setdefault(form, who.placeholder)  # the first person named so wins
    longest = max((len(f) for f in forms), default=0)
    spans = list(taken)
    index = 0
    while index < len(words):
        for size in range(min(longest, len(words) - index), 0, -1):
            run = words[index : index + size]
            if tuple(w for _, _, w in run) not in forms:
                continue
            glued = all(NAME_GLUE.fullmatch(text[a[1] : b[0]]) for a, b in pairwise(run))
            if glued:
                spans.append((run[0][0], run[-1][1], forms[tuple(w for _, _, w in run)]))
                index += size
                break
        else:
            index += 1
    out, position = [], 0
    for start, end, placeholder in sorted(spans):
        out += [text[position:start], placeholder]
        position = end
    out.append(text[position:])
    return "".join(out)
