"""Check the whole audit trail (`opendui audit verify`).

Three parts, each read in chunks (memory stays flat at millions of rows):

1. **The legacy chain**: events written before keyed sealing (they carry their
   own sha256 link), in number order, against `AuditChainHead`, as before.
2. **The keyed chain**: seals in sealing order. Each seal's HMAC is recomputed
   with its key (named by `key_id`, kept outside the database): a changed,
   inserted, removed or reordered seal breaks it, and nobody without the key can
   recompute it. Each sealed event is compared with the digest its seal recorded
   (changed event), and must exist (removed event). The first seal must link to
   the legacy chain's last hash; the newest seals are compared with the sealer's
   head row and, above all, with the **anchors** written outside the database
   (anchors.py): a rewritten trail or removed newest rows contradict them.
3. **Events not sealed yet**: normal for a few seconds (the sealer runs every
   `OPENDUI_AUDIT_SEAL_EVERY` seconds); one older than `OPENDUI_AUDIT_SEAL_WINDOW`
   is a failure: the sealer is not running, a transaction stays open, or the row was
   inserted behind the application's back. They are counted in the report.

The person index rows (AuditEventPerson) of every event are checked against its
`person_ids`, in a last pass that merges the events with the index rows grouped by event
(`_Links`).

Consistency while the application keeps writing: on PostgreSQL the walk runs in
one read-only REPEATABLE READ transaction (one snapshot). On SQLite a long
transaction would hold the write lock (the connection opens IMMEDIATE
transactions), so the walk reads without one; the heads are read *after* the
rows, rows committed meanwhile are walked too, and unsealed events are counted
last, so concurrent writers and the sealer never cause a false alarm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.utils import timezone

from .chain import ANCHOR, LINKS, SEALS, ChainProblem, ChainVerifier, content_digest, keyed_hash
from .keys import Keyring
from .models import AuditChainHead, AuditEvent, AuditEventPerson, AuditSeal, AuditSealHead
from .sealing import event_content

CHUNK_SIZE = 5000
PROGRESS_EVERY = 100_000
MAX_ORPHANS_LISTED = 100
MAX_LISTED = 10

# Problem kinds of this module (chain.py has the chain's own).
SEALED_EVENT = "sealed_event"
UNSEALED = "unsealed"
KEY = "key"
LEGACY_LINK = "legacy_link"

__all__ = ["VerificationReport", "event_content", "verify_trail"]


@dataclass(frozen=True)
class AnchorCheck:
    """An anchor to compare with the keyed chain: seal `seq` had `hash` when `label` was made."""

    seq: int
    hash: str
    label: str


@dataclass
class VerificationReport:
    checked: int
    problems: list[ChainProblem]
    head: tuple[int, str] | None = None
    anchors: dict[int, str] = field(default_factory=dict)
    sealed: int = 0
    unsealed: int = 0
    oldest_unsealed: dt.datetime | None = None
    seal_head: tuple[int, str] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _numbers(seqs: list[int], total: int) -> str:
    shown = ", ".join(str(s) for s in seqs)
    return f"n° {shown}" + (f"… ({total} en tout)" if total > len(seqs) else "")


def _links_problem(seq: int, expected: Counter[int], found: Counter[int]) -> ChainProblem:
    parts = []
    missing = sorted((expected - found).elements())
    extra = sorted((found - expected).elements())
    if missing:
        parts.append(
            "lien(s) supprimé(s) vers la ou les personnes n° " + ", ".join(map(str, missing))
        )
    if extra:
        parts.append("lien(s) ajouté(s) vers la ou les personnes n° " + ", ".join(map(str, extra)))
    return ChainProblem(
        seq,
        f"Événement n° {seq} : index des personnes concernées altéré ({' ; '.join(parts)}) "
        "(lignes d'index modifiées).",
        LINKS,
    )


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Links:
    """Checks the person index against every event's `person_ids`, in one pass.

    The index's only key is (person_id, event_id), made for the person lookups: there is
    no index on `event_id` to look an event's rows up by. So the rows are read once,
    grouped by event and in event order (the database sorts them, one query), beside the
    events in id order (primary key), and the two streams are merged: linear in the
    size of the trail, memory bounded by one chunk. Index rows of no event are found by
    the same merge.

    PostgreSQL: the walk's snapshot covers both streams. SQLite has none (the walk runs
    without a transaction), but there ids follow commit order and an event commits with
    its index rows: both streams stop at the newest event id read first, and the rows
    beyond it are only checked for a missing event.
    """

    def __init__(self, using: str, chunk_size: int) -> None:
        self.using = using
        self.chunk_size = chunk_size
        self.problems: list[ChainProblem] = []
        self.orphans: list[ChainProblem] = []

    def run(self) -> None:
        connection = connections[self.using]
        bound = None
        if connection.vendor == "sqlite":
            bound = AuditEvent.objects.using(self.using).aggregate(newest=Max("id"))["newest"]
            bound = bound or 0
        events = AuditEvent.objects.using(self.using).order_by("id")
        if bound is not None:
            events = events.filter(id__lte=bound)
        groups = self._groups(bound)
        pending = next(groups, None)
        for event_id, seq, person_ids in events.values_list("id", "seq", "person_ids").iterator(
            chunk_size=self.chunk_size
        ):
            while pending is not None and pending[0] < event_id:
                self._orphan(*pending)
                pending = next(groups, None)
            found: list[int] = []
            if pending is not None and pending[0] == event_id:
                found = pending[1]
                pending = next(groups, None)
            self._compare(seq, person_ids or [], found)
        while pending is not None:
            self._orphan(*pending)
            pending = next(groups, None)
        if bound is not None:
            late = (
                AuditEventPerson.objects.using(self.using)
                .filter(event_id__gt=bound)
                .filter(~Exists(AuditEvent.objects.filter(pk=OuterRef("event_id"))))
                .order_by("event_id", "person_id")
                .values_list("event_id", "person_id")[:MAX_ORPHANS_LISTED]
            )
            for event_id, person_id in late:
                self._orphan(event_id, [person_id])

    def _groups(self, bound: int | None) -> Iterator[tuple[int, list[int]]]:
        """(event id, its persons' ids), in event id order."""
        connection = connections[self.using]
        table = connection.ops.quote_name(AuditEventPerson._meta.db_table)
        if connection.vendor == "postgresql":
            persons = "array_agg(person_id)"
        else:
            persons = "group_concat(person_id)"
        where = "" if bound is None else "WHERE event_id <= %s"
        sql = (
            f"SELECT event_id, {persons} FROM {table} {where} "  # noqa: S608
            "GROUP BY event_id ORDER BY event_id"
        )
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [] if bound is None else [bound])
            while rows := cursor.fetchmany(self.chunk_size):
                for event_id, ids in rows:
                    if isinstance(ids, str):
                        ids = [int(pk) for pk in ids.split(",")]
                    yield event_id, ids

    def _compare(self, seq: int, expected: list, found: list[int]) -> None:
        actual = sorted(found)
        if actual != expected:
            expected_counts = Counter(int(pk) for pk in expected)
            if Counter(actual) != expected_counts:
                self.problems.append(_links_problem(seq, expected_counts, Counter(actual)))

    def _orphan(self, event_id: int, person_ids: list[int]) -> None:
        """Index rows pointing to no event: the event was removed, or the rows were forged."""
        for person_id in sorted(person_ids):
            if len(self.orphans) >= MAX_ORPHANS_LISTED:
                return
            self.orphans.append(
                ChainProblem(
                    None,
                    f"Ligne d'index de la personne n° {person_id} : rattachée à un événement "
                    f"inexistant (identifiant interne {event_id}) : événement supprimé ou "
                    "ligne insérée.",
                    LINKS,
                )
            )


class _Walk:
    """The legacy chain: feeds the verifier from the database, chunk by chunk."""

    def __init__(
        self,
        using: str,
        chunk_size: int,
        progress: Callable[[int], None] | None,
        anchors: Mapping[int, str],
    ) -> None:
        self.using = using
        self.chunk_size = chunk_size
        self.progress = progress
        self.anchors = dict(anchors)
        self.seen_anchors: set[int] = set()
        self.verifier = ChainVerifier()
        self.problems: list[ChainProblem] = []

    def _events(self, after: int | None = None, upto: int | None = None) -> Iterator[dict]:
        events = AuditEvent.objects.using(self.using).exclude(hash="").order_by("seq")
        if after is not None:
            events = events.filter(seq__gt=after)
        if upto is not None:
            events = events.filter(seq__lte=upto)
        return events.values().iterator(chunk_size=self.chunk_size)

    def run(self, after: int | None = None, upto: int | None = None) -> None:
        for row in self._events(after, upto):
            seq = row["seq"]
            self.verifier.feed(seq, row["prev_hash"], row["hash"], event_content(row))
            if seq in self.anchors:
                self._check_anchor(seq, row["hash"])
            if self.progress:
                self.progress(1)

    def _check_anchor(self, seq: int, stored_hash: str) -> None:
        self.seen_anchors.add(seq)
        if stored_hash != self.anchors[seq]:
            self.problems.append(
                ChainProblem(
                    seq,
                    f"Événement n° {seq} : son empreinte ne correspond plus à l'ancre notée "
                    "(journal réécrit depuis ce point ou avant).",
                    ANCHOR,
                )
            )

    def finish(self, head: tuple[int, str] | None) -> list[ChainProblem]:
        for seq in sorted(set(self.anchors) - self.seen_anchors):
            self.problems.append(
                ChainProblem(
                    seq,
                    f"Événement n° {seq} : introuvable, l'ancre notée ne peut pas être vérifiée "
                    "(ligne supprimée, ou numéro postérieur à l'ancien journal).",
                    ANCHOR,
                )
            )
        return self.verifier.finish(head) + self.problems


class _SealWalk:
    """The keyed chain: seals in order, each with its event."""

    def __init__(
        self,
        using: str,
        chunk_size: int,
        progress: Callable[[int], None] | None,
        keyring: Keyring,
        genesis: str,
        anchors: list[AnchorCheck],
        window: float,
    ) -> None:
        self.using = using
        self.chunk_size = chunk_size
        self.progress = progress
        self.keyring = keyring
        self.genesis = genesis
        self.anchors: dict[int, list[AnchorCheck]] = {}
        for anchor in anchors:
            self.anchors.setdefault(anchor.seq, []).append(anchor)
        self.window = window
        self.verifier: ChainVerifier | None = None
        self.problems: list[ChainProblem] = []
        self.unknown_keys: set[str] = set()
        self.late: list[int] = []
        self.late_count = 0
        self.count = 0

    def _hash(self, prev_hash: str, content: Mapping[str, Any]) -> str | None:
        key = self.keyring.get(content["key_id"])
        return None if key is None else keyed_hash(key, prev_hash, content)

    def _start(self, first: dict) -> ChainVerifier:
        genesis = self.genesis
        if first["seq"] == 1 and first["prev_hash"] != genesis:
            self.problems.append(
                ChainProblem(
                    None,
                    "Journal antérieur au scellement : il ne se termine plus par l'empreinte "
                    "que le premier scellement a enregistrée (anciens événements réécrits, "
                    "ajoutés ou supprimés en fin de journal).",
                    LEGACY_LINK,
                )
            )
            genesis = first["prev_hash"]
        return ChainVerifier(hasher=self._hash, genesis=genesis, noun=SEALS)

    def run(self, after: int | None = None, upto: int | None = None) -> None:
        seals = AuditSeal.objects.using(self.using).order_by("seq")
        if after is not None:
            seals = seals.filter(seq__gt=after)
        if upto is not None:
            seals = seals.filter(seq__lte=upto)
        for batch in _batches(seals.values().iterator(chunk_size=self.chunk_size), self.chunk_size):
            if self.verifier is None:
                self.verifier = self._start(batch[0])
            events = {
                row["id"]: row
                for row in AuditEvent.objects.using(self.using)
                .filter(pk__in=[seal["event_id"] for seal in batch])
                .values()
            }
            for seal in batch:
                self._feed(seal, events.get(seal["event_id"]))

    def _feed(self, seal: dict, event: dict | None) -> None:
        assert self.verifier is not None
        self.count += 1
        content = AuditSeal.chain_content(SimpleNamespace(**seal))  # type: ignore[arg-type]
        seq = seal["seq"]
        if seal["key_id"] not in self.keyring.keys and seal["key_id"] not in self.unknown_keys:
            self.unknown_keys.add(seal["key_id"])
            self.problems.append(
                ChainProblem(
                    seq,
                    f"Scellement n° {seq} : clé « {seal['key_id']} » inconnue, ses scellements "
                    "ne peuvent pas être vérifiés (ancienne clé à garder dans "
                    "OPENDUI_AUDIT_KEY_FILE, ou scellement falsifié).",
                    KEY,
                )
            )
        self.verifier.feed(seq, seal["prev_hash"], seal["hash"], content)
        if event is None:
            self.problems.append(
                ChainProblem(
                    seal["event_seq"],
                    f"Événement n° {seal['event_seq']} : supprimé alors qu'il était scellé "
                    f"(scellement n° {seq}).",
                    SEALED_EVENT,
                )
            )
        elif content_digest(event_content(event)) != seal["event_digest"]:
            self.problems.append(
                ChainProblem(
                    event["seq"],
                    f"Événement n° {event['seq']} : contenu modifié, il ne correspond plus à "
                    f"son scellement (n° {seq}) (ligne modifiée).",
                    SEALED_EVENT,
                )
            )
        elif (seal["sealed_at"] - event["occurred_at"]).total_seconds() > self.window:
            self.late_count += 1
            if len(self.late) < MAX_LISTED:
                self.late.append(event["seq"])
        for anchor in self.anchors.get(seq, ()):
            if anchor.hash != seal["hash"]:
                self.problems.append(
                    ChainProblem(
                        seq,
                        f"Scellement n° {seq} : son empreinte ne correspond plus à {anchor.label} "
                        "(journal réécrit depuis ce point ou avant).",
                        ANCHOR,
                    )
                )
        if self.progress:
            self.progress(1)

    @property
    def last_seq(self) -> int:
        return self.verifier.last_seq if self.verifier else 0

    def finish(self, head: tuple[int, str] | None) -> list[ChainProblem]:
        last = self.last_seq
        for seq, anchors in sorted(self.anchors.items()):
            if seq == 0:
                continue
            for anchor in anchors:
                if seq > last:
                    first = last + 1
                    numbers = f"n° {seq}" if first == seq else f"n° {first} à {seq}"
                    self.problems.append(
                        ChainProblem(
                            first,
                            f"Scellement{'s' if first != seq else ''} {numbers} : "
                            f"supprimé{'s' if first != seq else ''} en fin de journal "
                            f"({anchor.label} atteste le scellement n° {seq} ; le dernier "
                            f"présent est le n° {last}).",
                            ANCHOR,
                            seq if first != seq else None,
                        )
                    )
                    break
        if self.verifier is None:
            if head is not None and head[0] > 0:
                self.problems.append(
                    ChainProblem(
                        1,
                        f"Scellements n° 1 à {head[0]} : supprimés (la tête de chaîne scellée "
                        f"indique le n° {head[0]}, aucun scellement présent).",
                        ANCHOR,
                    )
                )
            return self.problems
        return self.verifier.finish(head) + self.problems


def _read_head(using: str) -> tuple[int, str] | None:
    return AuditChainHead.objects.using(using).filter(pk=1).values_list("seq", "hash").first()


def _read_seal_head(using: str) -> tuple[int, str] | None:
    return AuditSealHead.objects.using(using).filter(pk=1).values_list("seq", "hash").first()


def _unsealed(
    using: str, window: float, now: dt.datetime
) -> tuple[int, dt.datetime | None, list[ChainProblem]]:
    events = AuditEvent.objects.using(using).filter(hash="", seal__isnull=True)
    stats = events.aggregate(count=Count("id"), oldest=Min("occurred_at"))
    if not stats["count"]:
        return 0, None, []
    overdue = events.filter(occurred_at__lt=now - dt.timedelta(seconds=window))
    late_count = overdue.count()
    problems = []
    if late_count:
        seqs = list(overdue.order_by("seq").values_list("seq", flat=True)[:MAX_LISTED])
        oldest = timezone.localtime(stats["oldest"]).strftime("%d/%m/%Y %H:%M:%S")
        problems.append(
            ChainProblem(
                seqs[0],
                f"Événement{'s' if late_count > 1 else ''} {_numbers(seqs, late_count)} : "
                f"non scellé{'s' if late_count > 1 else ''} depuis plus de {window:g} s "
                f"(le plus ancien du {oldest}) : le scellement ne tourne pas "
                "(opendui worker), une transaction reste ouverte, ou ligne insérée hors de "
                "l'application.",
                UNSEALED,
            )
        )
    return stats["count"], stats["oldest"], problems


def verify_trail(
    *,
    using: str = "default",
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
    anchors: Mapping[int, str] | None = None,
    keyring: Keyring | None = None,
    seal_anchors: list[AnchorCheck] | None = None,
    window: float | None = None,
    now: dt.datetime | None = None,
) -> VerificationReport:
    """Walk the legacy chain, the keyed chain and the unsealed events; report what breaks.

    `anchors` maps legacy event numbers to hashes noted earlier (`--anchor N:HASH`);
    `seal_anchors` are the anchors of the keyed chain (anchors.py, or `--anchor sN:HASH`).
    `keyring` defaults to the configured keys (keys.AuditKeyError when none).
    """
    from django.conf import settings

    from .keys import load_keyring

    keyring = keyring or load_keyring()
    window = settings.AUDIT_SEAL_WINDOW if window is None else window
    connection = connections[using]
    counter = _Progress(progress, progress_every)
    links = _Links(using, chunk_size)
    legacy = _Walk(using, chunk_size, counter, anchors or {})
    if connection.vendor == "sqlite":
        context: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    else:
        context = transaction.atomic(using=using)
    outermost = not connection.in_atomic_block
    with context:
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        now = now or timezone.now()
        legacy.run()
        head = _read_head(using)
        problems: list[ChainProblem] = []
        if head is None:
            problems.append(
                ChainProblem(None, "La tête de chaîne (ligne n° 1 de AuditChainHead) a disparu.")
            )
        problems += sorted(legacy.finish(head), key=lambda p: (p.seq is None, p.seq or 0))
        genesis = legacy.verifier.last_hash
        checks = list(seal_anchors or ())
        for anchor in checks:
            if anchor.seq == 0 and anchor.hash != genesis:
                problems.append(
                    ChainProblem(
                        None,
                        f"Journal antérieur au scellement : sa dernière empreinte ne correspond "
                        f"plus à {anchor.label} (anciens événements réécrits).",
                        ANCHOR,
                    )
                )
        sealed = _SealWalk(using, chunk_size, counter, keyring, genesis, checks, window)
        sealed.run()
        # Read after the seals: seals committed meanwhile are walked too (SQLite).
        seal_head = _read_seal_head(using)
        if seal_head is not None and seal_head[0] > sealed.last_seq:
            sealed.run(after=sealed.last_seq, upto=seal_head[0])
        problems += sealed.finish(seal_head)
        unsealed, oldest, late = _unsealed(using, window, now)
        problems += late
        links.run()
        problems += sorted(links.problems, key=lambda p: p.seq or 0) + links.orphans
    warnings = []
    if sealed.late_count:
        warnings.append(
            f"{sealed.late_count} événement{'s' if sealed.late_count > 1 else ''} "
            f"({_numbers(sealed.late, sealed.late_count)}) scellé"
            f"{'s' if sealed.late_count > 1 else ''} plus de {window:g} s après leur écriture : "
            "scellement interrompu un temps, ou lignes insérées après coup."
        )
    return VerificationReport(
        checked=legacy.verifier.count + sealed.count + unsealed,
        problems=problems,
        head=head,
        anchors=dict(anchors or {}),
        sealed=sealed.count,
        unsealed=unsealed,
        oldest_unsealed=oldest,
        seal_head=seal_head,
        warnings=warnings,
    )


class _Progress:
    """Calls `report(count)` every `every` rows walked (legacy and sealed together)."""

    def __init__(self, report: Callable[[int], None] | None, every: int) -> None:
        self.report = report
        self.every = every
        self.count = 0

    def __call__(self, step: int) -> None:
        self.count += step
        if self.report and self.count % self.every == 0:
            self.report(self.count)

    def __bool__(self) -> bool:
        return self.report is not None
