"""Hash chain of the audit trail: pure functions, no Django import.

Each event's hash covers its content and the previous event's hash, so that
changing, inserting or removing a row breaks the chain from that point on.

`ChainVerifier` walks a chain row by row (memory stays flat whatever its length)
and explains what it finds in French, naming the event numbers (seq) concerned:

- a row whose content no longer matches its hash was **modified**;
- a gap in the numbering means rows were **removed**;
- a row chained to an event a few rows back means the rows in between were
  **inserted** (the rows after them, renumbered to make room, are reported as
  **renumbered** when their hash still matches their original number);
- a row whose link does not match the previous row's hash, when both rows are
  otherwise consistent, means the previous row was **replaced** or modified
  with its hash recomputed;
- the chain head (the newest (seq, hash) the writer recorded) catches the
  removal of the newest rows and rows appended without going through the writer.

Consecutive rows with the same problem are reported as one range, so a
renumbering of a million rows is one line, not a million.

Two chains use the verifier. The *legacy* chain: events written before keyed
sealing, each hashed with plain sha256 (`event_hash`) as it was written. The
*keyed* chain: seal rows (`AuditSeal`), each an HMAC (`keyed_hash`) over the
previous seal's hash and the digest of one event (`content_digest`), with a key
kept outside the database, so that nobody without the key can recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64

# How many recent hashes are remembered to recognise a row chained to an
# earlier event than its predecessor (that is, rows inserted in between).
WINDOW = 1024

# Offsets tried to recognise a renumbered row when no insertion was seen yet.
_RENUMBER_GUESSES = (1, -1, 2, -2, 3, -3)

# Problem kinds.
MODIFIED = "modified"
REMOVED = "removed"
REMOVED_AT_END = "removed_at_end"
INSERTED = "inserted"
RENUMBERED = "renumbered"
REPLACED = "replaced"
OUT_OF_SEQUENCE = "out_of_sequence"
APPENDED = "appended"
HEAD = "head"
LINKS = "links"
ANCHOR = "anchor"


def canonical(content: Mapping[str, Any]) -> bytes:
    """Stable byte form of an event's content (sorted keys, no spaces)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """The legacy, unkeyed link: anybody can recompute it, so only anchors protect it."""
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(content)).hexdigest()


def content_digest(content: Mapping[str, Any]) -> str:
    """sha256 of an event's content: what a seal records of the event it seals."""
    return hashlib.sha256(canonical(content)).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, content: Mapping[str, Any]) -> str:
    """The keyed link: HMAC-SHA256 over the previous hash and the content."""
    return hmac.new(key, prev_hash.encode() + b"|" + canonical(content), hashlib.sha256).hexdigest()


# How a verifier hashes a row: (prev_hash, content) -> hex digest, or None when it cannot
# tell (a seal made with a key that is not configured: reported apart).
Hasher = Callable[[str, Mapping[str, Any]], "str | None"]


@dataclass(frozen=True)
class Noun:
    """What the chain's rows are called in the findings (both nouns are masculine)."""

    one: str
    many: str
    the_next: str
    next_ones: str
    first_ones: str
    the_last: str


EVENTS = Noun(
    "Événement",
    "Événements",
    "l'événement suivant",
    "les événements suivants",
    "premiers événements",
    "le dernier événement",
)
SEALS = Noun(
    "Scellement",
    "Scellements",
    "le scellement suivant",
    "les scellements suivants",
    "premiers scellements",
    "le dernier scellement",
)


@dataclass(frozen=True)
class ChainProblem:
    """One finding, as a French sentence naming the event number(s) concerned.

    `seq` is the first event concerned (None when the problem is not tied to an
    event number, e.g. an index row pointing to no event); `last_seq` is set
    when the finding covers a run of events.
    """

    seq: int | None
    message: str
    kind: str = ""
    last_seq: int | None = None

    def __str__(self) -> str:
        return self.message


def _numbers(first: int, last: int) -> str:
    return f"n° {first}" if first == last else f"n° {first} à {last}"


def _plural(first: int, last: int, singular: str, plural: str) -> str:
    return singular if first == last else plural


@dataclass
class _Run:
    kind: str
    first: int
    last: int
    data: dict[str, Any] = field(default_factory=dict)

    def extends(self, kind: str, seq: int, data: Mapping[str, Any]) -> bool:
        if kind != self.kind or seq != self.last + 1:
            return False
        if kind == RENUMBERED:
            return data["shift"] == self.data["shift"]
        return kind == MODIFIED

    def problem(self, noun: Noun = EVENTS) -> ChainProblem:
        a, b, d = self.first, self.last, self.data
        events = _plural(a, b, noun.one, noun.many)
        if self.kind == MODIFIED:
            message = f"{events} {_numbers(a, b)} : " + _plural(
                a,
                b,
                "contenu modifié, il ne correspond plus à son empreinte (ligne modifiée).",
                "contenu modifié, ils ne correspondent plus à leur empreinte (lignes modifiées).",
            )
        elif self.kind == RENUMBERED:
            shift = d["shift"]
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "renuméroté, il portait le ", "renumérotés, ils portaient les ")
                + f"{_numbers(a - shift, b - shift)} (lignes insérées ou supprimées "
                + _plural(a, b, "avant lui).", "avant eux).")
            )
        elif self.kind == REMOVED and d.get("renumbered"):
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "supprimé", "supprimés")
                + f" (lignes supprimées, puis {noun.next_ones} renumérotés pour masquer "
                "le trou)."
            )
        elif self.kind == REMOVED:
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "supprimé", "supprimés")
                + f" (la numérotation passe du n° {a - 1} au n° {b + 1} : lignes supprimées)."
            )
        elif self.kind == REMOVED_AT_END:
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "supprimé", "supprimés")
                + f" en fin de journal (la tête de chaîne indique le n° {d['head_seq']}, "
                f"{noun.the_last} présent est le n° {a - 1})."
            )
        elif self.kind == INSERTED:
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "inséré", "insérés")
                + f" ({noun.the_next}, n° {d['next']}, est chaîné directement au n° {a - 1})."
            )
        elif self.kind == REPLACED:
            if a == 0:
                message = (
                    f"{noun.one} n° {d['next']} : il n'est pas chaîné à l'origine du journal "
                    f"({noun.first_ones} supprimés puis renumérotés, ou ligne remplacée)."
                )
            else:
                message = (
                    f"{noun.one} n° {a} : remplacé, ou modifié avec une empreinte recalculée "
                    f"({noun.the_next}, n° {d['next']}, attendait une autre empreinte)."
                )
        elif self.kind == OUT_OF_SEQUENCE:
            message = f"{noun.one} n° {a} : numéro en double ou hors séquence (ligne insérée)."
        elif self.kind == APPENDED:
            message = (
                f"{events} {_numbers(a, b)} : "
                + _plural(a, b, "ajouté", "ajoutés")
                + f" après la tête de chaîne (n° {d['head_seq']}), hors du journal "
                "(lignes insérées)."
            )
        elif self.kind == HEAD:
            message = (
                f"{noun.one} n° {a} : {noun.the_last} ne correspond pas à la tête de chaîne "
                f"(n° {d['head_seq']}) ; il a été remplacé ou le journal a été réécrit."
            )
        else:  # pragma: no cover - every kind above has a message
            message = f"{events} {_numbers(a, b)} : anomalie ({self.kind})."
        if self.kind == REPLACED and a == 0:
            a = b = d["next"]
        return ChainProblem(a, message, self.kind, b if b != a else None)


class ChainVerifier:
    """Check rows given one at a time as (seq, prev_hash, hash, content), in seq order.

    Use `feed()` for each row, then `finish(head)`; `verify_chain()` does both.
    `hasher` computes a row's hash (the legacy `event_hash` by default, or a keyed
    one); `genesis` is the hash the first row links to; `noun` names the rows.
    """

    def __init__(
        self,
        window: int = WINDOW,
        *,
        hasher: Hasher = event_hash,
        genesis: str = GENESIS,
        noun: Noun = EVENTS,
    ) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_hash = genesis
        self._hasher = hasher
        self._noun = noun
        self._window = window
        self._recent: OrderedDict[str, int] = OrderedDict({genesis: 0})
        self._shift = 0  # stored seq minus original seq of the last row (renumbering)
        self._previous_modified = False
        self._runs: list[_Run] = []
        self._problems: list[ChainProblem] = []

    # -- recording findings -------------------------------------------------------
    def _add(self, kind: str, first: int, last: int | None = None, **data: Any) -> None:
        last = first if last is None else last
        if self._runs and first == last and self._runs[-1].extends(kind, first, data):
            self._runs[-1].last = first
            return
        self._flush()
        self._runs.append(_Run(kind, first, last, data))

    def _flush(self) -> None:
        while self._runs:
            self._problems.append(self._runs.pop(0).problem(self._noun))

    def _matches(self, prev_hash: str, content: Mapping[str, Any], stored: str) -> bool:
        computed = self._hasher(prev_hash, content)
        return computed is None or computed == stored

    # -- walking ------------------------------------------------------------------
    def _original_seq(
        self, seq: int, prev_hash: str, content: Mapping[str, Any], stored: str, shifts: list[int]
    ) -> int | None:
        """The number the row had when it was written, if it was renumbered since."""
        if "seq" not in content:
            return None
        for shift in shifts:
            if shift and self._hasher(prev_hash, {**content, "seq": seq - shift}) == stored:
                return seq - shift
        return None

    def feed(self, seq: int, prev_hash: str, stored_hash: str, content: Mapping[str, Any]) -> None:
        self.count += 1
        expected = self.last_seq + 1
        if seq < expected:
            # Only a duplicated number or a number before the first can come here.
            self._add(OUT_OF_SEQUENCE, seq)
            return
        gap = seq > expected
        if gap:
            self._add(REMOVED, expected, seq - 1)
        link_ok = prev_hash == self.last_hash
        inserted_after = None
        if not link_ok and not gap:
            earlier = self._recent.get(prev_hash)
            if earlier is not None and earlier < self.last_seq:
                inserted_after = earlier
        hash_ok = self._matches(prev_hash, content, stored_hash)
        original = None
        if not hash_ok:
            shifts = []
            if inserted_after is not None:
                shifts.append(self._shift + self.last_seq - inserted_after)
            shifts.append(self._shift)
            shifts.extend(self._shift + guess for guess in _RENUMBER_GUESSES)
            original = self._original_seq(
                seq, prev_hash, content, stored_hash, list(dict.fromkeys(shifts))
            )
        shift = seq - original if original is not None else 0
        if not link_ok and not gap and not self._previous_modified:
            if inserted_after is not None:
                self._add(INSERTED, inserted_after + 1, self.last_seq, next=seq)
            elif original is not None and shift < self._shift:
                # Chained to a row that is gone, and moved down: rows removed, then renumbered.
                self._add(REMOVED, seq, seq + (self._shift - shift) - 1, renumbered=True)
            else:
                self._add(REPLACED, self.last_seq, next=seq)
        if original is not None:
            self._add(RENUMBERED, seq, shift=shift)
        elif not hash_ok:
            self._add(MODIFIED, seq)
        self._shift = shift
        self._previous_modified = not hash_ok and original is None
        self.last_seq, self.last_hash = seq, stored_hash
        self._recent[stored_hash] = seq
        if len(self._recent) > self._window:
            self._recent.popitem(last=False)

    def finish(self, head: tuple[int, str] | None) -> list[ChainProblem]:
        """The findings, once every row was fed; `head` is the writer's (seq, hash)."""
        if head is not None:
            self._check_head(*head)
        self._flush()
        return sorted(self._problems, key=lambda p: (p.seq is None, p.seq or 0))

    def _check_head(self, head_seq: int, head_hash: str) -> None:
        last_seq = self.last_seq
        if head_hash == self.last_hash:
            if last_seq - head_seq != self._shift:
                self._add(HEAD, last_seq, head_seq=head_seq)
            return
        earlier = self._recent.get(head_hash)
        if earlier is not None and earlier < last_seq:
            self._add(APPENDED, earlier + 1, last_seq, head_seq=head_seq)
        elif head_seq > last_seq:
            self._add(REMOVED_AT_END, last_seq + 1, head_seq, head_seq=head_seq)
        else:
            self._add(HEAD, min(head_seq, last_seq) or last_seq, head_seq=head_seq)


def verify_chain(
    rows: Iterable[tuple[int, str, str, Mapping[str, Any]]],
    head: tuple[int, str] | None,
) -> list[ChainProblem]:
    """Check rows given as (seq, prev_hash, hash, content), in seq order.

    `head` is the (seq, hash) the writer recorded last; it catches the removal
    of the newest rows, which the chain alone cannot see.
    """
    verifier = ChainVerifier()
    for row in rows:
        verifier.feed(*row)
    return verifier.finish(head)
