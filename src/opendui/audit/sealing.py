"""The sealer: links the events written without a lock into the keyed chain, in batches.

Request writers (`services.record`) only insert events; they never wait for each
other. The sealer, run every few seconds by the worker (`jobs/schedule.py`) and by
`opendui audit seal`, appends one `AuditSeal` per new event: its number in the
keyed chain, the event's content digest, and an HMAC over the previous seal's hash
with a key that the database does not hold. The order of the chain is the sealing
order, not the event ids. Event rows are never updated (they stay append-only).

Which events can be sealed:

- **PostgreSQL.** Ids and numbers are taken before commit, so an event with a
  lower id can become visible after the sealer has passed it. Each event records
  its transaction id (`txid`, a column default); the sealer seals only events of
  transactions older than the oldest one of this database still running (from the
  current snapshot, `pg_current_snapshot()`, less the transactions of other
  databases on the same server): such a transaction has ended and can gain no row,
  so nothing is ever skipped. An event whose transaction is still open is sealed by
  a later run. `AuditSealHead.low_txid` remembers below which
  transaction everything is sealed, so a run reads only recent transactions.
- **SQLite.** Writers are serialised and the sealer's transaction holds the write
  lock (IMMEDIATE): every event is committed or absent, and ids follow commit
  order; the sealer seals the events after the newest one it sealed.

One sealer at a time: it locks `AuditSealHead` (another sealer finding it locked
on PostgreSQL returns at once). The first seal links to the legacy chain's head.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from .chain import GENESIS, content_digest, keyed_hash
from .keys import Keyring, load_keyring
from .models import AuditChainHead, AuditEvent, AuditSeal, AuditSealHead

SEAL_BATCH = 2000


def event_content(values: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's digest covers, from a `values()` row: the model's own
    `chain_content()` applied to the row, so the covered fields live in one place."""
    return AuditEvent.chain_content(SimpleNamespace(**values))  # type: ignore[arg-type]


def legacy_head_hash(using: str = "default") -> str:
    """Where the keyed chain starts: the hash of the newest event of the legacy chain."""
    head = AuditChainHead.objects.using(using).filter(pk=1).values_list("hash", flat=True)
    return head.first() or GENESIS


def _lock_head(using: str) -> AuditSealHead | None:
    """The sealer's row, locked; None when another sealer holds it (PostgreSQL)."""
    vendor = connections[using].vendor
    heads = AuditSealHead.objects.using(using)
    locked = heads.select_for_update(skip_locked=True) if vendor == "postgresql" else heads
    head = locked.filter(pk=1).first()
    if head is not None:
        return head
    if heads.filter(pk=1).exists():
        return None
    heads.bulk_create(
        [AuditSealHead(pk=1, seq=0, hash=legacy_head_hash(using))], ignore_conflicts=True
    )
    return locked.filter(pk=1).first()


# Transactions of *other* databases of the same server, among those running: their ids are
# in every snapshot (ids are server-wide), but they cannot write into this database, so they
# must not hold the sealer back (a session left "idle in transaction" elsewhere would stop
# sealing here). Owners found by their transaction lock (visible whatever the role) and by
# pg_stat_activity; an id found in neither is taken as this database's (it only waits).
_OTHER_DATABASES = """
    SELECT l.transactionid::text::bigint FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
      AND a.datname IS DISTINCT FROM current_database()
    UNION
    SELECT backend_xid::text::bigint FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
"""


def _widen(xid: int, near: int) -> int:
    """A 32-bit transaction id as the 64-bit one of its epoch (running ids are within 2^31
    of the next id to be assigned, `near`)."""
    full = (near & ~0xFFFFFFFF) | xid
    return full - (1 << 32) if full > near else full


def _transactions(using: str) -> tuple[int, int | None]:
    """(bound, own): every event of a transaction below `bound` is committed or gone (no
    transaction of this database below it is running); `own` is the sealer's transaction.

    The snapshot is read first; the owners of its running transactions after it: a
    transaction that starts in between gets an id above the snapshot's `xmax`."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmax(s)::text::bigint, "
            "ARRAY(SELECT pg_snapshot_xip(s)::text::bigint), "
            "pg_current_xact_id_if_assigned()::text::bigint "
            "FROM pg_current_snapshot() AS s"
        )
        xmax, running, own = cursor.fetchone()
        if not running:
            return xmax, own
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh, not the transaction's copy
        cursor.execute(_OTHER_DATABASES)
        elsewhere = {_widen(xid, xmax) for (xid,) in cursor.fetchall()}
    return min([xid for xid in running if xid not in elsewhere] + [xmax]), own


def _candidates(head: AuditSealHead, limit: int, using: str) -> tuple[list[dict], int | None]:
    """The next events to seal, in sealing order, and (PostgreSQL) the transaction bound."""
    events = AuditEvent.objects.using(using).filter(hash="")
    if connections[using].vendor == "postgresql":
        # Read the bound first: the next statement's snapshot sees every transaction
        # below it that committed. The sealer's own events (when it is called in a
        # transaction that wrote some) commit or vanish with their seals: sealed too.
        bound, own = _transactions(using)
        ended = Q(txid__gte=head.low_txid, txid__lt=bound)
        rows = (
            events.filter(ended | Q(txid=own) if own is not None else ended)
            .filter(seal__isnull=True)
            .order_by("txid", "id")
            .values()[:limit]
        )
        return list(rows), bound
    rows = events.filter(pk__gt=head.last_event_id).order_by("id").values()[:limit]
    return list(rows), None


def build_seals(
    rows: list[dict], first_seq: int, prev_hash: str, keyring: Keyring, sealed_at: Any
) -> list[AuditSeal]:
    """The seals of `rows`, numbered from `first_seq`, chained from `prev_hash`."""
    seals = []
    for offset, row in enumerate(rows):
        seal = AuditSeal(
            seq=first_seq + offset,
            event_id=row["id"],
            event_seq=row["seq"],
            event_digest=content_digest(event_content(row)),
            sealed_at=sealed_at,
            key_id=keyring.current_id,
            prev_hash=prev_hash,
        )
        seal.hash = keyed_hash(keyring.current, prev_hash, seal.chain_content())
        prev_hash = seal.hash
        seals.append(seal)
    return seals


def seal_pending(
    *, batch_size: int = SEAL_BATCH, using: str = "default", keyring: Keyring | None = None
) -> int:
    """Seal every event that can be sealed now, batch after batch; the number sealed.

    Raises keys.AuditKeyError (French) when no key is configured."""
    keyring = keyring or load_keyring()
    total = 0
    while True:
        with transaction.atomic(using=using):
            head = _lock_head(using)
            if head is None:
                return total
            rows, bound = _candidates(head, batch_size, using)
            if not rows:
                return total
            sealed_at = timezone.now()  # one per batch
            seals = build_seals(rows, head.seq + 1, head.hash, keyring, sealed_at)
            AuditSeal.objects.using(using).bulk_create(seals)
            head.seq, head.hash = seals[-1].seq, seals[-1].hash
            if bound is not None:
                # A full batch may leave events of its last transaction: restart there.
                full = len(rows) == batch_size
                head.low_txid = min(bound, rows[-1]["txid"]) if full else bound
            else:
                head.last_event_id = rows[-1]["id"]
            head.save(using=using, update_fields=["seq", "hash", "low_txid", "last_event_id"])
        total += len(rows)
        if len(rows) < batch_size:
            return total
