"""Measures of bench/history.py: the pages a professional opens on a 5-year history.

Every page through Django's test Client (whole stack, audited); per case `--warmups`
then `--requests` GETs, p50/p95, the queries of one request, and EXPLAIN (ANALYZE,
BUFFERS) of the slowest query of that request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Callable
from typing import Any

from history import TARGETS_MS, reader_client, timed
from history_load import largest_facility_id


def _get_all(client: Any, urls: list[str], requests: int, warmups: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmups):
        client.get(urls[i % len(urls)])
    samples = []
    for i in range(requests):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (urls[i % len(urls)], response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(urls[0])
    from history import percentile

    reads = [q for q in captured.captured_queries if q["sql"].lstrip()[:6] in ("SELECT", "WITH ")]
    slowest = max(reads, key=lambda q: float(q["time"]), default=None)
    return {
        "p50_ms": round(sorted(samples)[len(samples) // 2], 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
        "queries": len(captured),
        "slowest_sql": slowest["sql"] if slowest else "",
    }


def query_count(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def explain(sql: str) -> str:
    from django.db import connection

    if not sql:
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _persons_by_history() -> tuple[list[int], int, int]:
    """(ids of the 500 persons with most agenda places, the busiest, a person with a
    short history)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id FROM agenda_eventparticipant GROUP BY person_id "
            "ORDER BY count(*) DESC LIMIT 500"
        )
        busy = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT person_id FROM notes_note GROUP BY person_id HAVING count(*) BETWEEN 1 AND 10 "
            "ORDER BY person_id LIMIT 1"
        )
        row = cursor.fetchone()
    return busy, busy[0], row[0] if row else busy[-1]


def _history_size(person_id: int) -> str:
    from opendui.agenda.models import EventParticipant
    from opendui.notes.models import Note

    events = EventParticipant.objects.filter(person_id=person_id).count()
    notes = Note.objects.filter(person_id=person_id).count()
    return f"{events} events, {notes} notes"


def measure(args: argparse.Namespace, today: dt.date, log: Callable[[str], None]) -> dict:
    client = reader_client()
    facility = largest_facility_id()
    rng = random.Random(7)
    busy, busiest, quiet = _persons_by_history()
    weeks = [today - dt.timedelta(days=rng.randrange(0, 365 * 5)) for _ in range(args.requests)]
    week = f"/agenda/etablissement/{facility}/semaine/"
    cases = [
        (
            "record",
            "person record page, 100 persons with long histories",
            [f"/personnes/{pk}/" for pk in rng.sample(busy, min(100, len(busy)))],
        ),
        (
            "week",
            "week planning, largest facility, random weeks over 5 years",
            [f"{week}?date={d}" for d in weeks],
        ),
        ("week", "week planning, largest facility, current week", [f"{week}?date={today}"]),
        (
            None,
            "person agenda (busiest person), past events",
            [f"/agenda/personne/{busiest}/?quand=passes"],
        ),
        (
            None,
            "cahier de liaison, largest facility, today",
            [f"/transmissions/etablissement/{facility}/"],
        ),
        (
            None,
            "cahier de liaison, largest facility, random days over 5 years",
            [f"/transmissions/etablissement/{facility}/?jour={d}" for d in weeks],
        ),
        (
            "indicator_series",
            "pilotage dashboard page, whole organisation, last month and 12-month charts",
            ["/pilotage/"],
        ),
        (
            "indicator_month",
            "pilotage page, largest facility, last month and 12-month charts",
            [f"/pilotage/etablissement/{facility}/"],
        ),
    ]
    measures, plans = [], {}
    for target, label, urls in cases:
        row = _get_all(client, urls, args.requests, args.warmups)
        row["case"], row["target"] = label, TARGETS_MS.get(target or "")
        log(f"{label}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries")
        plans[f"Slowest query of «{label}»"] = explain(row.pop("slowest_sql"))
        measures.append(row)
    notes = [
        "Record page query count: "
        f"{query_count(client, f'/personnes/{quiet}/')} queries for person {quiet} "
        f"({_history_size(quiet)}), {query_count(client, f'/personnes/{busiest}/')} for person "
        f"{busiest} ({_history_size(busiest)})."
    ]
    measures += indicators(args, today, log)
    return {"measures": measures, "notes": notes, "explain": plans}


def indicators(args: argparse.Namespace, today: dt.date, log: Callable[[str], None]) -> list:
    """One facility-month and the organisation's 12-month series, when pilotage.indicators
    provides compute_facility / monthly_series."""
    try:
        from opendui.pilotage.definitions import Period
        from opendui.pilotage.indicators import compute_facility, monthly_series
    except ImportError:
        log("opendui.pilotage.indicators not available: indicators not measured")
        return []
    from opendui.organisations.models import Facility, ManagingOrganisation

    facility = Facility.objects.get(pk=largest_facility_id())
    organisation = ManagingOrganisation.objects.get()
    last = Period.month(*(today.replace(day=1) - dt.timedelta(days=1)).timetuple()[:2])
    rows = []
    for target, label, fn, runs in (
        (
            "indicator_month",
            "indicators, largest facility, one month (compute_facility)",
            lambda: compute_facility(facility, last),
            max(10, args.requests // 5),
        ),
        (
            "indicator_series",
            "indicators, whole organisation, 12-month series (monthly_series)",
            lambda: monthly_series(organisation, 12, last=last),
            3,
        ),
    ):
        started = time.perf_counter()
        try:
            fn()
        except Exception as error:  # the pilotage app is young: report, do not lose the run
            log(f"{label}: failed ({error.__class__.__name__}: {error})")
            rows.append(
                {
                    "case": f"{label}: failed, {error.__class__.__name__}",
                    "p50_ms": "–",
                    "p95_ms": "–",
                    "max_ms": "–",
                    "target": None,
                }
            )
            continue
        cold = round((time.perf_counter() - started) * 1000, 1)
        row = timed(fn, runs)
        row["case"], row["target"] = f"{label}; first call {cold} ms", TARGETS_MS[target]
        log(f"{label}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
        rows.append(row)
    return rows
