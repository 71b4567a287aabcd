"""Benchmark of the document store (issue 13 §4).

    .venv/bin/python bench/documents.py \\
        --database postgres://postgres@127.0.0.1:5432/opendui_documents_bench \\
        [--rows 1000000] [--uploads 20] [--requests 100] [--no-write]

1. The database is created when missing and migrated; a bench organisation, facility and
   `--rows / 50` persons are created once, then documents are inserted in SQL
   (`generate_series`, one version each) until the organisation holds `--rows` of them,
   500 of which belong to the measured person; VACUUM ANALYZE.
2. Upload: `--uploads` POSTs of a 10 MB scan (JPEG, 3 500 × 2 500 noise at quality 95,
   padded to 10 MB) to the upload page through Django's test Client (whole stack: upload
   handler, content check with Pillow decoding, write to the local records folder, rows,
   audit, thumbnail job enqueued — not run: it is a background job); p50/p95.
3. Documents tab of the person with 500 documents: `--requests` GETs (page 1, 25 rows);
   p50/p95 and SQL queries per request.
4. EXPLAIN ANALYZE of the tab query at `--rows` documents.
5. Results replace the part of docs/benchmarks.md between the "bench:documents" markers.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ensure_postgres_database, machine, percentile, server_version, write_section

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- bench:documents:start -->", "<!-- bench:documents:end -->")
SCAN_BYTES = 10 * 1024 * 1024
READER = "documents.bench@bench.invalid"
PERSON_DOCS = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    ensure_postgres_database(args.database)
    os.environ["OPENDUI_DATABASE_URL"] = args.database
    records = tempfile.mkdtemp(prefix="opendui-bench-records-")
    os.environ["OPENDUI_RECORDS_ROOT"] = records
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opendui.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    try:
        result = run(args)
    finally:
        shutil.rmtree(records, ignore_errors=True)  # the uploaded scans
    report = render(result, " ".join(["bench/documents.py", *sys.argv[1:]]))
    print(report)
    if not args.no_write:
        write_section(report, MARKERS, "## Document store: upload, documents tab, 1 M rows")


def _world() -> tuple[Any, Any, Any]:
    import datetime as dt

    from opendui.accounts.models import Assignment, Role, User
    from opendui.organisations.models import Facility, FinessCategory, ManagingOrganisation
    from opendui.persons.models import Person
    from opendui.stays.models import Stay

    user = User.objects.filter(email=READER).first()
    if user is not None:
        assignment = Assignment.objects.get(user=user)
        facility = Facility.objects.filter(organisation=assignment.organisation).first()
        person = Person.objects.filter(organisation=assignment.organisation).order_by("pk")[0]
        return user, facility, person
    from opendui.core.identifiers import luhn_check_digit

    organisation = ManagingOrganisation.objects.create(
        name="Bench documents",
        finess_ej="75900001" + luhn_check_digit("75900001"),
        siret="7759000010000" + luhn_check_digit("7759000010000"),
        legal_status="association",
    )
    facility = Facility.objects.create(
        organisation=organisation,
        name="EHPAD bench documents",
        finess_et="75900002" + luhn_check_digit("75900002"),
        category=FinessCategory.objects.get(code="500"),
        couloir="PA",
        capacity_permanent=80,
    )
    user = User.objects.create_user(READER, "Bench-Password-2026!", first_name="B", last_name="B")
    Assignment.objects.create(
        user=user,
        role=Role.objects.get(code="accueil"),
        organisation=organisation,
        start_date=dt.date(2020, 1, 1),
    )
    person = Person.objects.create(
        organisation=organisation,
        local_id="BENCH-DOC-0",
        birth_name="BENCH",
        first_name="Documents",
        birth_date=dt.date(1940, 1, 1),
        sex="F",
    )
    Stay.objects.create(person=person, facility=facility, start_date=dt.date(2020, 1, 1))
    return user, facility, person


def _fill(rows: int, facility, person) -> dict[str, Any]:
    import datetime as dt

    from django.db import connection

    from opendui.documents.models import Document
    from opendui.persons.models import Person

    persons_wanted = max(1, rows // 50)
    existing = Person.objects.filter(organisation_id=facility.organisation_id).count()
    if existing < persons_wanted:
        Person.objects.bulk_create(
            [
                Person(
                    organisation_id=facility.organisation_id,
                    local_id=f"BENCH-DOC-{i}",
                    birth_name="BENCH",
                    first_name=f"P{i}",
                    birth_date=dt.date(1940, 1, 1),
                    sex="M",
                )
                for i in range(existing, persons_wanted)
            ],
            batch_size=5000,
        )
    have = Document.objects.count()
    started = time.perf_counter()
    if have < rows:
        ids = list(
            Person.objects.filter(organisation_id=facility.organisation_id)
            .exclude(pk=person.pk)
            .values_list("pk", flat=True)
        )
        mine = Document.objects.filter(person=person).count()
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_persons (n int primary key, id bigint)")
            cursor.executemany("INSERT INTO bench_persons VALUES (%s, %s)", list(enumerate(ids)))
            for start in range(have, rows, 100_000):
                count = min(100_000, rows - start)
                cursor.execute(
                    """
                    INSERT INTO documents_document (person_id, facility_id, data_category,
                        type_system, type_code, type_label, class_code, title, act_date,
                        author_kind, author_name, confidentiality, status, withdrawn_at,
                        withdrawn_by_id, withdrawal_reason, version_count, version, created_at)
                    SELECT CASE WHEN g %% %s = 0 AND %s > 0 THEN %s ELSE p.id END,
                        %s, (ARRAY['administrative','social','care','medical'])[1 + g %% 4],
                        'LOCAL', 'COURRIER', 'Courrier', '95', 'Courrier ' || g,
                        DATE '2015-01-01' + (g %% 4000),
                        'person', '', 'N',
                        CASE WHEN g %% 20 = 7 THEN 'withdrawn' ELSE 'active' END,
                        CASE WHEN g %% 20 = 7 THEN now() END,
                        CASE WHEN g %% 20 = 7 THEN %s END,
                        CASE WHEN g %% 20 = 7 THEN 'bench' ELSE '' END, 1, 1, now()
                    FROM generate_series(%s, %s) g
                    JOIN bench_persons p ON p.n = g %% %s
                    """,
                    [
                        max(1, rows // PERSON_DOCS),
                        PERSON_DOCS - mine,
                        person.pk,
                        facility.pk,
                        _reader_id(),
                        start,
                        start + count - 1,
                        len(ids),
                    ],
                )
                print(f"   documents {start + count}/{rows}", file=sys.stderr, flush=True)
            # One version each.
            cursor.execute(
                """
                INSERT INTO documents_documentversion (document_id, number, stored_name,
                    original_name, mime_type, size, sha256, uploaded_at, thumbnail_name,
                    thumbnail_status, antivirus_status)
                SELECT d.id, 1, 'documents/bench-' || d.id, 'courrier.pdf', 'application/pdf',
                    1000, repeat('0', 64), now(), '', 'none', 'not_scanned'
                FROM documents_document d
                WHERE NOT EXISTS (SELECT 1 FROM documents_documentversion v
                                  WHERE v.document_id = d.id)
                """
            )
            cursor.execute(
                "UPDATE documents_document d SET current_id = v.id FROM documents_documentversion v "
                "WHERE v.document_id = d.id AND d.current_id IS NULL"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE documents_document")
            cursor.execute("VACUUM ANALYZE documents_documentversion")
    return {
        "fill_s": round(time.perf_counter() - started, 1),
        "documents": Document.objects.count(),
        "person_documents": Document.objects.filter(person=person).count(),
    }


def _upload_person(person, facility):
    """Another person of the organisation, placed in the facility: uploads go there, so
    the measured tab keeps its 500 documents from one run to the next."""
    import datetime as dt

    from opendui.persons.models import Person
    from opendui.stays.models import Stay

    other = (
        Person.objects.filter(organisation_id=facility.organisation_id)
        .exclude(pk=person.pk)
        .order_by("pk")
        .first()
    )
    if not Stay.objects.filter(person=other, facility=facility).exists():
        Stay.objects.create(person=other, facility=facility, start_date=dt.date(2020, 1, 1))
    return other


def _reader_id() -> int:
    from opendui.accounts.models import User

    return User.objects.get(email=READER).pk


def _scan() -> bytes:
    from PIL import Image

    rng = random.Random(3)
    image = Image.frombytes("L", (3500, 2500), rng.randbytes(3500 * 2500)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    data = out.getvalue()
    if len(data) < SCAN_BYTES:  # pad inside a COM segment: still a valid, complete JPEG
        pad = SCAN_BYTES - len(data)
        segments = b""
        while pad > 4:
            chunk = min(pad - 4, 65533)
            segments += b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + b"\x00" * chunk
            pad -= chunk + 4
        data = data[:2] + segments + data[2:]
    return data


def _timed(call, count: int, warmups: int = 3) -> tuple[list[float], Any]:
    last = None
    for _ in range(warmups):
        last = call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        last = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, last


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    user, facility, person = _world()
    from common import source_commit

    result: dict[str, Any] = {
        "server_version": server_version(connection),
        "commit": source_commit(),
    }
    result.update(_fill(args.rows, facility, person))
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = f"/documents/personne/{person.pk}/"
    tab, response = _timed(lambda: client.get(url), args.requests, warmups=5)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    result["tab"] = {
        "p50": percentile(tab, 50),
        "p95": percentile(tab, 95),
        "queries": len(queries),
    }
    scan = _scan()
    upload_url = f"/documents/personne/{_upload_person(person, facility).pk}/ajouter/"

    def upload():
        page = client.get(upload_url).content.decode()
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        started = time.perf_counter()
        response = client.post(
            upload_url,
            {
                "form_token": token,
                "type": "LOCAL:PIECE-IDENTITE",
                "title": "Scan",
                "act_date": "2026-11-02",
                "facility": facility.pk,
                "author_kind": "professional",
                "confidentiality": "N",
                "file": SimpleUploadedFile("scan.jpg", scan, "image/jpeg"),
            },
        )
        assert response.status_code == 302, response.status_code
        return (time.perf_counter() - started) * 1000

    times = [upload() for _ in range(2)]  # warm-up
    times = [upload() for _ in range(args.uploads)]
    reset_queries()
    result["upload"] = {
        "bytes": len(scan),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM documents_document "
            "WHERE person_id = %s AND status = 'active' AND data_category IN "
            "('administrative', 'social') ORDER BY act_date DESC, id DESC LIMIT 26",
            [person.pk],
        )
        result["explain"] = "\n".join(row[0] for row in cursor.fetchall())
    return result


def render(result: dict[str, Any], command: str) -> str:
    info = machine()
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {', '.join(f'{k} {v}' for k, v in info.items())}, commit "
        f"{result['commit']}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        "(the load average says whether other work shared the cores).",
        f"PostgreSQL: {result['server_version']}. Documents in the database: "
        f"{result['documents']:,}; the measured person: {result['person_documents']}.",
        "",
        "| measure | p50 (ms) | p95 (ms) | target p95 | SQL queries |",
        "| --- | --- | --- | --- | --- |",
        f"| upload of a {result['upload']['bytes'] / 1024 / 1024:.1f} MB scan (JPEG, local folder) "
        f"| {result['upload']['p50']:.0f} | {result['upload']['p95']:.0f} | 1000 | – |",
        f"| documents tab, person with 500 documents | {result['tab']['p50']:.1f} "
        f"| {result['tab']['p95']:.1f} | 100 | {result['tab']['queries']} |",
        "",
        "EXPLAIN ANALYZE of the tab query:",
        "",
        "```",
        result["explain"],
        "```",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
