"""Check the whole audit trail against its hash chain (`opendui audit verify`).

The walk reads `values()` dicts in chunks (memory stays flat at millions of
rows), recomputes each hash from exactly what `AuditEvent.chain_content()`
covers, compares the newest event with the chain head, and checks that the
person index rows (AuditEventPerson) of each event match its `person_ids`.

Consistency while the application keeps writing: on PostgreSQL the walk runs
in one read-only REPEATABLE READ transaction (one snapshot). On SQLite a long
transaction would hold the write lock (the connection opens IMMEDIATE
transactions), so the walk reads without one; the head is read *after* the
rows, and any row committed meanwhile is walked too before the head is
compared, so concurrent writers never cause a false alarm.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, OuterRef

from .chain import ANCHOR, LINKS, ChainProblem, ChainVerifier
from .models import AuditChainHead, AuditEvent, AuditEventPerson

CHUNK_SIZE = 5000
PROGRESS_EVERY = 100_000
MAX_ORPHANS_LISTED = 100


def event_content(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the hash covers, from a `values()` row: the model's own `chain_content()`,
    applied to the row's values, so the list of covered fields lives in one place."""
    return AuditEvent.chain_content(SimpleNamespace(**values))  # type: ignore[arg-type]


@dataclass
class VerificationReport:
    checked: int
    problems: list[ChainProblem]
    head: tuple[int, str] | None = None
    anchors: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


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


class _Walk:
    """Feeds the verifier from the database, chunk by chunk, checking index rows on the way."""

    def __init__(
        self,
        using: str,
        chunk_size: int,
        progress: Callable[[int], None] | None,
        progress_every: int,
        anchors: Mapping[int, str],
    ) -> None:
        self.using = using
        self.chunk_size = chunk_size
        self.progress = progress
        self.progress_every = progress_every
        self.anchors = dict(anchors)
        self.seen_anchors: set[int] = set()
        self.verifier = ChainVerifier()
        self.problems: list[ChainProblem] = []

    def _events(self, after: int | None = None, upto: int | None = None) -> Iterator[dict]:
        events = AuditEvent.objects.using(self.using).order_by("seq")
        if after is not None:
            events = events.filter(seq__gt=after)
        if upto is not None:
            events = events.filter(seq__lte=upto)
        return events.values().iterator(chunk_size=self.chunk_size)

    def _batches(self, rows: Iterator[dict]) -> Iterator[list[dict]]:
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.chunk_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def run(self, after: int | None = None, upto: int | None = None) -> None:
        for batch in self._batches(self._events(after, upto)):
            self._check_links(batch)
            for row in batch:
                seq = row["seq"]
                self.verifier.feed(seq, row["prev_hash"], row["hash"], event_content(row))
                if seq in self.anchors:
                    self._check_anchor(seq, row["hash"])
                if self.progress and self.verifier.count % self.progress_every == 0:
                    self.progress(self.verifier.count)

    def _check_links(self, batch: list[dict]) -> None:
        """One query per chunk: the index rows of the chunk's events.

        Selected by event id range on the foreign key's index (ids grow with seq,
        so the range is tight); rows of events outside the chunk are ignored here
        and counted with their own chunk.
        """
        ids = {row["id"] for row in batch}
        found: dict[int, list[int]] = {}
        links = AuditEventPerson.objects.using(self.using).filter(
            event_id__gte=min(ids), event_id__lte=max(ids)
        )
        for event_id, person_id in links.values_list("event_id", "person_id").iterator():
            if event_id in ids:
                found.setdefault(event_id, []).append(person_id)
        for row in batch:
            expected = row["person_ids"] or []
            actual = sorted(found.get(row["id"], ()))
            if actual != expected:
                expected_counts = Counter(int(pk) for pk in expected)
                if Counter(actual) != expected_counts:
                    self.problems.append(
                        _links_problem(row["seq"], expected_counts, Counter(actual))
                    )

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
                    "(ligne supprimée).",
                    ANCHOR,
                )
            )
        self.problems.extend(self._orphan_links())
        problems = self.verifier.finish(head) + self.problems
        return sorted(problems, key=lambda p: (p.seq is None, p.seq or 0))

    def _orphan_links(self) -> list[ChainProblem]:
        """Index rows pointing to no event: the event was removed, or the row was forged."""
        orphans = (
            AuditEventPerson.objects.using(self.using)
            .filter(~Exists(AuditEvent.objects.filter(pk=OuterRef("event_id"))))
            .order_by("pk")
            .values_list("pk", "event_id", "person_id")[:MAX_ORPHANS_LISTED]
        )
        return [
            ChainProblem(
                None,
                f"Ligne d'index n° {pk} : rattachée à un événement inexistant (identifiant "
                f"interne {event_id}, personne n° {person_id}) : événement supprimé ou ligne "
                "insérée.",
                LINKS,
            )
            for pk, event_id, person_id in orphans
        ]


def _read_head(using: str) -> tuple[int, str] | None:
    return AuditChainHead.objects.using(using).filter(pk=1).values_list("seq", "hash").first()


def verify_trail(
    *,
    using: str = "default",
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
    anchors: Mapping[int, str] | None = None,
) -> VerificationReport:
    """Walk every audit event in seq order and report what breaks the chain.

    `anchors` maps event numbers to hashes noted earlier outside the database
    (see `opendui audit head`): they catch a trail rewritten from some point on,
    head included, which the chain alone cannot.
    """
    connection = connections[using]
    walk = _Walk(using, chunk_size, progress, progress_every, anchors or {})
    if connection.vendor == "sqlite":
        context: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    else:
        context = transaction.atomic(using=using)
    outermost = not connection.in_atomic_block
    with context:
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        walk.run()
        # Read after the rows: every row seen was committed with its head update.
        head = _read_head(using)
        if head is not None and head[0] > walk.verifier.last_seq:
            walk.run(after=walk.verifier.last_seq, upto=head[0])  # committed meanwhile
        if head is None:
            walk.problems.append(
                ChainProblem(None, "La tête de chaîne (ligne n° 1 de AuditChainHead) a disparu.")
            )
        problems = walk.finish(head)
    return VerificationReport(walk.verifier.count, problems, head, dict(anchors or {}))
