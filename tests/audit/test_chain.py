"""chain.verify_chain on hand-built chains: every kind of tampering is found and named."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given

from opendui.audit import chain
from opendui.audit.chain import GENESIS, event_hash, verify_chain

Row = tuple[int, str, str, dict]


def build(n: int, start_hash: str = GENESIS) -> list[Row]:
    rows, previous = [], start_hash
    for seq in range(1, n + 1):
        content = {"seq": seq, "action": "person.view", "details": {"n": seq}}
        digest = event_hash(previous, content)
        rows.append((seq, previous, digest, content))
        previous = digest
    return rows


def head_of(rows: list[Row]) -> tuple[int, str]:
    return (rows[-1][0], rows[-1][2]) if rows else (0, GENESIS)


def rehash(rows: list[Row], start: int) -> list[Row]:
    """What an attacker does to hide a change: recompute every hash from index `start`."""
    rows = list(rows)
    previous = rows[start - 1][2] if start else GENESIS
    for i in range(start, len(rows)):
        seq, _, _, content = rows[i]
        digest = event_hash(previous, content)
        rows[i] = (seq, previous, digest, content)
        previous = digest
    return rows


def renumbered(row: Row, shift: int) -> Row:
    """The row moved to another number (its content carries the number, as in the database)."""
    seq, prev, digest, content = row
    return (seq + shift, prev, digest, {**content, "seq": seq + shift})


def kinds(problems) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in problems]


def test_intact_chain_and_empty_chain_pass():
    rows = build(10)
    assert verify_chain(rows, head_of(rows)) == []
    assert verify_chain([], (0, GENESIS)) == []
    assert verify_chain(rows, None) == []


def test_hash_is_stable_and_covers_prev_hash_and_content():
    content = {"b": 1, "a": "é"}
    assert event_hash(GENESIS, content) == event_hash(GENESIS, {"a": "é", "b": 1})
    assert event_hash(GENESIS, content) != event_hash("1" * 64, content)
    assert event_hash(GENESIS, content) != event_hash(GENESIS, {"b": 2, "a": "é"})


def test_modified_content_is_named():
    rows = build(6)
    seq, prev, digest, content = rows[2]
    rows[2] = (seq, prev, digest, {**content, "action": "person.list"})
    problems = verify_chain(rows, head_of(rows))
    assert kinds(problems) == [(chain.MODIFIED, 3)]
    assert "n° 3" in problems[0].message and "modifié" in problems[0].message


def test_modified_row_with_recomputed_hash_is_named_by_the_broken_link():
    rows = build(6)
    seq, prev, _, content = rows[2]
    changed = {**content, "action": "person.list"}
    rows[2] = (seq, prev, event_hash(prev, changed), changed)
    problems = verify_chain(rows, head_of(build(6)))
    assert kinds(problems) == [(chain.REPLACED, 3)]
    assert "n° 4" in problems[0].message


def test_a_whole_rewrite_from_some_point_is_caught_by_the_head():
    original = build(6)
    seq, prev, digest, content = original[2]
    rows = list(original)
    rows[2] = (seq, prev, digest, {**content, "action": "person.list"})
    rows = rehash(rows, 2)
    assert kinds(verify_chain(rows, head_of(original))) == [(chain.HEAD, 6)]


def test_changed_stored_hash_is_reported_once():
    rows = build(6)
    seq, prev, _, content = rows[2]
    rows[2] = (seq, prev, "f" * 64, content)
    assert kinds(verify_chain(rows, head_of(build(6)))) == [(chain.MODIFIED, 3)]


def test_removed_row_in_the_middle_is_named():
    rows = build(8)
    head = head_of(rows)
    del rows[3]  # n° 4
    problems = verify_chain(rows, head)
    assert kinds(problems) == [(chain.REMOVED, 4)]
    assert "n° 4 : supprimé" in problems[0].message


def test_removed_run_is_one_problem():
    rows = build(10)
    head = head_of(rows)
    del rows[3:6]  # n° 4 to 6
    problems = verify_chain(rows, head)
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [(chain.REMOVED, 4, 6)]
    assert "n° 4 à 6" in problems[0].message


def test_removed_first_row_is_named():
    rows = build(4)
    head = head_of(rows)
    assert kinds(verify_chain(rows[1:], head)) == [(chain.REMOVED, 1)]


def test_removed_newest_rows_are_caught_by_the_head():
    rows = build(8)
    head = head_of(rows)
    problems = verify_chain(rows[:-2], head)
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [(chain.REMOVED_AT_END, 7, 8)]
    assert "fin de journal" in problems[0].message


def test_everything_removed_is_caught_by_the_head():
    head = head_of(build(5))
    assert kinds(verify_chain([], head)) == [(chain.REMOVED_AT_END, 1)]


def test_removed_row_with_the_rest_renumbered_is_named():
    rows = build(8)
    head = head_of(rows)
    del rows[3]  # n° 4; then 5..8 become 4..7
    rows = rows[:3] + [renumbered(row, -1) for row in rows[3:]]
    problems = verify_chain(rows, head)
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [
        (chain.REMOVED, 4, None),
        (chain.RENUMBERED, 4, 7),
    ]
    assert "portaient les n° 5 à 8" in problems[1].message


def test_inserted_row_with_renumbering_is_named_and_the_renumbering_is_one_line():
    rows = build(8)
    head = head_of(rows)
    _, _, hash3, _ = rows[2]
    forged_content = {"seq": 4, "action": "forged", "details": {}}
    forged = (4, hash3, event_hash(hash3, forged_content), forged_content)
    shifted = [renumbered(row, 1) for row in rows[3:]]
    problems = verify_chain([*rows[:3], forged, *shifted], head)
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [
        (chain.INSERTED, 4, None),
        (chain.RENUMBERED, 5, 9),
    ]
    assert "n° 4 : inséré" in problems[0].message
    assert "chaîné directement au n° 3" in problems[0].message


def test_several_inserted_rows_are_one_problem():
    rows = build(6)
    head = head_of(rows)
    previous = rows[1][2]
    forged = []
    for seq in (3, 4):
        content = {"seq": seq, "action": "forged", "details": {}}
        digest = event_hash(previous, content)
        forged.append((seq, previous, digest, content))
        previous = digest
    shifted = [renumbered(row, 2) for row in rows[2:]]
    problems = verify_chain([*rows[:2], *forged, *shifted], head)
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [
        (chain.INSERTED, 3, 4),
        (chain.RENUMBERED, 5, 8),
    ]


def test_replaced_row_is_named():
    rows = build(6)
    seq, prev, _, _ = rows[2]
    forged = {"seq": 3, "action": "forged", "details": {}}
    rows[2] = (seq, prev, event_hash(prev, forged), forged)
    assert kinds(verify_chain(rows, head_of(build(6)))) == [(chain.REPLACED, 3)]


def test_rows_appended_beyond_the_head_are_named():
    rows = build(6)
    problems = verify_chain(rows, head_of(rows[:4]))
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [(chain.APPENDED, 5, 6)]
    assert "tête de chaîne" in problems[0].message


def test_row_numbered_before_the_first_is_named():
    rows = build(3)
    content = {"seq": 0, "action": "forged", "details": {}}
    forged = (0, GENESIS, event_hash(GENESIS, content), content)
    assert kinds(verify_chain([forged, *rows], head_of(rows))) == [(chain.OUT_OF_SEQUENCE, 0)]


def test_first_row_not_chained_to_genesis_is_named():
    rows = build(3, start_hash="1" * 64)
    assert kinds(verify_chain(rows, head_of(rows))) == [(chain.REPLACED, 1)]


def test_modified_rows_in_a_run_are_one_problem():
    rows = build(10)
    for i in range(2, 7):
        seq, prev, digest, content = rows[i]
        rows[i] = (seq, prev, digest, {**content, "details": {}})
    problems = verify_chain(rows, head_of(rows))
    assert [(p.kind, p.seq, p.last_seq) for p in problems] == [(chain.MODIFIED, 3, 7)]
    assert problems[0].message.startswith("Événements n° 3 à 7 : contenu modifié")


TAMPERINGS = ["modify", "rehash_one", "delete", "delete_last", "insert", "append", "swap"]


@given(
    n=st.integers(min_value=2, max_value=30),
    where=st.integers(min_value=0, max_value=29),
    how=st.sampled_from(TAMPERINGS),
)
def test_any_single_tampering_is_detected(n, where, how):
    original = build(n)
    head = head_of(original)
    rows = list(original)
    i = where % n
    seq, prev, digest, content = rows[i]
    if how == "modify":
        rows[i] = (seq, prev, digest, {**content, "details": {"n": -1}})
    elif how == "rehash_one":
        changed = {**content, "details": {"n": -1}}
        rows[i] = (seq, prev, event_hash(prev, changed), changed)
    elif how == "delete":
        del rows[i]
    elif how == "delete_last":
        rows.pop()
    elif how == "insert":
        forged = {"seq": seq, "action": "forged", "details": {}}
        rows.insert(i, (seq, prev, event_hash(prev, forged), forged))
        rows[i + 1 :] = [renumbered(row, 1) for row in rows[i + 1 :]]
    elif how == "append":
        forged = {"seq": n + 1, "action": "forged", "details": {}}
        rows.append((n + 1, head[1], event_hash(head[1], forged), forged))
    elif how == "swap":
        j = (i + 1) % n
        if i == j:
            return
        a, b = sorted((i, j))
        (sa, pa, da, ca), (sb, pb, db, cb) = rows[a], rows[b]
        rows[a], rows[b] = (sa, pb, db, {**cb, "seq": sa}), (sb, pa, da, {**ca, "seq": sb})
    problems = verify_chain(rows, head)
    assert problems, how
    assert all(p.message.startswith("Événement") for p in problems)
