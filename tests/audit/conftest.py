"""Helpers for audit tests: writing events, tampering with the trail as an attacker would,
and running `opendui audit verify`."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection

from opendui.audit.chain import event_hash
from opendui.audit.models import AuditChainHead, AuditEvent, EventKind
from opendui.audit.services import record
from opendui.audit.triggers import create_triggers, drop_triggers
from opendui.audit.verify import event_content
from opendui.core.actor import Actor


@contextlib.contextmanager
def tampering() -> Iterator[None]:
    """Lift the append-only triggers, as someone with the database owner's rights could.

    Inside the test's transaction on both SQLite and PostgreSQL (DDL is
    transactional there); the triggers are put back afterwards.
    """
    drop_triggers(connection)
    try:
        yield
    finally:
        create_triggers(connection)


def sql(statement: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def event_row(seq: int) -> dict:
    return AuditEvent.objects.filter(seq=seq).values().get()


def renumber(from_seq: int, shift: int) -> None:
    """Move events n° from_seq and after by `shift` (one at a time: seq is unique)."""
    seqs = AuditEvent.objects.filter(seq__gte=from_seq).values_list("seq", flat=True)
    for seq in sorted(seqs, reverse=shift > 0):
        sql("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq + shift, seq])


def insert_forged(seq: int, prev_hash: str, **fields) -> str:
    """Insert a self-consistent forged event (its hash matches its own content)."""
    row = {
        "seq": seq,
        "occurred_at": AuditEvent.objects.order_by("seq").values_list("occurred_at", flat=True)[0],
        "kind": EventKind.ACCESS.value,
        "action": "person.view",
        "user_id": None,
        "user_label": "faussaire@test.example",
        "address": None,
        "organisation_id": None,
        "facility_id": None,
        "object_type": "",
        "object_id": "",
        "person_ids": [],
        "details": {},
        "break_glass": False,
        "reason": "",
        **fields,
    }
    forged_hash = event_hash(prev_hash, event_content(row))
    AuditEvent(**row, prev_hash=prev_hash, hash=forged_hash).save(force_insert=True)
    return forged_hash


@dataclass
class VerifyResult:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.strip().splitlines()


def run_verify(*args: str) -> VerifyResult:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return VerifyResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def trail(db):
    """Write `n` events (every third one about persons 101 and 102); returns their seqs."""

    def _trail(n: int = 8) -> list[int]:
        actor = Actor.system("test")
        start = AuditChainHead.objects.get(pk=1).seq
        for i in range(n):
            record(
                actor,
                EventKind.ACCESS,
                "person.view",
                person_ids=[101, 102] if i % 3 == 0 else [],
                details={"i": i, "texte": "accentué ✓"},
                organisation_id=1,
            )
        return list(range(start + 1, start + n + 1))

    return _trail
