"""The keyed chain: events written without a lock, sealed in batches with an HMAC key kept
outside the database, and `opendui audit verify` naming every kind of tampering.

Tampering is done as someone with the database owner's rights would (conftest.tampering),
without the key: that is exactly what the key is for.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.audit.chain import content_digest, keyed_hash
from opendui.audit.keys import AuditKeyError, key_id, load_keyring, parse_keys
from opendui.audit.models import AuditEvent, AuditEventPerson, AuditSeal, AuditSealHead, EventKind
from opendui.audit.sealing import event_content, legacy_head_hash, seal_pending
from opendui.audit.services import record
from opendui.audit.verify import verify_trail
from opendui.core.actor import Actor

from .conftest import KEY, OTHER_KEY, legacy_record, run_verify, sql, tampering, write_events

pytestmark = pytest.mark.django_db


def seal_row(seq: int) -> dict:
    return AuditSeal.objects.filter(seq=seq).values().get()


# --- the writer --------------------------------------------------------------------------


def test_an_event_is_written_without_locking_or_updating_a_shared_row(db):
    """Every audited request used to lock and update the single chain head row: all of
    them queued behind each other. Now the writer only inserts."""
    record(Actor.system("test"), EventKind.SYSTEM, "test.first")
    with CaptureQueriesContext(connection) as captured:
        event = record(Actor.system("test"), EventKind.ACCESS, "person.list", person_ids=[3, 1, 2])
    statements = [q["sql"].upper() for q in captured]
    assert not any("FOR UPDATE" in s for s in statements), statements
    assert not any(s.startswith("UPDATE") for s in statements), statements
    assert not any("AUDIT_AUDITCHAINHEAD" in s or "AUDIT_AUDITSEAL" in s for s in statements)
    # PostgreSQL: one round trip (event and person index); SQLite: the next number (read under
    # the database's single write lock), the event, its index.
    writes = [s for s in statements if "SAVEPOINT" not in s]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 3), writes
    assert sorted(
        AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)
    ) == [1, 2, 3]
    assert (event.prev_hash, event.hash) == ("", "")
    assert not AuditSeal.objects.exists()  # sealed later, by the sealer


def test_event_numbers_grow_and_the_legacy_head_no_longer_moves(db):
    legacy = legacy_record()
    from .conftest import skip_event_numbers_past_the_legacy_chain

    skip_event_numbers_past_the_legacy_chain()
    events = write_events(3)
    assert [e.seq for e in events] == sorted({e.seq for e in events})
    assert events[0].seq > legacy.seq
    from opendui.audit.models import AuditChainHead

    assert AuditChainHead.objects.get(pk=1).seq == legacy.seq


# --- the sealer --------------------------------------------------------------------------


def test_the_sealer_links_every_event_once_in_a_keyed_chain(trail):
    events = trail(5, sealed=False)
    assert seal_pending(batch_size=2) == 5  # three batches
    assert seal_pending() == 0  # nothing twice
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == [1, 2, 3, 4, 5]
    assert [s.event_id for s in seals] == [e.pk for e in events]
    previous = legacy_head_hash()
    for seal in seals:
        row = AuditEvent.objects.filter(pk=seal.event_id).values().get()
        assert seal.event_digest == content_digest(event_content(row))
        assert seal.key_id == key_id(KEY.encode())
        assert seal.prev_hash == previous
        assert seal.hash == keyed_hash(KEY.encode(), previous, seal.chain_content())
        previous = seal.hash
    head = AuditSealHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, previous)


def test_seals_are_append_only(trail):
    from django.db import DatabaseError, transaction

    from opendui.audit.models import AppendOnlyError

    trail(2)
    seal = AuditSeal.objects.get(seq=1)
    with pytest.raises(AppendOnlyError):
        seal.delete()
    with pytest.raises(AppendOnlyError):
        AuditSeal.objects.update(hash="0" * 64)
    for statement in ("UPDATE audit_auditseal SET hash = ''", "DELETE FROM audit_auditseal"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement)
    assert AuditSeal.objects.count() == 2


def test_sealing_needs_a_key_outside_the_database(trail, settings):
    settings.AUDIT_KEY = ""
    trail(2, sealed=False)
    with pytest.raises(AuditKeyError, match="OPENDUI_AUDIT_KEY"):
        seal_pending()
    assert not AuditSeal.objects.exists()
    result = run_verify()
    assert result.code == 2
    assert "Aucune clé d'audit" in result.err


def test_keys_text_last_key_is_current_and_short_keys_are_refused():
    ring = parse_keys(f"# old\n{OTHER_KEY}\n\n{KEY}\n", "file", "/k")
    assert ring.current_id == key_id(KEY.encode())
    assert set(ring.keys) == {key_id(KEY.encode()), key_id(OTHER_KEY.encode())}
    with pytest.raises(AuditKeyError, match="trop courte"):
        parse_keys("short", "environment")
    with pytest.raises(AuditKeyError, match="Aucune clé"):
        parse_keys("# nothing\n", "environment")


def test_key_file_is_read(settings, tmp_path):
    path = tmp_path / "audit.key"
    path.write_text(KEY + "\n")
    settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", str(path)
    assert load_keyring().current == KEY.encode()
    settings.AUDIT_KEY_FILE = str(tmp_path / "missing.key")
    with pytest.raises(AuditKeyError, match="illisible"):
        load_keyring()


# --- verify: intact -----------------------------------------------------------------------


def test_intact_sealed_trail_passes(trail):
    trail(7)
    result = run_verify("--no-anchors")
    assert result.code == 0, result.out
    assert result.findings == ["Journal d'audit intègre : 7 événements vérifiés."]


def test_recent_unsealed_events_are_counted_not_reported(trail):
    trail(3)
    write_events(2)
    result = run_verify("--no-anchors")
    assert result.code == 0, result.out
    assert any(line.startswith("En attente de scellement : 2 événements") for line in result.lines)
    assert result.lines[-1] == "Journal d'audit intègre : 5 événements vérifiés."


def test_legacy_chain_then_keyed_chain_verify_together(trail, legacy_trail):
    legacy_trail(4)
    trail(3)
    assert AuditSeal.objects.get(seq=1).prev_hash == legacy_head_hash()
    report = verify_trail()
    assert report.ok, report.problems
    assert (report.checked, report.sealed) == (7, 3)


# --- verify: tampering ---------------------------------------------------------------------


def test_modified_sealed_event_is_named(trail):
    events = trail(6)
    target = events[3]
    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'innocent' WHERE id = %s", [target.pk])
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0] == (
        f"Événement n° {target.seq} : contenu modifié, il ne correspond plus à son scellement "
        "(n° 4) (ligne modifiée)."
    )


def test_modified_event_with_its_seal_recomputed_without_the_key_is_named(trail):
    """The attacker updates the seal's digest and recomputes its hash as well as they can
    (with another key): the keyed hash gives it away, and the next seal's link too."""
    events = trail(6)
    target = events[3]
    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'innocent' WHERE id = %s", [target.pk])
        row = AuditEvent.objects.filter(pk=target.pk).values().get()
        seal = AuditSeal.objects.get(seq=4)
        seal.event_digest = content_digest(event_content(row))
        forged = keyed_hash(b"guessed-key", seal.prev_hash, seal.chain_content())
        sql(
            "UPDATE audit_auditseal SET event_digest = %s, hash = %s WHERE seq = 4",
            [seal.event_digest, forged],
        )
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0].startswith("Scellement n° 4 : contenu modifié")


def test_rewritten_keyed_chain_is_detected_without_the_key(trail):
    """A database administrator rewrites every seal from n° 2 on, consistently, with a key of
    their own: a plain hash chain would verify; the keyed one cannot be recomputed."""
    events = trail(5)
    with tampering():
        sql("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [events[1].pk])
        previous = seal_row(1)["hash"]
        for seq in range(2, 6):
            seal = AuditSeal.objects.get(seq=seq)
            row = AuditEvent.objects.filter(pk=seal.event_id).values().get()
            seal.event_digest = content_digest(event_content(row))
            seal.prev_hash = previous
            seal.hash = keyed_hash(b"attacker-key", previous, seal.chain_content())
            sql(
                "UPDATE audit_auditseal SET event_digest = %s, prev_hash = %s, hash = %s "
                "WHERE seq = %s",
                [seal.event_digest, previous, seal.hash, seq],
            )
            previous = seal.hash
        sql("UPDATE audit_auditsealhead SET hash = %s", [previous])
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0] == (
        "Scellements n° 2 à 5 : contenu modifié, ils ne correspondent plus à leur empreinte "
        "(lignes modifiées)."
    )


def test_inserted_event_is_reported_once_the_window_has_passed(trail):
    """An event slipped into the table by hand, dated in the past, has no seal."""
    trail(4)
    with tampering():
        sql(
            "INSERT INTO audit_auditevent (seq, occurred_at, kind, action, user_id, user_label, "
            "organisation_id, object_type, object_id, person_ids, details, break_glass, reason, "
            "prev_hash, hash) VALUES (9999, %s, 'access', 'person.view', NULL, 'faussaire', 1, "
            "'', '', '[]', '{}', false, '', '', '')",
            [timezone.now() - dt.timedelta(days=3)],
        )
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0].startswith(
        "Événement n° 9999 : non scellé depuis plus de 300 s (le plus ancien du "
    )


def test_unsealed_events_older_than_the_window_fail(trail, settings):
    """The sealer is not running: within the window that is normal, beyond it a failure."""
    events = trail(3, sealed=False)
    assert run_verify("--no-anchors").code == 0
    later = timezone.now() + dt.timedelta(seconds=301)
    report = verify_trail(now=later)
    assert [p.kind for p in report.problems] == ["unsealed"]
    assert report.problems[0].message.startswith(
        f"Événements n° {events[0].seq}, {events[1].seq}, {events[2].seq} : non scellés depuis "
        "plus de 300 s"
    )
    settings.AUDIT_SEAL_WINDOW = 3600
    assert verify_trail(now=later).ok


def test_removed_sealed_event_is_named(trail):
    events = trail(6)
    target = events[1]  # concerns no person
    with tampering():
        sql("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[:1] == [
        f"Événement n° {target.seq} : supprimé alors qu'il était scellé (scellement n° 2)."
    ]


def test_removed_event_and_its_seal_are_named(trail):
    events = trail(6)
    with tampering():
        sql("DELETE FROM audit_auditseal WHERE seq = 3")
        sql("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0] == (
        "Scellement n° 3 : supprimé (la numérotation passe du n° 2 au n° 4 : lignes supprimées)."
    )


def test_removed_person_index_rows_are_named_sealed_or_not(trail):
    sealed = trail(4)[3]  # persons 101 and 102
    unsealed = write_events(1)[0]  # persons 101 and 102
    with tampering():
        sql(
            "DELETE FROM audit_auditeventperson WHERE event_id IN (%s, %s) AND person_id = 102",
            [sealed.pk, unsealed.pk],
        )
    result = run_verify("--no-anchors")
    assert result.code == 1
    message = (
        "index des personnes concernées altéré (lien(s) supprimé(s) vers la ou les personnes "
        "n° 102) (lignes d'index modifiées)."
    )
    assert result.findings[:2] == [
        f"Événement n° {sealed.seq} : {message}",
        f"Événement n° {unsealed.seq} : {message}",
    ]


def test_legacy_chain_rewritten_with_its_head_is_caught_by_the_first_seal(trail, legacy_trail):
    """Without anchors the legacy chain could be rewritten whole, head included; once the keyed
    chain has started on it, the first seal holds its last hash."""
    from opendui.audit.chain import event_hash
    from opendui.audit.models import AuditChainHead

    from .conftest import event_row

    legacy_trail(4)
    trail(2)
    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'innocent' WHERE seq = 2")
        previous = event_row(1)["hash"]
        for seq in range(2, 5):
            digest = event_hash(previous, event_content(event_row(seq)))
            sql(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [previous, digest, seq],
            )
            previous = digest
        AuditChainHead.objects.filter(pk=1).update(hash=previous)
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0].startswith(
        "Journal antérieur au scellement : il ne se termine plus par l'empreinte"
    )


def test_key_rotation_keeps_old_seals_verifiable(trail, settings):
    trail(2)
    settings.AUDIT_KEY = f"{KEY} {OTHER_KEY}"  # a new current key, the old one kept
    write_events(2)
    assert seal_pending() == 2
    assert list(AuditSeal.objects.order_by("seq").values_list("key_id", flat=True)) == [
        key_id(KEY.encode()),
        key_id(KEY.encode()),
        key_id(OTHER_KEY.encode()),
        key_id(OTHER_KEY.encode()),
    ]
    assert run_verify("--no-anchors").code == 0
    settings.AUDIT_KEY = OTHER_KEY  # the old key dropped: its seals cannot be checked
    result = run_verify("--no-anchors")
    assert result.code == 1
    assert result.findings[0].startswith(
        f"Scellement n° 1 : clé « {key_id(KEY.encode())} » inconnue"
    )
