"""`opendui audit verify` on the legacy chain: events written before keyed sealing still
verify as before, and tampering with them is named.

Each test tampers as someone with direct database access would, after lifting
the append-only triggers (see conftest.tampering). The keyed chain has its own
tests (test_keyed_chain.py).
"""

from __future__ import annotations

import pytest

from opendui.audit.chain import GENESIS
from opendui.audit.models import AuditChainHead, AuditEvent, EventKind
from opendui.audit.services import record
from opendui.audit.verify import event_content, verify_trail
from opendui.core.actor import Actor

from .conftest import event_row, insert_forged, renumber, run_verify, sql, tampering

pytestmark = pytest.mark.django_db


def test_empty_trail_is_intact():
    result = run_verify()
    assert result.code == 0
    assert result.findings == ["Journal d'audit intègre : 0 événements vérifiés."]


def test_intact_trail_passes(legacy_trail):
    legacy_trail(12)
    result = run_verify()
    assert result.code == 0, result.out
    assert result.findings == ["Journal d'audit intègre : 12 événements vérifiés."]


def test_content_is_what_the_model_hashes(legacy_trail):
    legacy_trail(2)
    event = AuditEvent.objects.get(seq=2)
    assert event_content(event_row(2)) == event.chain_content()


def test_values_that_databases_rewrite_still_verify(db):
    """Addresses and numbers come back from the database in a normalised form; the digest must
    be computed on that form, or an intact trail would look tampered with."""
    from opendui.audit.sealing import seal_pending

    for address in ("::ffff:192.0.2.1", "2001:DB8:0:0::1", "192.0.2.7", "", None):
        record(
            Actor(user=None, address=address, label="test"),
            EventKind.SECURITY,
            "auth.login",
            details={
                "big": 1e20,
                "small": 1.5e-7,
                "zero": -0.0,
                "nested": {"b": [1, 2.5, "é"], "a": None},
            },
        )
    assert seal_pending() == 5
    result = run_verify()
    assert result.code == 0, result.out


def test_modified_row_is_named(legacy_trail):
    legacy_trail(8)
    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'innocent' WHERE seq = 5")
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 5 : contenu modifié")
    assert result.findings[-1] == "Journal d'audit altéré : 1 anomalie sur 8 événements vérifiés."


def test_modified_row_with_recomputed_hash_is_named(legacy_trail):
    """The attacker recomputes the changed row's hash: the next row's link gives it away."""
    legacy_trail(8)
    row = event_row(5)
    row["user_label"] = "innocent"
    from opendui.audit.chain import event_hash

    with tampering():
        sql(
            "UPDATE audit_auditevent SET user_label = %s, hash = %s WHERE seq = 5",
            ["innocent", event_hash(row["prev_hash"], event_content(row))],
        )
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 5 : remplacé, ou modifié")
    assert "n° 6" in result.findings[0]


def test_inserted_row_in_the_middle_is_named(legacy_trail):
    """To insert between n° 4 and 5 the attacker must renumber 5.. to make room; the forged row
    itself is chained correctly and carries a valid hash."""
    legacy_trail(8)
    with tampering():
        renumber(5, 1)
        insert_forged(5, event_row(4)["hash"], action="person.view", person_ids=[])
    result = run_verify()
    assert result.code == 1
    assert result.findings[:2] == [
        "Événement n° 5 : inséré (l'événement suivant, n° 6, est chaîné directement au n° 4).",
        "Événements n° 6 à 9 : renumérotés, ils portaient les n° 5 à 8 "
        "(lignes insérées ou supprimées avant eux).",
    ]


def test_row_appended_beyond_the_head_is_named(legacy_trail):
    """Inserting after the newest event without going through the writer leaves the head behind."""
    legacy_trail(6)
    with tampering():
        insert_forged(7, event_row(6)["hash"])
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 7 : ajouté après la tête de chaîne (n° 6)")


def test_row_with_a_forged_number_before_the_first_is_named(legacy_trail):
    legacy_trail(4)
    with tampering():
        insert_forged(0, GENESIS)
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 0 : numéro en double ou hors séquence")


def test_removed_row_in_the_middle_is_named(legacy_trail):
    legacy_trail(8)  # n° 5 concerns no person: no index row to remove with it
    with tampering():
        sql("DELETE FROM audit_auditevent WHERE seq = 5")
    result = run_verify()
    assert result.code == 1
    assert result.findings == [
        "Événement n° 5 : supprimé (la numérotation passe du n° 4 au n° 6 : lignes supprimées).",
        "Journal d'audit altéré : 1 anomalie sur 7 événements vérifiés.",
    ]


def test_removed_row_and_its_index_rows_are_named(legacy_trail):
    legacy_trail(8)  # n° 7 concerns persons 101 and 102
    event_id = event_row(7)["id"]
    with tampering():
        sql("DELETE FROM audit_auditeventperson WHERE event_id = %s", [event_id])
        sql("DELETE FROM audit_auditevent WHERE seq = 7")
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 7 : supprimé")


def test_removed_row_whose_index_rows_remain_is_named_twice(legacy_trail):
    legacy_trail(8)
    event_id = event_row(7)["id"]
    with tampering():
        sql("DELETE FROM audit_auditevent WHERE seq = 7")
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 7 : supprimé")
    orphans = [line for line in result.findings if line.startswith("Ligne d'index")]
    assert len(orphans) == 2
    assert all(f"identifiant interne {event_id}" in line for line in orphans)
    with tampering():  # the test database checks foreign keys when the test ends
        sql("DELETE FROM audit_auditeventperson WHERE event_id = %s", [event_id])


def test_removed_row_with_the_rest_renumbered_is_named(legacy_trail):
    legacy_trail(8)
    with tampering():
        sql("DELETE FROM audit_auditevent WHERE seq = 5")
        renumber(6, -1)
    result = run_verify()
    assert result.code == 1
    assert result.findings[:2] == [
        "Événement n° 5 : supprimé (lignes supprimées, puis les événements suivants "
        "renumérotés pour masquer le trou).",
        "Événements n° 5 à 7 : renumérotés, ils portaient les n° 6 à 8 "
        "(lignes insérées ou supprimées avant eux).",
    ]


def test_newest_row_removed_is_caught_by_the_head(legacy_trail):
    legacy_trail(8)
    with tampering():
        sql("DELETE FROM audit_auditevent WHERE seq = 8")
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 8 : supprimé en fin de journal")


def test_removed_index_row_is_named(legacy_trail):
    legacy_trail(8)  # n° 4 concerns persons 101 and 102
    with tampering():
        sql(
            "DELETE FROM audit_auditeventperson WHERE event_id = %s AND person_id = 102",
            [event_row(4)["id"]],
        )
    result = run_verify()
    assert result.code == 1
    assert result.findings[0] == (
        "Événement n° 4 : index des personnes concernées altéré (lien(s) supprimé(s) vers la "
        "ou les personnes n° 102) (lignes d'index modifiées)."
    )


def test_added_or_moved_index_row_is_named(legacy_trail):
    legacy_trail(8)
    with tampering():
        sql(
            "INSERT INTO audit_auditeventperson (event_id, person_id) VALUES (%s, 555)",
            [event_row(2)["id"]],
        )
        sql(
            "UPDATE audit_auditeventperson SET person_id = 556 WHERE event_id = %s "
            "AND person_id = 101",
            [event_row(7)["id"]],
        )
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Événement n° 2 : index des personnes")
    assert "ajouté(s) vers la ou les personnes n° 555" in result.findings[0]
    assert result.findings[1].startswith("Événement n° 7 : index des personnes")
    assert "supprimé(s) vers la ou les personnes n° 101" in result.findings[1]
    assert "ajouté(s) vers la ou les personnes n° 556" in result.findings[1]


def test_whole_rewrite_with_the_head_is_caught_by_an_anchor(legacy_trail):
    """Rewriting every hash *and* the head defeats the chain; an anchor noted elsewhere does not."""
    legacy_trail(6)
    anchor = f"3:{event_row(3)['hash']}"
    from opendui.audit.chain import event_hash

    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'innocent' WHERE seq = 2")
        previous = event_row(1)["hash"]
        for seq in range(2, 7):
            row = event_row(seq)
            digest = event_hash(previous, event_content(row))
            sql(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [previous, digest, seq],
            )
            previous = digest
        AuditChainHead.objects.filter(pk=1).update(hash=previous)
    assert run_verify().code == 0  # the limit of a chain without an outside anchor
    result = run_verify("--anchor", anchor)
    assert result.code == 1
    assert result.findings[0].startswith(
        "Événement n° 3 : son empreinte ne correspond plus à l'ancre"
    )


def test_head_subcommand_prints_an_anchor_that_verifies(legacy_trail):
    """Before any seal, the keyed chain's anchor is the legacy chain's head (s0)."""
    import io

    from django.core.management import call_command

    legacy_trail(3)
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    lines = out.getvalue().strip().splitlines()
    head = AuditChainHead.objects.get(pk=1)
    assert lines[0] == f"Ancien journal (avant scellement) : n° 3, empreinte {head.hash}"
    anchor = lines[-1].split(" : ")[1]
    assert anchor == f"s0:{head.hash}"
    assert run_verify("--anchor", anchor).code == 0
    assert run_verify("--anchor", "s0:" + "0" * 64).code == 1


def test_progress_goes_to_stderr(legacy_trail):
    legacy_trail(7)
    result = run_verify("--chunk-size", "2", "--progress-every", "3")
    assert result.code == 0
    assert result.err.splitlines() == ["… 3 événements vérifiés", "… 6 événements vérifiés"]
    assert result.findings == ["Journal d'audit intègre : 7 événements vérifiés."]


def test_small_chunks_give_the_same_findings(legacy_trail):
    legacy_trail(9)
    with tampering():
        sql("UPDATE audit_auditevent SET reason = 'x' WHERE seq IN (2, 5)")
        sql(
            "DELETE FROM audit_auditeventperson WHERE event_id = %s AND person_id = 101",
            [event_row(7)["id"]],
        )
    assert (
        [(p.kind, p.seq) for p in verify_trail(chunk_size=2).problems]
        == [(p.kind, p.seq) for p in verify_trail(chunk_size=5000).problems]
        == [("modified", 2), ("modified", 5), ("links", 7)]
    )


def test_events_sealed_during_the_walk_are_not_reported(legacy_trail, monkeypatch):
    """The seal head is read after the seals: seals committed meanwhile are walked, not
    flagged (SQLite reads without a snapshot)."""
    legacy_trail(4)
    from opendui.audit import verify
    from opendui.audit.sealing import seal_pending

    original = verify._read_seal_head

    def head_after_a_new_seal(using):
        record(Actor.system("test"), EventKind.SYSTEM, "test.concurrent")
        seal_pending()
        return original(using)

    monkeypatch.setattr(verify, "_read_seal_head", head_after_a_new_seal)
    report = verify_trail()
    assert report.ok, report.problems
    assert (report.checked, report.sealed) == (5, 1)


def test_bad_anchor_is_refused_in_french(legacy_trail):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Ancre invalide"):
        run_verify("--anchor", "abc")
