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
