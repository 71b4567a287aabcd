"""Helpers shared by the benchmarks (bench/run.py, bench/agenda.py, bench/history.py).

Only what the three scripts did identically: percentiles, the machine description,
the database server version, creating a PostgreSQL database, and replacing a marked
section of docs/benchmarks.md. No Django import at module level: the scripts set
`OPENDUI_DATABASE_URL` before `django.setup()`.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def percentile(samples: list[float], percent: float) -> float:
    """Nearest-rank percentile (p95 of 100 samples is the 95th smallest)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, OS, Python and Django versions, current load average."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    import django

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load": load,
    }


def server_version(connection: Any) -> str:
    """'PostgreSQL 15.x' or 'SQLite 3.x' for the connection's database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
    import sqlite3

    return "SQLite " + sqlite3.sqlite_version


def ensure_postgres_database(url: str, template: str = "") -> bool:
    """Create the database of a postgres:// URL when missing (copy of `template` if
    given); returns True when it was created. Other URLs are left alone."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return False
    import psycopg

    name = parts.path.lstrip("/")
    server = url[: url.rfind("/")] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return True


def write_section(block: str, markers: tuple[str, str], heading: str, path: Path = DOC) -> None:
    """Replace the text between `markers` in `path` by `block` (which includes neither
    marker); the first time, append `heading` and the marked block at the end."""
    start, end = markers
    marked = f"{start}\n{block.strip(chr(10))}\n{end}"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        path.write_text(before + marked + rest.split(end, 1)[1])
        return
    path.write_text(text.rstrip("\n") + f"\n\n{heading}\n\n{marked}\n")


# --------------------------------------------------------------------------- seed fingerprint

#: What a seeded benchmark database depends on: the loaders, the triggers, the bulk path.
#: With the names of all migrations (a new migration may add a trigger or an index).
SEED_SOURCES = (
    "src/opendui/demo/*.py",
    "src/opendui/*/demo_data.py",
    "src/opendui/core/bulk.py",
    "src/opendui/stays/placements.py",
    "src/opendui/pilotage/usage_hook.py",
    "src/opendui/persons/models.py",
)
SEED_TABLE = "bench_seed"


def seed_fingerprint(root: Path | None = None) -> str:
    """A hash of the loader and trigger sources and of the migration names of the tree
    under `root` (this checkout by default)."""
    import hashlib

    root = root or ROOT
    digest = hashlib.sha256()
    for pattern in SEED_SOURCES:
        for path in sorted(root.glob(pattern)):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for path in sorted(root.glob("src/opendui/*/migrations/[0-9]*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
    return digest.hexdigest()[:16]


def source_commit(root: Path | None = None) -> str:
    """The checked-out commit, '+changes' when the seed's sources differ from it."""
    import subprocess

    root = root or ROOT

    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "-C", str(root), *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "src", "bench")
    return commit + ("+changes" if changed else "")


def record_seed(connection: Any, root: Path | None = None, commit: str = "") -> dict[str, str]:
    """Write the fingerprint, commit and time of the seed just made into the database.

    `root` is the tree whose code seeded it (an exported older version for a baseline),
    `commit` that code's commit when `root` is not a checkout of its own."""
    import datetime as dt

    row = {
        "fingerprint": seed_fingerprint(root),
        "commit": commit or source_commit(root),
        "seeded_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SEED_TABLE} "
            "(fingerprint varchar(64), source_commit varchar(64), seeded_at varchar(32))"
        )
        cursor.execute(f"DELETE FROM {SEED_TABLE}")  # noqa: S608 - constant name
        cursor.execute(
            f"INSERT INTO {SEED_TABLE} VALUES (%s, %s, %s)",  # noqa: S608 - constant name
            [row["fingerprint"], row["commit"], row["seeded_at"]],
        )
    return row


def stored_seed(connection: Any) -> dict[str, str] | None:
    """What record_seed wrote in this database; None for a database seeded without it."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT fingerprint, source_commit, seeded_at FROM {SEED_TABLE}")  # noqa: S608
            found = cursor.fetchone()
    except DatabaseError:
        return None
    if found is None:
        return None
    return dict(zip(("fingerprint", "commit", "seeded_at"), found, strict=True))


def stale_seed(connection: Any, root: Path | None = None) -> str | None:
    """Why this seeded database may not be reused (French-free: developer tool); None if
    it was seeded with the loaders, triggers and migrations of the code under `root`."""
    stored = stored_seed(connection)
    if stored is None:
        return "it was seeded before seed fingerprints existed (bench/common.py)"
    if stored["fingerprint"] != seed_fingerprint(root):
        return (
            f"it was seeded on {stored['seeded_at']} by {stored['commit']}, and the loaders, "
            "triggers or migrations changed since"
        )
    return None
