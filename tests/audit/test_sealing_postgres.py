"""PostgreSQL: the sealer never skips an event whose transaction commits late.

Ids and numbers are taken when a row is inserted, not when it commits: a request's
event can get a lower id than one committed before it. Two real connections: one
keeps a transaction open with an event in it while the other writes and seals.
"""

from __future__ import annotations

import pytest
from django.db import connection

from opendui.audit.models import AuditEvent, AuditSeal, EventKind
from opendui.audit.sealing import seal_pending
from opendui.audit.services import record
from opendui.audit.verify import verify_trail
from opendui.core.actor import Actor

pytestmark = [
    # The fixture by name: the shared conftest lifts the append-only triggers for the final
    # flush of a transactional test.
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises writers and sealer"
    ),
]


def other_connection():
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


def insert_event(conn, action: str) -> int:
    """What `services.record` inserts, from another connection (its transaction stays open)."""
    return conn.execute(
        "INSERT INTO audit_auditevent (seq, occurred_at, kind, action, user_id, user_label, "
        "address, organisation_id, facility_id, object_type, object_id, person_ids, details, "
        "break_glass, reason, prev_hash, hash) VALUES (nextval('audit_auditevent_number'), "
        "now(), 'system', %s, NULL, 'test', NULL, NULL, NULL, '', '', '[]', '{}', false, '', "
        "'', '') RETURNING id",
        [action],
    ).fetchone()[0]


def sealed_actions() -> list[str]:
    return list(AuditSeal.objects.order_by("seq").values_list("event__action", flat=True))


def test_an_event_committed_late_is_sealed_later_never_skipped():
    actor = Actor.system("test")
    record(actor, EventKind.SYSTEM, "before")  # committed before the slow transaction began
    slow = other_connection()
    try:
        slow_id = insert_event(slow, "slow")  # not committed yet
        after = record(actor, EventKind.SYSTEM, "after")  # committed, with a higher id
        assert after.pk > slow_id

        # The slow transaction is still running: only what ended before it may be sealed.
        assert seal_pending() == 1
        assert sealed_actions() == ["before"]
        report = verify_trail()
        assert report.ok and report.unsealed == 1  # "after" waits; "slow" is not visible

        slow.commit()
        assert seal_pending() == 2
        # The chain's order is the sealing order: by transaction, not by id.
        assert sealed_actions() == ["before", "slow", "after"]
        assert seal_pending() == 0
    finally:
        slow.close()
    report = verify_trail()
    assert report.ok, report.problems
    assert (report.sealed, report.unsealed) == (3, 0)


def test_an_event_rolled_back_leaves_nothing_to_seal_and_no_alarm():
    actor = Actor.system("test")
    slow = other_connection()
    try:
        insert_event(slow, "rolled back")
        record(actor, EventKind.SYSTEM, "kept")
        slow.rollback()
    finally:
        slow.close()
    assert seal_pending() == 1
    assert sealed_actions() == ["kept"]
    report = verify_trail()  # the unused number is not a removed event
    assert report.ok, report.problems
    assert not AuditEvent.objects.filter(action="rolled back").exists()


def test_two_sealers_never_seal_the_same_event_twice():
    actor = Actor.system("test")
    for n in range(3):
        record(actor, EventKind.SYSTEM, f"e{n}")
    other = other_connection()
    try:
        other.execute("SELECT 1 FROM audit_auditsealhead FOR UPDATE")  # absent: nothing locked
        other.rollback()
        assert seal_pending() == 3
        other.execute("SELECT 1 FROM audit_auditsealhead WHERE id = 1 FOR UPDATE")
        record(actor, EventKind.SYSTEM, "e3")
        assert seal_pending() == 0  # another sealer holds the head: this one steps aside
        other.rollback()
        assert seal_pending() == 1
    finally:
        other.close()
    assert AuditSeal.objects.count() == 4


def test_a_transaction_left_open_in_another_database_does_not_hold_the_sealer_back():
    """Transaction ids are server-wide: a session idle in a transaction in another database of
    the same server is in every snapshot, but can write nothing here."""
    import psycopg

    params = connection.get_connection_params()
    params = {
        k: v for k, v in params.items() if v is not None and k not in {"cursor_factory", "context"}
    }
    params["dbname"] = "postgres"  # the server's maintenance database: nothing is written
    elsewhere = psycopg.connect(**params)
    try:
        elsewhere.execute("SELECT pg_current_xact_id()")  # takes an id, stays open
        record(Actor.system("test"), EventKind.SYSTEM, "here")
        assert seal_pending() == 1
    finally:
        elsewhere.rollback()
        elsewhere.close()
