"""The reader's scope once records are archived after discharge: the person list's query
(persons.listing.search_rows) and the record's access check (accounts.access.check), at
100 000 persons, so that the scope's EXISTS is seen to stay index-friendly.

    OPENDUI_DATABASE_URL=postgres://…/db PYTHONPATH=src python bench/archive_scope.py --seed
    OPENDUI_DATABASE_URL=postgres://…/db PYTHONPATH=src python bench/archive_scope.py

--seed: migrate, `seed_demo(5, N, seed=1)` (about 5 % of persons discharged up to two
years ago, 15 % with an earlier stay elsewhere), VACUUM ANALYZE. Without it the database
is measured as it is, so that the same data can be measured with the code before the
change (run this file with that code's `src` first on PYTHONPATH), then migrated with the
new code and measured again. Per reader and case: 20 warm-ups, then 200 runs of the
query alone (`list(...)` of the page's rows, no HTTP, no audit); p50/p95 in ms; the plan
of one run (EXPLAIN ANALYZE, BUFFERS) is printed with --plans. `archived` cases need the
new code (the list with the "include archived records" filter).
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import time

from common import machine, percentile

READERS = [
    ("EHPAD nurse (facility)", "infirmier@demo.opendui.fr", {}),
    ("EHPAD carer (unit)", "aide-soignant@demo.opendui.fr", {}),
    ("EHPAD secretary", "accueil@demo.opendui.fr", {}),
    ("EHPAD secretary, archives", "accueil@demo.opendui.fr", {"archived": True}),
]
CASES = [("list, page 1", ""), ("search 'mar'", "mar")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendui.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.seed:
        from opendui.demo.seed import seed_demo

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seed_demo(5, args.persons, 1, activity=False)
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    from django.test.utils import CaptureQueriesContext

    from opendui.accounts.access import check
    from opendui.accounts.models import User
    from opendui.organisations.selectors import facilities_of
    from opendui.persons.listing import search_rows
    from opendui.persons.models import Person

    takes_archived = "archived" in inspect.signature(search_rows).parameters
    described = ", ".join(f"{k}: {v}" for k, v in machine().items())
    print(f"{described}; {connection.vendor}; {Person.objects.count()} persons")
    print("| reader | case | p50 (ms) | p95 (ms) | rows |")
    print("| --- | --- | ---: | ---: | ---: |")
    plans = []
    for label, email, options in READERS:
        if options and not takes_archived:
            continue
        user = User.objects.get(email=email)
        facility = facilities_of(user)[0]
        for case, query in CASES:

            def run(user=user, facility=facility, query=query, options=options):
                user.__dict__.pop("_opendui_grants", None)
                return search_rows(user, query, facility, 0, 51, **options)

            for _ in range(20):
                run()
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                rows = run()
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"| {label} | {case} | {statistics.median(times):.2f} | "
                f"{percentile(times, 95):.2f} | {len(rows)} |"
            )
            if args.plans and connection.vendor == "postgresql":
                with CaptureQueriesContext(connection) as captured:
                    run()
                sql = captured.captured_queries[-1]["sql"]
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plans.append((label, case, [r[0] for r in cursor.fetchall()]))
    # The record page's decision: one query for the grants, one for the placements.
    nurse = User.objects.get(email="infirmier@demo.opendui.fr")
    persons = list(Person.objects.order_by("?")[:200])
    times = []
    for person in persons:
        nurse.__dict__.pop("_opendui_grants", None)
        started = time.perf_counter()
        check(nurse, "person.view_identity", person=person)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"| EHPAD nurse | check() on 200 random persons | {statistics.median(times):.2f} | "
        f"{percentile(times, 95):.2f} | |"
    )
    for label, case, lines in plans:
        print(f"\n{label}, {case}:\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
