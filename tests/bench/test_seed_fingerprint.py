"""bench/common.py: a seeded benchmark database records what seeded it, and a database
seeded by other loaders, triggers or migrations is not reused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import common


@pytest.fixture
def sources(tmp_path, monkeypatch):
    """A copy of the fingerprinted layout: a loader, the trigger module, two migrations."""
    for relative in (
        "src/opendui/demo/seed.py",
        "src/opendui/stays/placements.py",
        "src/opendui/stays/migrations/0001_initial.py",
        "src/opendui/stays/migrations/0002_more.py",
    ):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {relative}\n")
    monkeypatch.setattr(common, "ROOT", tmp_path)
    monkeypatch.setattr(common, "source_commit", lambda root=tmp_path: "abc1234")
    return tmp_path


def test_a_database_seeded_by_other_loaders_triggers_or_migrations_is_stale(db, sources):
    assert "before seed fingerprints" in common.stale_seed(connection)
    stored = common.record_seed(connection)
    assert stored["commit"] == "abc1234"
    assert common.stored_seed(connection) == stored
    assert common.stale_seed(connection) is None

    (sources / "src/opendui/stays/placements.py").write_text("# another trigger\n")
    assert "abc1234" in common.stale_seed(connection)
    common.record_seed(connection)
    assert common.stale_seed(connection) is None

    (sources / "src/opendui/stays/migrations/0003_index.py").write_text("")
    assert common.stale_seed(connection) is not None
    common.record_seed(connection)
    (sources / "src/opendui/demo/seed.py").write_text("# a faster loader\n")
    assert common.stale_seed(connection) is not None


def test_the_fingerprint_covers_the_real_loaders_and_triggers():
    root = Path(common.__file__).resolve().parent.parent
    covered = {p.relative_to(root).as_posix() for g in common.SEED_SOURCES for p in root.glob(g)}
    assert {
        "src/opendui/demo/seed.py",
        "src/opendui/stays/placements.py",
        "src/opendui/core/bulk.py",
        "src/opendui/agenda/demo_data.py",
    } <= covered


def test_a_baseline_tree_is_fingerprinted_by_its_own_sources(db, sources, tmp_path_factory):
    """bench/load.py seeds a baseline's database with an exported older `src/`: the
    fingerprint and commit recorded are that tree's, and it is checked against it."""
    baseline = tmp_path_factory.mktemp("baseline")
    for path in sources.rglob("*.py"):
        copy = baseline / path.relative_to(sources)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text())
    (baseline / "src/opendui/stays/placements.py").write_text("# the older trigger\n")

    stored = common.record_seed(connection, baseline, "0ld0c0d")
    assert stored["commit"] == "0ld0c0d"
    assert common.stale_seed(connection, baseline) is None
    assert "0ld0c0d" in common.stale_seed(connection)  # not the current tree's seed
