"""Benchmark at 100 000 persons with 5 years of history (about 10 M events and notes).

    .venv/bin/python bench/history.py \
        --database postgres://postgres@127.0.0.1:5432/opendui_bench_history \
        [--facilities 50] [--persons 100000] [--events 5000000] [--notes 5000000] \
        [--requests 100] [--warmups 10] [--load-only] [--no-write]

1. The database is created when missing, then `migrate` and, when it holds no person,
   `seed_demo(--facilities, --persons, seed=1, activity=False)` dated TODAY (50 × 100 000
   takes about 70 s).
2. The history is loaded by bench/history_load.py with set-based SQL (INSERT … SELECT over
   generate_series and the stays; no Python loop per row, no index or constraint
   disabled), one transaction per step, each step recorded in a `bench_history_step`
   table so an interrupted load resumes at the first missing step and a complete one is
   skipped: agenda series, events, participants, professionals and EventChange rows;
   notes (transmissions, observations, macrocibles, a few corrections); personalised
   projects with goals and their pilotage.ProjectChange timeline; AGGIR histories of
   EHPAD residents; DMP/MSSanté sendings (documents.Sharing); pilotage.RecordActivity
   derived from all of these. About 8 % of the persons ("quiet") have no activity since
   the first day of the month before TODAY. VACUUM ANALYZE at the end.
3. Spot checks through the ORM and the test Client, then measures (whole stack, audited,
   logged in with force_login): the person record page of random persons with long
   histories (and the query count for a person with few and one with many rows), the
   week planning of the largest facility for random weeks over 5 years and for the
   current week, the agenda of a busy person, the cahier de liaison of the largest
   facility; the ESMS Numérique indicators (one facility-month, the organisation's
   12-month series). p50/p95, queries per request, EXPLAIN (ANALYZE, BUFFERS) of the
   slowest query of each page.
4. Results replace the part of docs/benchmarks.md between the "bench:history" markers
   (appended at the end the first time), unless --no-write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ROOT,
    ensure_postgres_database,
    machine,
    percentile,
    record_seed,
    server_version,
    stale_seed,
    write_section,
)

MARKERS = ("<!-- bench:history:start -->", "<!-- bench:history:end -->")
HEADING = "## History: 100 000 persons, 5 years, about 10 M events and notes"
TODAY = dt.date(2026, 11, 22)
READER = "bench.history@bench.invalid"  # directeur + infirmier of the largest facility
TARGETS_MS = {"record": 150, "week": 200, "indicator_month": 200, "indicator_series": 2000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="postgres://…/name")
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--notes", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmups", type=int, default=10)
    parser.add_argument("--load-only", action="store_true", help="load, check, do not measure")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        parser.error("PostgreSQL only (the loader is PostgreSQL SQL).")
    if ensure_postgres_database(args.database):
        _log(f"created database {args.database.rsplit('/', 1)[1]}")
    os.environ["OPENDUI_DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendui.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from history_load import load

    result: dict[str, Any] = {"load": _prepare(args), "steps": load(args, TODAY, _log)}
    result.update(_context())
    result["checks"] = spot_checks()
    if args.load_only:
        _log("loaded and checked; no measure (--load-only)")
        return
    from history_measure import measure

    result.update(measure(args, TODAY, _log))
    report = render(result, " ".join(["bench/history.py", *sys.argv[1:]]))
    print(report)
    if not args.no_write:
        write_section(report, MARKERS, HEADING)


def _log(message: str) -> None:
    print(
        f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True
    )


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    """migrate, then seed persons when the database has none; returns the timings."""
    from django.core.management import call_command
    from django.db import connection

    from opendui.persons.models import Person

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings = {"migrate_s": round(time.perf_counter() - started, 1)}
    if not Person.objects.exists():
        from opendui.demo.seed import seed_demo

        def progress(label: str, done: int, total: int) -> None:
            if done == total or done % 20_000 == 0:
                _log(f"{label} {done}/{total}")

        started = time.perf_counter()
        seed_demo(args.facilities, args.persons, 1, TODAY, progress, activity=False)
        timings["seed_s"] = round(time.perf_counter() - started, 1)
        record_seed(connection)
    elif stale := stale_seed(connection):
        raise SystemExit(f"Refusing to reuse the database: {stale}. Drop it to seed afresh.")
    return timings


def _context() -> dict[str, Any]:
    from django.db import connection

    return {"server": server_version(connection), "counts": table_counts()}


COUNTED_TABLES = [
    "persons_person",
    "stays_stay",
    "agenda_series",
    "agenda_event",
    "agenda_eventparticipant",
    "agenda_eventprofessional",
    "agenda_eventchange",
    "notes_note",
    "accompaniment_personalisedproject",
    "accompaniment_goal",
    "evaluations_aggirevaluation",
    "documents_sharing",
    "pilotage_projectchange",
    "pilotage_recordactivity",
    "audit_auditevent",
]


def table_counts() -> dict[str, int]:
    """Exact row counts of the loaded tables (those that exist in this tree)."""
    from django.db import connection

    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES:
            if table in existing:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
                counts[table] = cursor.fetchone()[0]
    return counts


def spot_checks() -> list[str]:
    """A few reads through the ORM and the whole stack: the rows behave as if written by the
    app (model validation of a sample, pages render with the history on them)."""
    from django.db.models import Count

    from opendui.agenda.models import Event, EventParticipant
    from opendui.notes.models import Note

    checks = []
    for model in (Event, Note):
        for row in model.objects.order_by("?")[:20]:
            row.full_clean(validate_unique=False, validate_constraints=True)
        checks.append(f"20 random {model.__name__} rows pass full_clean()")
    busy = (
        EventParticipant.objects.values("person_id").annotate(n=Count("id")).order_by("-n").first()
    )
    person_id = busy["person_id"]
    client = reader_client()
    response = client.get(f"/personnes/{person_id}/")
    assert response.status_code == 200, response.status_code
    record = response.content.decode()
    latest = Note.objects.filter(person_id=person_id).order_by("-written_at").first()
    assert latest is None or latest.target[:20] in record or latest.text[:20] in record, "note"
    checks.append(f"record page of person {person_id} ({busy['n']} events) renders 200")
    return checks


def reader_client(facility_id: int | None = None) -> Any:
    """A test Client logged in as the bench reader (directeur organisation-wide and
    infirmier of the largest facility, created once)."""
    from django.conf import settings
    from django.test import Client

    from history_load import largest_facility_id
    from opendui.accounts.models import Assignment, Role, User
    from opendui.organisations.models import ManagingOrganisation

    reader, created = User.objects.get_or_create(
        email=READER, defaults={"first_name": "Bench", "last_name": "Historique"}
    )
    if created:
        reader.set_unusable_password()
        reader.save()
        organisation = ManagingOrganisation.objects.get()
        for code, facility in (("directeur", None), ("infirmier", largest_facility_id())):
            Assignment.objects.create(
                user=reader,
                role=Role.objects.get(code=code),
                organisation=organisation,
                facility_id=facility,
                start_date=dt.date(2020, 1, 1),
            )
    if "localhost" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    client = Client(SERVER_NAME="localhost")
    client.force_login(reader)
    return client


def timed(fn, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def render(result: dict[str, Any], command: str) -> str:
    m = machine()
    lines = [
        f"Measured on {dt.date.today():%Y-%m-%d} with `.venv/bin/python {command}` "
        f"(dataset dated {TODAY:%Y-%m-%d}).",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM ({m['os']}); "
        f"load average after the measures {m['load']} (shared machine)",
        f"- Python {m['python']}, Django {m['django']}, {result['server']}",
        "",
        "Rows:",
        "",
        "| table | rows |",
        "| --- | ---: |",
    ]
    lines += [f"| {table} | {_n(n)} |" for table, n in result["counts"].items()]
    steps = result["steps"]
    total = sum(s["seconds"] for s in steps)
    load = result["load"]
    lines += [
        "",
        f"Load: migrate {load.get('migrate_s', 0)} s"
        + (f", seed_demo {load['seed_s']} s" if "seed_s" in load else "")
        + f"; history {total:.0f} s in {len(steps)} steps ("
        + ", ".join(f"{s['step']} {s['seconds']:.0f} s" for s in steps)
        + ").",
        "",
        "Spot checks: " + "; ".join(result["checks"]) + ".",
        "",
        "| page or computation (audited, test client) | p50 ms | p95 ms | max ms | SQL queries "
        "| target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in result["measures"]:
        target = row.get("target")
        verdict = ""
        if target:
            verdict = f"p95 ≤ {target} ms: " + ("met" if row["p95_ms"] <= target else "NOT met")
        lines.append(
            f"| {row['case']} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} "
            f"| {row.get('queries', '')} | {verdict} |"
        )
    lines += ["", *result.get("notes", [])]
    for label, plan in result.get("explain", {}).items():
        lines += ["", f"{label}:", "", "```", plan, "```"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
