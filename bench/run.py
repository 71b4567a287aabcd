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

At the sizes of --search-sizes (default 100000), also: the search forms of the
person list (prefix, infix, two words, birth date, INS, local identifiers) through
the page (audited) and through the page's search query alone
(persons.listing.search_rows), and the duplicate check the
creation form runs (persons.services_create.duplicate_candidates) on generated
identities, a third of them re-entries or near-duplicates of seeded persons.
Seeded persons get INS matricules first (the demo seed has none), so that the INS
search has something to find.

Results replace the part of docs/benchmarks.md between the two
"bench:results" markers; the analysis written around them is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine as describe_machine
from common import percentile, record_seed, stale_seed, stored_seed

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
SEARCH_TARGET_MS, DUPLICATE_TARGET_MS = 50, 100  # issue 3, p95 at 100 000 on PostgreSQL
INS_SHARE = 0.7  # persons given an INS matricule before the search measures
DUPLICATE_CHECKS = 300


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
        "--reuse",
        action="store_true",
        help="Keep a database already seeded with N persons by the current loaders, triggers "
        "and migrations (refused otherwise: bench/common.py stale_seed).",
    )
    parser.add_argument(
        "--search-sizes",
        default="100000",
        help="Sizes at which the search forms and the duplicate check are measured too.",
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
    command += ["--search-sizes", args.search_sizes]
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
    if already and (stale := stale_seed(connection)):
        raise SystemExit(f"--reuse refused: {stale}. Run without --reuse to seed afresh.")
    if not already:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        result["migrate_s"] = round(time.perf_counter() - started, 2)
        from opendui.demo.seed import seed_demo

        started = time.perf_counter()
        seed_demo(FACILITIES, args.size, SEED, progress=_progress, activity=False)
        result["seed_s"] = round(time.perf_counter() - started, 2)
        record_seed(connection)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # What autovacuum does shortly after a bulk load (seed_demo already ends
            # with ANALYZE of the tables it loaded, on both engines).
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE")
        result["analyze_s"] = round(time.perf_counter() - started, 2)
    assert Person.objects.count() == args.size
    result["seeded"] = stored_seed(connection)
    print(f"   database seeded {result['seeded']}", file=sys.stderr, flush=True)
    search_sizes = {int(s) for s in args.search_sizes.split(",") if s}
    if args.size in search_sizes:
        _give_ins_matricules()
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
    if args.size in search_sizes:
        result["search"] = _measure_searches(readers, args.requests, args.warmups)
        result["duplicates"] = _measure_duplicates(args.warmups)
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


def _measure(
    user: Any, params: dict, requests: int, warmups: int, audit_off: bool = True
) -> dict[str, Any]:
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
        if audit_off:
            with override_settings(AUDIT_ENABLED=False):
                get()
    on, off = [], []
    for _ in range(requests):
        on.append(get())
        if audit_off:
            with override_settings(AUDIT_ENABLED=False):
                off.append(get())
    with CaptureQueriesContext(connection) as captured:
        get()
    if not audit_off:
        return {
            "p50_ms": round(statistics.median(on), 2),
            "p95_ms": round(percentile(on, 95), 2),
            "queries": len(captured),
            "sql_ms": round(sum(float(q["time"]) * 1000 for q in captured.captured_queries), 2),
            "load": round(os.getloadavg()[0], 1),
        }
    measure = {
        "p50_ms": round(statistics.median(on), 2),
        "p95_ms": round(percentile(on, 95), 2),
        "p50_off_ms": round(statistics.median(off), 2),
        "p95_off_ms": round(percentile(off, 95), 2),
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


# --------------------------------------------------------------------------- search, duplicates


def _give_ins_matricules() -> None:
    """Give INS_SHARE of the persons an INS matricule (NIR demo OID), once per database.

    The demo seed leaves the matricule empty; without values the INS search would only
    measure an empty index. Plain UPDATEs (no service): this is bench data, not a change
    anyone made, so it has no audit row. Matricules are unique and well-formed (sex,
    birth year and month, department 75, then the person id, then the key).
    """
    from django.db import connection, transaction

    from opendui.persons.ins import INS_NIR_DEMO_OID
    from opendui.persons.models import Person

    if Person.objects.exclude(ins_matricule="").exists():
        return
    started = time.perf_counter()
    rows = [
        (_matricule(pk, sex, birth_date), INS_NIR_DEMO_OID, True, pk)
        for pk, sex, birth_date in Person.objects.values_list("pk", "sex", "birth_date")
        if (pk * 7919) % 100 < INS_SHARE * 100
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE persons_person SET ins_matricule = %s, ins_oid = %s, "
            "identity_retrieved_from_insi = %s WHERE id = %s",
            rows,
        )
    with connection.cursor() as cursor:
        # VACUUM, not only ANALYZE: the update re-inserted the rows in the pg_trgm GIN
        # indexes, whose pending list every infix search would otherwise scan until
        # autovacuum merges it (measured: 77 ms instead of 3 ms for a two-word search).
        cursor.execute(
            "VACUUM ANALYZE persons_person"
            if connection.vendor == "postgresql"
            else "ANALYZE persons_person"
        )
    print(
        f"   INS matricules given to {len(rows)} persons ({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
        flush=True,
    )


def _matricule(pk: int, sex: str, birth_date: dt.date) -> str:
    from opendui.persons.ins import control_key

    body = (
        ("1" if sex == "M" else "2")
        + f"{birth_date.year % 100:02d}{birth_date.month:02d}75"
        + f"{pk // 1000 % 1000:03d}{pk % 1000:03d}"
    )
    return f"{body}{control_key(body):02d}"


def _probe_person(facility_id: int) -> Any:
    """A seeded person of the EHPAD with an INS and a name of 5 letters or more, in the
    middle of the table: the search cases are built from their traits, so every case
    finds someone in both readers' scopes."""
    from opendui.persons.models import Person

    candidates = Person.objects.exclude(ins_matricule="").filter(
        stays__facility_id=facility_id, birth_name_key__regex=r"^[a-z]{5,}$"
    )
    middle = Person.objects.count() // 2
    return candidates.filter(pk__gte=middle).order_by("pk").first() or candidates.first()


def _search_cases(probe: Any, finess_et: str) -> list[tuple[str, str, bool]]:
    """(label, query, whether the probe must be among the results)."""
    from opendui.core.text import search_key
    from opendui.persons.identifiers import medico_social_identifier

    name, first = probe.birth_name_key, search_key(probe.first_name)
    ins = probe.ins_matricule
    spaced_ins = f"{ins[0]} {ins[1:3]} {ins[3:5]} {ins[5:7]} {ins[7:10]} {ins[10:13]} {ins[13:]}"
    return [
        (f"prefix name '{name[:2]}'", name[:2], True),
        (f"infix name '{name[1:4]}'", name[1:4], True),
        (f"two words '{name[:4]} {first[:3]}'", f"{name[:4]} {first[:3]}", True),
        (f"short words '{name[:2]} {first[:1]}'", f"{name[:2]} {first[:1]}", True),
        (f"initials '{name[:1]} {first[:1]}'", f"{name[:1]} {first[:1]}", True),
        ("birth date", probe.birth_date.strftime("%d/%m/%Y"), True),
        ("INS (with spaces)", spaced_ins, True),
        ("local id", probe.local_id, True),
        ("3+FINESS/idLocal", medico_social_identifier(finess_et, probe.local_id), True),
    ]


def _measure_searches(readers: list[Any], requests: int, warmups: int) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opendui.accounts.models import Assignment
    from opendui.organisations.models import Facility
    from opendui.persons.listing import search_rows
    from opendui.persons.selectors import search_persons

    facility_id = (
        Assignment.objects.filter(user=readers[1], facility__isnull=False)
        .values_list("facility_id", flat=True)
        .first()
    )
    probe = _probe_person(facility_id)
    finess_et = Facility.objects.get(pk=facility_id).finess_et
    page = _page_size() + 1
    measures = []
    for (reader_label, _), user in zip(READERS, readers, strict=True):
        for label, query, must_find in _search_cases(probe, finess_et):
            found = search_persons(user, query)
            if must_find and not found.filter(pk=probe.pk).exists():
                raise SystemExit(f"Search {label} ({reader_label}) does not find the probe person.")
            measure = _measure(user, {"q": query}, requests, warmups, audit_off=False)
            samples = []
            for round_ in range(warmups + requests):
                started = time.perf_counter()
                rows = search_rows(user, query, None, 0, page)
                if round_ >= warmups:
                    samples.append((time.perf_counter() - started) * 1000)
            measure.update(
                reader=reader_label,
                case=label,
                query=query,
                requests=requests,
                rows=len(rows),
                selector_p50_ms=round(statistics.median(samples), 2),
                selector_p95_ms=round(percentile(samples, 95), 2),
            )
            if connection.vendor == "postgresql":
                with CaptureQueriesContext(connection) as captured:
                    search_rows(user, query, None, 0, page)
                [sql] = [q["sql"] for q in captured.captured_queries]
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    measure["plan"] = "\n".join(row[0] for row in cursor.fetchall())
            measures.append(measure)
            print(
                f"   {reader_label:<10} {label:<28} page p95 {measure['p95_ms']:7.2f} ms  "
                f"selector p95 {measure['selector_p95_ms']:7.2f} ms  {len(rows)} rows",
                file=sys.stderr,
                flush=True,
            )
    return measures


def _duplicate_identities() -> list[tuple[str, Any, int | None]]:
    """DUPLICATE_CHECKS identities as a secretary would enter them: two thirds new persons,
    one sixth re-entries of a seeded person, one sixth near-duplicates of one (sound-alike
    name, day and month swapped, used name entered as birth name, first-name typo).
    Returns (kind, traits, id of the seeded person it copies or None)."""
    import random

    from opendui.demo import names
    from opendui.persons.duplicates import Traits
    from opendui.persons.models import Person

    rng = random.Random(SEED)
    from django.db.models import Max, Min

    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    first_names = names.FEMALE_FIRST_NAMES_OLD + names.MALE_FIRST_NAMES_OLD
    identities: list[tuple[str, Any, int | None]] = []
    for number in range(DUPLICATE_CHECKS):
        if number % 6 < 4:
            birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
            first = rng.choice(first_names)
            traits = Traits.of(
                birth_name=rng.choice(names.LAST_NAMES), birth_date=birth, birth_first_names=first
            )
            identities.append(("new", traits, None))
            continue
        person = Person.objects.filter(pk__gte=rng.randint(low, high)).order_by("pk").first()
        name, first, birth = person.birth_name, person.first_name, person.birth_date
        used = person.used_name
        kind = "re-entry"
        if number % 6 == 5:
            kind = "near-duplicate"
            variant = number % 4
            if variant == 0:
                name = name[:-1] + ("d" if name[-1].lower() == "t" else name[-1] + "e")
            elif variant == 1 and birth.day <= 12 and birth.day != birth.month:
                birth = birth.replace(day=birth.month, month=birth.day)
            elif variant == 2 and used:
                name, used = used, ""
            else:
                first = first[:-1] + first[-1] * 2
        traits = Traits.of(
            birth_name=name, birth_date=birth, birth_first_names=first, used_name=used
        )
        identities.append((kind, traits, person.pk))
    return identities


def _measure_duplicates(warmups: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opendui.organisations.models import ManagingOrganisation
    from opendui.persons.services_create import duplicate_candidates

    organisation_id = ManagingOrganisation.objects.get().pk
    identities = _duplicate_identities()
    for _, traits, _ in identities[:warmups]:
        duplicate_candidates(organisation_id, traits)
    samples, candidates, found = [], [], {"re-entry": [0, 0], "near-duplicate": [0, 0]}
    for kind, traits, source in identities:
        started = time.perf_counter()
        result = duplicate_candidates(organisation_id, traits)
        samples.append((time.perf_counter() - started) * 1000)
        candidates.append(len(result))
        if source is not None:
            found[kind][1] += 1
            found[kind][0] += any(person.pk == source for person, _ in result)
    with CaptureQueriesContext(connection) as captured:
        duplicate_candidates(organisation_id, identities[0][1])
    measure = {
        "checks": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
        "queries": len(captured),
        "mean_candidates": round(statistics.mean(candidates), 1),
        "found": {kind: f"{hit}/{total}" for kind, (hit, total) in found.items()},
        "load": round(os.getloadavg()[0], 1),
    }
    print(
        f"   duplicate check p50 {measure['p50_ms']:.2f} ms  p95 {measure['p95_ms']:.2f} ms  "
        f"found {measure['found']}",
        file=sys.stderr,
        flush=True,
    )
    return measure


# --------------------------------------------------------------------------- report


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _fmt_s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def render(results: list[dict], skipped: list[str], command: str) -> str:
    machine = describe_machine()
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
    lines += _render_searches(results)
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


def _render_searches(results: list[dict]) -> list[str]:
    searched = [r for r in results if r.get("search")]
    if not searched:
        return []
    lines = [
        "",
        "### Search forms and duplicate check",
        "",
        f"Page: `/personnes/?q=…`, audited, {searched[0]['search'][0].get('requests', 200)} "
        "requests after the warm-ups, p50/p95 of the whole request. Selector: "
        "`persons.listing.search_rows(user, q, None, 0, 51)` evaluated alone (the page's "
        "search query, no page around it). "
        "Queries are built from one seeded EHPAD person's traits (`_search_cases`).",
        "",
        "| database | persons | reader | case | page p50 (ms) | page p95 (ms) | selector p50 "
        "(ms) | selector p95 (ms) | rows (≤ 51) | SQL queries |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in searched:
        for m in r["search"]:
            lines.append(
                f"| {r['database']} | {_n(r['size'])} | {m['reader']} | {m['case']} | "
                f"{m['p50_ms']:.1f} | {m['p95_ms']:.1f} | {m['selector_p50_ms']:.1f} | "
                f"{m['selector_p95_ms']:.1f} | {m['rows']} | {m['queries']} |"
            )
    lines += [
        "",
        f"Duplicate check on creation (`duplicate_candidates`, {DUPLICATE_CHECKS} identities: "
        "two thirds new, one sixth re-entries, one sixth near-duplicates):",
        "",
        "| database | persons | p50 (ms) | p95 (ms) | max (ms) | SQL queries | candidates "
        "(mean) | re-entries found | near-duplicates found |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in searched:
        d = r["duplicates"]
        lines.append(
            f"| {r['database']} | {_n(r['size'])} | {d['p50_ms']:.1f} | {d['p95_ms']:.1f} | "
            f"{d['max_ms']:.1f} | {d['queries']} | {d['mean_candidates']} | "
            f"{d['found']['re-entry']} | {d['found']['near-duplicate']} |"
        )
    pg = [r for r in searched if r["engine"] == "postgresql"]
    if pg:
        largest = max(pg, key=lambda r: r["size"])
        lines += ["", f"PostgreSQL plans of the search queries ({_n(largest['size'])} persons):"]
        for m in largest["search"]:
            if m.get("plan"):
                lines += [
                    "",
                    f"<details><summary>{m['reader']}, {m['case']}</summary>",
                    "",
                    "```",
                    m["plan"],
                    "```",
                    "",
                    "</details>",
                ]
    return lines


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
    searched = [r for r in pg if r.get("search") and r["size"] >= 100_000]
    if searched:
        largest = max(searched, key=lambda r: r["size"])
        worst = max(m["p95_ms"] for m in largest["search"])
        worst_selector = max(m["selector_p95_ms"] for m in largest["search"])
        lines.append(
            f"- search p95 ≤ {SEARCH_TARGET_MS} ms at 100 000 persons on PostgreSQL: worst page "
            f"p95 {worst:.1f} ms (selector alone {worst_selector:.1f} ms) → "
            f"**{'met' if worst <= SEARCH_TARGET_MS else 'missed'}**"
        )
        duplicates = largest["duplicates"]["p95_ms"]
        lines.append(
            f"- duplicate check p95 ≤ {DUPLICATE_TARGET_MS} ms at 100 000 persons on PostgreSQL: "
            f"p95 {duplicates:.1f} ms → "
            f"**{'met' if duplicates <= DUPLICATE_TARGET_MS else 'missed'}**"
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
