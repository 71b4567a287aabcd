"""Helpers for audit tests: writing events (new writer and legacy chain), sealing,
tampering with the trail as an attacker would, and running `opendui audit verify`."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from opendui.audit.chain import event_hash
from opendui.audit.keys import load_keyring
from opendui.audit.models import AuditChainHead, AuditEvent, EventKind
from opendui.audit.sealing import seal_pending
from opendui.audit.services import _stored_address, json_safe, record
from opendui.audit.triggers import create_triggers, drop_triggers
from opendui.audit.verify import event_content
from opendui.core.actor import Actor

KEY = "test-audit-key-" + "k" * 40
OTHER_KEY = "another-test-audit-key-" + "o" * 40

# Lines of `audit verify` that inform without reporting a problem.
INFO_PREFIXES = ("Avertissement :", "Ancres vérifiées :", "En attente de scellement :")


@pytest.fixture(autouse=True)
def audit_settings(settings, tmp_path):
    """A key outside the database, and an empty anchor folder of this test's own."""
    settings.AUDIT_KEY = KEY
    settings.AUDIT_KEY_FILE = ""
    settings.AUDIT_DEMO_KEY_FILE = str(tmp_path / "no-demo.key")
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    settings.AUDIT_ANCHOR_S3_BUCKET = ""
    settings.AUDIT_SEAL_WINDOW = 300
    return settings


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
    """Insert a self-consistent forged legacy event (its hash matches its own content)."""
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


def legacy_record(action: str = "person.view", **fields) -> AuditEvent:
    """An event as the writer before keyed sealing made it: numbered and sha256-chained under
    the chain head, which it moves (the trail an upgraded installation starts from)."""
    from opendui.audit.models import AuditEventPerson

    head = AuditChainHead.objects.get(pk=1)
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        kind=fields.pop("kind", EventKind.ACCESS.value),
        action=action,
        user_label=fields.pop("user_label", "test"),
        address=_stored_address(fields.pop("address", None)),
        details=json_safe(fields.pop("details", {})),
        prev_hash=head.hash,
        **fields,
    )
    event.hash = event_hash(head.hash, event.chain_content())
    event.save(force_insert=True)
    for person_id in event.person_ids:
        AuditEventPerson(event=event, person_id=person_id).save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass
class VerifyResult:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.strip().splitlines()

    @property
    def findings(self) -> list[str]:
        """The problem lines and the last line, without the informative ones."""
        return [line for line in self.lines if not line.startswith(INFO_PREFIXES)]


def run_verify(*args: str) -> VerifyResult:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return VerifyResult(code, out.getvalue(), err.getvalue())


def write_events(n: int, start: int = 0) -> list[AuditEvent]:
    """`n` events through the application's writer (every third one about persons 101, 102)."""
    actor = Actor.system("test")
    return [
        record(
            actor,
            EventKind.ACCESS,
            "person.view",
            person_ids=[101, 102] if i % 3 == 0 else [],
            details={"i": i, "texte": "accentué ✓"},
            organisation_id=1,
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def trail(db):
    """Write `n` events with the application's writer and seal them; returns the events."""

    def _trail(n: int = 8, *, sealed: bool = True) -> list[AuditEvent]:
        events = write_events(n)
        if sealed:
            seal_pending(keyring=load_keyring())
        return events

    return _trail


@pytest.fixture
def legacy_trail(db):
    """Write `n` events of the legacy chain (numbered 1..n on an empty trail); their seqs."""

    def _trail(n: int = 8) -> list[int]:
        seqs = [
            legacy_record(
                person_ids=[101, 102] if i % 3 == 0 else [],
                details={"i": i, "texte": "accentué ✓"},
                organisation_id=1,
            ).seq
            for i in range(n)
        ]
        skip_event_numbers_past_the_legacy_chain()
        return seqs

    return _trail


def skip_event_numbers_past_the_legacy_chain() -> None:
    """PostgreSQL: what migration 0004 does once, numbers of new events after the old ones."""
    if connection.vendor == "postgresql":
        sql(
            "SELECT setval('audit_auditevent_number', GREATEST("
            "(SELECT last_value FROM audit_auditevent_number), "
            "(SELECT COALESCE(max(seq), 1) FROM audit_auditevent)))"
        )
