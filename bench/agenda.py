"""Benchmark of the agenda: facility week planning page at millions of events.

    .venv/bin/python bench/agenda.py \
        --database postgres://postgres@127.0.0.1:5432/h_agenda_bench --events 1000000 \
        [--template opendui_bench_100000] [--persons 100000] [--requests 200] [--warmups 20] \
        [--no-write]

1. The database: when it does not exist it is created, as a copy of `--template` when
   given (a bench database already holding the persons, e.g. the one bench/run.py left),
   otherwise empty; then `migrate`, and `seed_demo(5, --persons, seed=1)` if it has no
   person (bench/run.py seeds persons the same way).
2. Events: when the database holds fewer than 90 % of `--events`, the agenda tables are
   emptied and refilled with `agenda.demo_data.seed_events` over 5 years of stays
   (bulk_create in batches, no COPY), with one bench professional per 25 current stays
   of each facility; then VACUUM ANALYZE. The rate per person and week is calibrated
   so that about `--events` event rows result.
3. Measures, through Django's test Client (whole stack: middleware, view, template, audit
   access event; no network), for a user of the largest facility (infirmier, facility
   1): `--warmups` then `--requests` GETs of the facility week planning for weeks drawn
   at random over the 5 years (page 1: up to 300 events), and the same for the current
   week, the day planning, a person's agenda and "Mon agenda" of a busy professional;
   p50/p95, SQL queries per request; the ESMS Numérique aggregate
   (persons_with_events(...).count() for one month) timed alone; EXPLAIN ANALYZE of the
   week query.
4. Results replace the part of docs/benchmarks.md between the "bench:agenda" markers
   (appended at the end the first time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import (
    ensure_postgres_database,
    machine,
    percentile,
    record_seed,
    server_version,
    stale_seed,
    write_section,
)

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- bench:agenda:start -->", "<!-- bench:agenda:end -->")
TODAY = dt.date(2026, 11, 22)
READER = "infirmier@demo.opendui.fr"
TARGET_P95_MS = 200
GROUP_FACTOR = 0.6  # event rows per person-event (group activities share one row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="postgres://…/name (or sqlite:///path)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--template", default="", help="database to copy when creating")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmups", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if ensure_postgres_database(args.database, args.template):
        print(f"created {args.database.rsplit('/', 1)[1]}", file=sys.stderr)
    os.environ["OPENDUI_DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendui.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    result = run(args)
    report = render(result, " ".join(["bench/agenda.py", *sys.argv[1:]]))
    print(report)
    if not args.no_write:
        _write(report)


def _progress(label: str, done: int, total: int) -> None:
    if done == total or done % 100_000 < 5000:
        print(f"   {label} {done}/{total}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from opendui.agenda.models import Event
    from opendui.persons.models import Person

    result: dict[str, Any] = {"engine": connection.vendor}
    call_command("migrate", verbosity=0)
    if not Person.objects.exists():
        from opendui.demo.seed import seed_demo

        started = time.perf_counter()
        seed_demo(5, args.persons, 1, progress=_progress)
        result["persons_seed_s"] = round(time.perf_counter() - started, 1)
        record_seed(connection)
    elif stale := stale_seed(connection):
        raise SystemExit(f"Refusing to reuse the database: {stale}. Drop it to seed afresh.")
    if Event.objects.count() < 0.9 * args.events:
        result.update(_seed(args.events))
    result.update(_counts())
    result["server_version"] = server_version(connection)
    result["measures"] = _measures(args.requests, args.warmups)
    result["indicator"] = _indicator()
    result["explain"] = _explain()
    return result


def _bench_professionals() -> dict[int, list[int]]:
    from opendui.accounts.models import Assignment, Role, User
    from opendui.organisations.models import Facility
    from opendui.stays.models import Stay

    role = Role.objects.get(code="educateur")
    result = {}
    for facility in Facility.objects.all():
        wanted = max(5, Stay.objects.filter(facility=facility, end_date__isnull=True).count() // 25)
        prefix = f"agenda.bench.{facility.pk}."
        existing = list(User.objects.filter(email__startswith=prefix).values_list("pk", flat=True))
        missing = wanted - len(existing)
        if missing > 0:
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"{prefix}{len(existing) + i}@bench.invalid",
                        first_name="Pro",
                        last_name=f"Bench {facility.pk}-{len(existing) + i}",
                        password="!",
                    )
                    for i in range(missing)
                ],
                batch_size=2000,
            )
            Assignment.objects.bulk_create(
                [
                    Assignment(
                        user=u,
                        role=role,
                        organisation_id=facility.organisation_id,
                        facility=facility,
                        start_date=dt.date(2020, 1, 1),
                    )
                    for u in users
                ],
                batch_size=2000,
            )
            existing += [u.pk for u in users]
        result[facility.pk] = existing
    return result


def _seed(events: int) -> dict[str, Any]:
    from django.db import connection

    from opendui.agenda.demo_data import seed_events
    from opendui.stays.models import Stay

    with connection.cursor() as cursor:
        tables = [
            "agenda_eventchange",
            "agenda_eventparticipant",
            "agenda_eventprofessional",
            "agenda_event",
            "agenda_series",
        ]
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    stays = list(
        Stay.objects.values_list("person_id", "facility_id", "unit_id", "start_date", "end_date")
    )
    window_start, window_end = TODAY - dt.timedelta(days=365 * 5), TODAY + dt.timedelta(weeks=4)
    person_weeks = sum(
        max(0, (min(e or window_end, window_end) - max(s, window_start)).days) / 7
        for _, _, _, s, e in stays
    )
    rate = events / (GROUP_FACTOR * person_weeks)
    print(
        f"   {len(stays)} stays, {person_weeks:.0f} person-weeks, rate {rate:.3f}", file=sys.stderr
    )
    professionals = _bench_professionals()
    started = time.perf_counter()
    created = seed_events(
        stays, random.Random(1), professionals, TODAY, per_person_per_week=rate, progress=_progress
    )
    seed_s = time.perf_counter() - started
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "events_seed_s": round(seed_s, 1),
        "vacuum_s": round(time.perf_counter() - started, 1),
        "rate": round(rate, 4),
        "created": created,
    }


def _counts() -> dict[str, Any]:
    from opendui.agenda.models import Event, EventChange, EventParticipant, EventProfessional
    from opendui.persons.models import Person

    return {
        "persons": Person.objects.count(),
        "events": Event.objects.count(),
        "participants": EventParticipant.objects.count(),
        "professionals_rows": EventProfessional.objects.count(),
        "changes": EventChange.objects.count(),
    }


def _time(client, urls: list[str], requests: int, warmups: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmups):
        client.get(urls[i % len(urls)])
    samples = []
    for i in range(requests):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(urls[0])
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
        "queries": len(queries),
    }


def _measures(requests: int, warmups: int) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from opendui.accounts.models import User
    from opendui.agenda.models import EventParticipant, EventProfessional
    from opendui.organisations.models import Facility

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    reader = User.objects.get(email=READER)
    facility = Facility.objects.order_by("pk").first()
    client = Client(SERVER_NAME="localhost")
    client.force_login(reader)
    rng = random.Random(7)
    base = f"/agenda/etablissement/{facility.pk}"
    weeks = [TODAY - dt.timedelta(days=rng.randrange(0, 365 * 5)) for _ in range(requests)]
    busy_person = (
        EventParticipant.objects.filter(event__facility=facility)
        .values("person_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["person_id"]
    )
    busy_pro = (
        EventProfessional.objects.filter(event__facility=facility)
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["user_id"]
    )
    pro_client = Client(SERVER_NAME="localhost")
    pro_client.force_login(User.objects.get(pk=busy_pro))
    cases = [
        (
            "week planning, random weeks over 5 years",
            client,
            [f"{base}/semaine/?date={d}" for d in weeks],
        ),
        ("week planning, current week", client, [f"{base}/semaine/?date={TODAY}"]),
        ("week planning, current week, page 2", client, [f"{base}/semaine/?date={TODAY}&page=2"]),
        ("day planning, random days", client, [f"{base}/jour/?date={d}" for d in weeks]),
        (
            "person agenda (busiest person), past",
            client,
            [f"/agenda/personne/{busy_person}/?quand=passes"],
        ),
        ("Mon agenda (busiest professional)", pro_client, ["/agenda/?quand=passes"]),
    ]
    results = []
    for label, who, urls in cases:
        measure = _time(who, urls, requests, warmups)
        measure["case"] = label
        print(
            f"   {label:<45} p50 {measure['p50_ms']:7.1f} ms  p95 {measure['p95_ms']:7.1f} ms  "
            f"{measure['queries']} queries",
            file=sys.stderr,
            flush=True,
        )
        results.append(measure)
    return results


def _indicator() -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from opendui.agenda.selectors import persons_with_events
    from opendui.organisations.models import Facility

    tz = ZoneInfo("Europe/Paris")
    start = dt.datetime(2026, 10, 1, tzinfo=tz)
    end = dt.datetime(2026, 11, 1, tzinfo=tz)
    facility = Facility.objects.order_by("pk").first()
    samples, count = [], 0
    for _ in range(5):
        started = time.perf_counter()
        count = persons_with_events(facility, start, end).count()
        samples.append((time.perf_counter() - started) * 1000)
    return {"month": "2026-10", "persons": count, "ms": round(statistics.median(samples), 1)}


def _explain() -> str:
    from django.db import connection

    from opendui.organisations.models import Facility

    if connection.vendor != "postgresql":
        return ""
    facility = Facility.objects.order_by("pk").first()
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM agenda_event WHERE facility_id = %s "
            "AND start >= %s AND start < %s ORDER BY start, id LIMIT 301",
            [facility.pk, monday, monday + dt.timedelta(days=7)],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def _machine() -> str:
    m = machine()
    return (
        f"{m['cpu']}, {m['cores']} CPUs, {m['ram']} RAM, load average after the measures "
        f"{m['load']}, Python {m['python']}"
    )


def render(result: dict[str, Any], command: str) -> str:
    lines = [
        MARKERS[0],
        "",
        f"Run on {TODAY:%Y-%m-%d}: `{command}`",
        "",
        f"Machine: {_machine()}; {result['server_version']}.",
        "",
        f"Data: {result['persons']:,} persons, {result['events']:,} events, "
        f"{result['participants']:,} participations, {result['professionals_rows']:,} professional "
        f"bookings, {result['changes']:,} EventChange rows.".replace(",", " "),
    ]
    if "events_seed_s" in result:
        lines.append(
            f"Seeding the events took {result['events_seed_s']} s (rate {result['rate']} per person "
            f"and week), VACUUM ANALYZE {result['vacuum_s']} s."
        )
    lines += [
        "",
        "| page (audited, test client) | p50 ms | p95 ms | max ms | SQL queries |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in result["measures"]:
        lines.append(
            f"| {m['case']} | {m['p50_ms']} | {m['p95_ms']} | {m['max_ms']} | {m['queries']} |"
        )
    week = result["measures"][0]
    verdict = "met" if week["p95_ms"] <= TARGET_P95_MS else "NOT met"
    ind = result["indicator"]
    lines += [
        "",
        f"Target (issue 4): facility weekly planning p95 ≤ {TARGET_P95_MS} ms — {verdict} "
        f"({week['p95_ms']} ms over random weeks).",
        "",
        f"ESMS Numérique aggregate `persons_with_events(facility 1, {ind['month']}).count()`: "
        f"{ind['persons']} persons in {ind['ms']} ms (median of 5).",
    ]
    if result.get("explain"):
        lines += [
            "",
            "Week query plan (current week, facility 1):",
            "",
            "```",
            result["explain"],
            "```",
        ]
    lines += ["", MARKERS[1]]
    return "\n".join(lines)


def _write(report: str) -> None:
    block = report.removeprefix(MARKERS[0]).removesuffix(MARKERS[1])
    write_section(block, MARKERS, "## Agenda: facility planning at millions of events")


if __name__ == "__main__":
    main()
