"""Benchmarks of the person list page on SQLite and PostgreSQL, written to docs/benchmarks.md.

    .venv/bin/python bench/run.py [--sizes 1000,10000,100000] [--databases sqlite,postgresql]
    make bench

For each database and size, in a subprocess with OPENDUI_DATABASE_URL set:
a fresh database (SQLite file var/bench/opendui_bench_<N>.sqlite3, PostgreSQL
database opendui_bench_<N>), `migrate`, `seed_demo(5, N, seed=1)`, then the
page /personnes/ through Django's test Client (the whole stack: middleware,
view, template, audit; no network), for each reader and case:
20 warm-ups, then 200 requests with the audit trail on alternating with 200
with it off (override_settings(AUDIT_ENABLED=False)), so that both series see
the same conditions. Reported: p50/p95 with the audit on, the audit overhead
(p50 on / p50 off - 1), the SQL query count of one request
(CaptureQueriesContext) and the SQL time in it. On PostgreSQL the list query
is also run under EXPLAIN (ANALYZE, BUFFERS) and the plans of the largest size
are written to the report. After the measures, the whole audit trail is verified
(opendui.audit.verify): the audited requests must have left an intact chain.

Results replace the part of docs/benchmarks.md between the two
"bench:results" markers; the analysis written around them is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
SQLITE_DIR = ROOT / "var" / "bench"
MARKERS = ("<!-- bench:results:start -->", "<!-- bench:results:end -->")
FACILITIES = 5
SEED = 1
SEARCH = "mar"  # a common prefix: Martin, Marchand, Marie, Martinez, Maréchal…
BENCH_EMAIL = "bench@bench.invalid"

# (label, how the reader is chosen)
READERS = [
    ("whole OG", "bench@bench.invalid, directeur role assigned organisation-wide"),
    ("EHPAD", "infirmier@demo.opendui.fr, facility 1 (the EHPAD)"),
]
CASES = [("list, page 1", {}), (f"search '{SEARCH}'", {"q": SEARCH})]


# --------------------------------------------------------------------------- parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmups", type=int, default=20)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OPENDUI_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/"),
        help="Server URL, without database name (default postgres://postgres@127.0.0.1:5432/).",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--no-write", action="store_true", help="Print, do not write the doc.")
    parser.add_argument(
        "--reuse", action="store_true", help="Keep a database already seeded with N persons."
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    command = "bench/run.py " + " ".join(sys.argv[1:])
    results, skipped = [], []
    for database in databases:
        if database == "postgresql" and not _postgres_reachable(args.postgres_url):
            skipped.append(f"PostgreSQL unreachable ({args.postgres_url}): not measured.")
            print(skipped[-1], file=sys.stderr)
            continue
        for size in sizes:
            print(f"== {database}, {size} persons", file=sys.stderr, flush=True)
            url = _fresh_database(database, size, args.postgres_url, args.reuse)
            results.append(_run_worker(url, database, size, args))
    report = render(results, skipped, command.strip())
    if args.no_write:
        print(report)
    else:
        _write_report(args.output, report, *MARKERS)
        print(f"Results written to {args.output}", file=sys.stderr)


def _postgres_reachable(server_url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(_pg_dsn(server_url, "postgres"), connect_timeout=3):
            return True
    except Exception:
        return False


def _pg_dsn(server_url: str, database: str) -> str:
    return server_url.rstrip("/") + "/" + database


def _fresh_database(database: str, size: int, server_url: str, reuse: bool) -> str:
    name = f"opendui_bench_{size}"
    if database == "sqlite":
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        path = SQLITE_DIR / f"{name}.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if database == "postgresql":
        import psycopg

        with psycopg.connect(_pg_dsn(server_url, "postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not (reuse and exists):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        return _pg_dsn(server_url, name)
    raise SystemExit(f"Unknown database: {database} (sqlite or postgresql)")


def _run_worker(url: str, database: str, size: int, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    env = {
        **os.environ,
        "OPENDUI_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "opendui.settings",
    }
    env.pop("OPENDUI_AUDIT_ENABLED", None)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--size",
        str(size),
        "--requests",
        str(args.requests),
        "--warmups",
        str(args.warmups),
        "--result",
        str(result_path),
    ]
    if args.reuse:
        command.append("--reuse")
    done = subprocess.run(command, env=env, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        result_path.unlink(missing_ok=True)
        raise SystemExit(f"Measuring {database} with {size} persons failed.")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    result["database"] = database
    return result


# --------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from opendui.persons.models import Person

    result: dict[str, Any] = {"size": args.size, "engine": connection.vendor}
    already = args.reuse and _seeded_with(args.size)
    if not already:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        result["migrate_s"] = round(time.perf_counter() - started, 2)
        from opendui.demo.seed import seed_demo

        started = time.perf_counter()
        seed_demo(FACILITIES, args.size, SEED, progress=_progress)
        result["seed_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # What autovacuum does shortly after a bulk load (seed_demo already ends
            # with ANALYZE of the tables it loaded, on both engines).
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE")
        result["analyze_s"] = round(time.perf_counter() - started, 2)
    assert Person.objects.count() == args.size
    result["server_version"] = _server_version(connection)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]

    readers = _readers()
    result["measures"] = []
    for (reader_label, _), user in zip(READERS, readers, strict=True):
        for case_label, params in CASES:
            measure = _measure(user, params, args.requests, args.warmups)
            measure.update(reader=reader_label, case=case_label)
            result["measures"].append(measure)
            print(
                f"   {reader_label:<10} {case_label:<18} p50 {measure['p50_ms']:7.2f} ms  "
                f"p95 {measure['p95_ms']:7.2f} ms  {measure['queries']} queries  "
                f"audit +{measure['audit_overhead_pct']:.0f} %",
                file=sys.stderr,
                flush=True,
            )
    started = time.perf_counter()
    result["trail"] = _verify_trail()
    result["verify_s"] = round(time.perf_counter() - started, 2)
    print(f"   audit chain: {result['trail']} ({result['verify_s']} s)", file=sys.stderr)
    args.result.write_text(json.dumps(result))


def _verify_trail() -> str:
    from opendui.audit.verify import verify_trail

    report = verify_trail()
    if report.problems:
        raise SystemExit(f"Audit chain broken after the measures: {report.problems[:3]}")
    return f"{report.checked} events verified, intact"


def _seeded_with(size: int) -> bool:
    from django.db import DatabaseError

    from opendui.persons.models import Person

    try:
        return Person.objects.count() == size
    except DatabaseError:
        return False


def _progress(label: str, done: int, total: int) -> None:
    if done == total or done % 20000 == 0:
        print(f"   {label} {done}/{total}", file=sys.stderr, flush=True)


def _server_version(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    import sqlite3

    return sqlite3.sqlite_version


def _readers() -> list[Any]:
    import datetime as dt

    from opendui.accounts.models import Assignment, Role, User
    from opendui.organisations.models import ManagingOrganisation

    bench, created = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"first_name": "Bench", "last_name": "Directeur"}
    )
    if created:
        bench.set_unusable_password()
        bench.save()
        Assignment.objects.create(
            user=bench,
            role=Role.objects.get(code="directeur"),
            organisation=ManagingOrganisation.objects.get(),
            facility=None,
            start_date=dt.date(2020, 1, 1),
        )
    return [bench, User.objects.get(email="infirmier@demo.opendui.fr")]


def _percentile(samples: list[float], percent: float) -> float:
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _measure(user: Any, params: dict, requests: int, warmups: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)

    def get() -> float:
        started = time.perf_counter()
        response = client.get("/personnes/", params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"/personnes/ answered {response.status_code}")
        return elapsed * 1000

    for _ in range(warmups):
        get()
        with override_settings(AUDIT_ENABLED=False):
            get()
    on, off = [], []
    for _ in range(requests):
        on.append(get())
        with override_settings(AUDIT_ENABLED=False):
            off.append(get())
    with CaptureQueriesContext(connection) as captured:
        get()
    measure = {
        "p50_ms": round(statistics.median(on), 2),
        "p95_ms": round(_percentile(on, 95), 2),
        "p50_off_ms": round(statistics.median(off), 2),
        "p95_off_ms": round(_percentile(off, 95), 2),
        "audit_overhead_pct": round(100 * (statistics.median(on) / statistics.median(off) - 1), 1),
        "queries": len(captured),
        "sql_ms": round(sum(float(q["time"]) * 1000 for q in captured.captured_queries), 2),
        "load": round(os.getloadavg()[0], 1),
    }
    list_query = next(
        (
            q["sql"]
            for q in captured.captured_queries
            if 'FROM "persons_person"' in q["sql"] and "LIMIT" in q["sql"]
        ),
        None,
    )
    measure["list_sql"] = list_query
    if connection.vendor == "postgresql" and list_query:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + list_query)
            measure["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return measure


# --------------------------------------------------------------------------- report


def _machine() -> dict[str, str]:
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
    import django

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _fmt_s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def render(results: list[dict], skipped: list[str], command: str) -> str:
    machine = _machine()
    versions = {r["engine"]: r["server_version"] for r in results}
    lines = [
        f"Measured on {dt.date.today():%Y-%m-%d} with `.venv/bin/python {command}`.",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM "
        f"({machine['os']})",
        f"- Python {machine['python']}, Django {machine['django']}, "
        f"SQLite {versions.get('sqlite', '–')}, PostgreSQL {versions.get('postgresql', '–')}",
        f"- {FACILITIES} facilities, `seed_demo(seed={SEED})`, pages of {_page_size()} rows; "
        "server time measured around `Client.get` (whole Django stack, no network)",
        "",
    ]
    loaded = [r for r in results if r.get("seed_s") is not None]
    if loaded:
        lines += [
            "### Loading",
            "",
            "| database | persons | migrate (s) | seed_demo (s) | VACUUM ANALYZE (s) |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
    for r in loaded:
        lines.append(
            f"| {r['database']} | {_n(r['size'])} | {_fmt_s(r.get('migrate_s'))} | "
            f"{_fmt_s(r.get('seed_s'))} | "
            f"{_fmt_s(r.get('analyze_s')) if r['engine'] == 'postgresql' else '–'} |"
        )
    lines += [
        "",
        "### Page /personnes/",
        "",
        "| database | persons | reader | case | p50 (ms) | p95 (ms) | SQL queries | "
        "SQL time (ms) | p50 without audit (ms) | audit overhead | load |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for m in r["measures"]:
            lines.append(
                f"| {r['database']} | {_n(r['size'])} | {m['reader']} | {m['case']} | "
                f"{m['p50_ms']:.1f} | {m['p95_ms']:.1f} | {m['queries']} | {m['sql_ms']:.1f} | "
                f"{m['p50_off_ms']:.1f} | {m['audit_overhead_pct']:+.0f} % | {m.get('load', '–')} |"
            )
    lines += [
        "",
        "SQL time: sum of the query durations of one HTTP request (1 ms resolution per "
        "query). Load: 1-minute load average at the end of the measure (the machine is "
        "shared; above the number of cores, times are inflated).",
        "",
        "Readers:",
    ]
    lines += [f"- {label} : {how}" for label, how in READERS]
    lines += ["", "Audit trail verified after the measures (`opendui.audit.verify`):", ""]
    lines += [
        f"- {r['database']}, {_n(r['size'])} persons: {r['trail']} ({r['verify_s']:.1f} s)"
        for r in results
        if r.get("trail")
    ]
    lines += [""]
    lines += [f"- {note}" for note in skipped]
    lines += _targets(results)
    plans = [r for r in results if r["engine"] == "postgresql"]
    if plans:
        largest = max(plans, key=lambda r: r["size"])
        lines += [
            "",
            f"### PostgreSQL plans of the list query ({_n(largest['size'])} persons)",
        ]
        for m in largest["measures"]:
            if m.get("plan"):
                lines += [
                    "",
                    f"<details><summary>{m['reader']}, {m['case']}</summary>",
                    "",
                    "```sql",
                    m["list_sql"],
                    "```",
                    "",
                    "```",
                    m["plan"],
                    "```",
                    "",
                    "</details>",
                ]
    return "\n".join(lines) + "\n"


def _targets(results: list[dict]) -> list[str]:
    lines = ["", "### Targets", ""]
    pg = [r for r in results if r["engine"] == "postgresql"]
    if pg:
        largest = max(pg, key=lambda r: r["size"])
        worst = max(m["p95_ms"] for m in largest["measures"])
        verdict = "met" if largest["size"] >= 100_000 and worst <= 50 else "missed"
        if largest["size"] < 100_000:
            verdict = "not measured at 100 000"
        lines.append(
            f"- p95 ≤ 50 ms at 100 000 persons on PostgreSQL: worst p95 {worst:.1f} ms "
            f"at {_n(largest['size'])} → **{verdict}**"
        )
    overheads = [m["audit_overhead_pct"] for r in results for m in r["measures"]]
    if overheads:
        lines.append(
            f"- audit overhead ≤ 15 %: from {min(overheads):+.0f} % to {max(overheads):+.0f} % "
            f"→ **{'met' if max(overheads) <= 15 else 'missed'}**"
        )
    counts: dict[tuple, set[int]] = {}
    for r in results:
        for m in r["measures"]:
            counts.setdefault((r["database"], m["reader"], m["case"]), set()).add(m["queries"])
    constant = all(len(values) == 1 for values in counts.values())
    lines.append(
        "- query count independent of N: "
        f"**{'yes' if constant else 'no'}** (same count at every size, per database/reader/case)"
    )
    return lines


def _page_size() -> int:
    return int(os.environ.get("OPENDUI_PAGE_SIZE", "50"))


def _write_report(path: Path, report: str, start: str, end: str) -> None:
    block = f"{start}\n{report}{end}"
    if path.exists():
        text = path.read_text()
        if start in text and end in text:
            before, rest = text.split(start, 1)
            after = rest.split(end, 1)[1]
            path.write_text(before + block + after)
            return
        path.write_text(text.rstrip() + "\n\n" + block + "\n")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# Benchmarks\n\n{block}\n")


if __name__ == "__main__":
    main()
