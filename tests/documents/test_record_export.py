"""The record export: the job's PDF and zip, permissions, progress, the once-only download,
expiry, audit, storage failures, and the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.documents import record_export
from opendui.documents import store as records
from opendui.documents.models import ExportStatus, RecordExport
from opendui.documents.record_export import (
    document_entry_name,
    extension,
    progress_between,
    request_export,
    safe_part,
)
from opendui.documents.services import store_document, withdraw_document
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def secretary(world):
    """Exports (person.export), reads administrative data only."""
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def physician(world):
    return world.user("medecin", facility=world.ehpad)


@pytest.fixture
def physician_exporter(world, physician):
    """A physician who also holds the secretariat's role: may export and read medical data."""
    world.assign(physician, "accueil", facility=world.ehpad)
    return physician


def add_document(world, user, *, category, type_code, title, data=None, act_date=TODAY):
    return store_document(
        Actor(user=user),
        world.anne,
        facility=world.ehpad,
        data_category=category,
        type_code=type_code,
        title=title,
        act_date=act_date,
        files=[("piece.pdf", data or pdf_bytes())],
    )


@pytest.fixture
def documents(world, secretary, physician):
    card = add_document(
        world, secretary, category="administrative", type_code="PIECE-IDENTITE", title="Carte"
    )
    prescription = add_document(
        world, physician, category="medical", type_code="ORDONNANCE-EXT", title="Ordonnance"
    )
    old = add_document(
        world, secretary, category="administrative", type_code="PIECE-IDENTITE", title="Ancienne"
    )
    withdraw_document(Actor(user=secretary), old, reason="Doublon", expected_version=old.version)
    return card, prescription, old


def pdf_text(data: bytes) -> str:
    """The PDF's text, white space (line breaks of wrapped cells) made single spaces."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    finally:
        pdf.close()


def exported(export: RecordExport) -> zipfile.ZipFile:
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    return zipfile.ZipFile(io.BytesIO(records.read(export.stored_name)))


def ask(world, user, person=None, reason="access_right", detail="Demande du 01/11"):
    export, _created = request_export(
        Actor(user=user), person or world.anne, reason=reason, detail=detail
    )
    return export


def stored_exports() -> list[str]:
    return list(records.listing(record_export.EXPORTS))


# --- pure pieces ------------------------------------------------------------------------


def test_file_names_are_sanitised():
    assert safe_part("../../etc/passwd") == "etc-passwd"
    assert safe_part('Compte rendu «été» : a/b*c?"') == "Compte-rendu-ete-a-b-c"
    assert safe_part("///") == "document"
    assert extension("scan.PDF", "application/pdf") == ".pdf"
    assert extension("noext", "application/pdf") == ".pdf"
    assert extension("x.p df", "image/png") == ".png"


def test_progress_between_spans_its_phase():
    assert [progress_between(d, 4, 60, 90) for d in range(5)] == [60, 67, 75, 82, 90]
    assert progress_between(0, 0, 60, 90) == 90


def test_document_entry_name_is_numbered_and_dated(world, secretary):
    document = add_document(
        world, secretary, category="administrative", type_code="PIECE-IDENTITE", title="../Ma carte"
    )
    name = document_entry_name(7, document, document.current)
    assert name == "documents/007-2026-11-02-Piece-d-identite-Ma-carte.pdf"


# --- the job ----------------------------------------------------------------------------


def test_the_job_builds_the_pdf_and_the_zip_of_readable_documents(
    world, physician_exporter, documents
):
    card, prescription, _old = documents
    export = ask(world, physician_exporter)
    assert export.status == ExportStatus.PENDING
    run_pending()
    archive = exported(export)
    names = archive.namelist()
    assert names[:2] == ["dossier.pdf", "index.csv"]
    joined = sorted(n for n in names if n.startswith("documents/"))
    assert joined == [
        document_entry_name(1, card, card.current),
        document_entry_name(2, prescription, prescription.current),
    ]
    assert archive.read(joined[0]) == records.read(card.current.stored_name)
    assert "Ancienne" not in " ".join(names)  # withdrawn: not joined
    text = pdf_text(archive.read("dossier.pdf"))
    assert "Export du dossier de" in text and "MARTIN" in text and "Anne" in text
    assert "17/05/1940" in text  # identity section
    assert "Ordonnance" in text and "Carte" in text  # documents index
    assert "droit d'accès de la personne" in text and "Demande du 01/11" in text
    index = archive.read("index.csv").decode("utf-8-sig")
    assert "Ordonnance" in index and "Ancienne" not in index
    export.refresh_from_db()
    assert (export.progress, export.document_count) == (100, 2)
    data = records.read(export.stored_name)
    assert export.size == len(data) and export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.stored_name.startswith("exports/") and export.stored_name.endswith(".zip")
    assert AuditEvent.objects.filter(action="record_export.ready", user_id=physician_exporter.pk)


def test_a_reader_without_medical_access_gets_no_medical_document(world, secretary, documents):
    export = ask(world, secretary)
    run_pending()
    archive = exported(export)
    names = " ".join(archive.namelist())
    assert "Carte" in names and "Ordonnance" not in names
    text = pdf_text(archive.read("dossier.pdf"))
    assert "Ordonnance" not in text
    assert "Ordonnance" not in archive.read("index.csv").decode("utf-8-sig")


def test_progress_moves_through_the_steps(world, secretary, documents, monkeypatch):
    seen = []
    original = record_export._set_progress

    def spy(export, percent, step):
        seen.append(percent)
        original(export, percent, step)

    monkeypatch.setattr(record_export, "_set_progress", spy)
    export = ask(world, secretary)
    run_pending()
    assert seen == sorted(seen) and seen[0] < 10 and 60 <= seen[-2] < 100
    export.refresh_from_db()
    assert export.progress == 100 and export.step == "Prêt à télécharger"


def test_revoked_access_fails_the_job_with_a_french_message(world, secretary, documents):
    export = ask(world, secretary)
    secretary.assignments.update(end_date=dt.date(2020, 1, 2))
    run_pending()
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "Vos droits" in export.error
    assert stored_exports() == []


def test_an_unreachable_storage_is_retried_then_fails_without_orphan(
    world, secretary, documents, monkeypatch
):
    storage = records.records()
    original = storage._save

    def dies_after_writing(name, content):
        original(name, content)
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr(storage, "_save", dies_after_writing)
    export = ask(world, secretary)
    later = timezone.now()
    for attempt in range(record_export.MAX_ATTEMPTS):
        later += dt.timedelta(hours=1)
        run_pending(now=later)
        export.refresh_from_db()
        if attempt < record_export.MAX_ATTEMPTS - 1:
            assert export.status == ExportStatus.RUNNING
            assert "nouvel essai" in export.step
    assert export.status == ExportStatus.FAILED
    assert "Le stockage des documents n'a pas répondu" in export.error
    assert Job.objects.get(task_path__endswith="build_record_export").attempts == 3
    assert stored_exports() == []


def test_one_unfinished_export_per_user_and_person(world, secretary):
    first = ask(world, secretary)
    again, created = request_export(Actor(user=secretary), world.anne, reason="transfer")
    assert again.pk == first.pk and not created
    assert Job.objects.filter(task_path__endswith="build_record_export").count() == 1
    other, created = request_export(Actor(user=secretary), world.bruno, reason="transfer")
    assert created and other.pk != first.pk


def test_the_request_is_audited_with_its_reason(world, secretary):
    ask(world, secretary, reason="court", detail="Réquisition n° 42")
    event = AuditEvent.objects.get(action="record_export.request")
    assert event.person_ids == [world.anne.pk] and event.user_id == secretary.pk
    assert event.reason == "réquisition judiciaire – Réquisition n° 42"
    assert event.details["reason"] == "court"


def test_expired_exports_are_removed_by_the_cleanup(world, secretary, documents):
    export = ask(world, secretary)
    run_pending()
    export.refresh_from_db()
    name = export.stored_name
    assert records.records().exists(name)
    assert record_export.expire_exports(now=timezone.now() + dt.timedelta(hours=25)) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and not records.records().exists(name)


# --- pages ------------------------------------------------------------------------------


def export_url(name, export, *, pk=None):
    return reverse(f"documents:{name}", args=[pk or export.person_id, export.public_id])


def test_the_synthesis_offers_the_export_to_exporters_only(world, secretary, client, login):
    url = reverse("persons:detail", args=[world.anne.pk])
    request_url = reverse("documents:export_request", args=[world.anne.pk])
    login(secretary)
    assert request_url in client.get(url).content.decode()
    client.logout()
    login(world.user("educateur", facility=world.ehpad))
    assert request_url not in client.get(url).content.decode()
    assert client.get(request_url).status_code == 403


def test_request_page_needs_a_reason_then_redirects_to_the_status(world, secretary, client, login):
    login(secretary)
    url = reverse("documents:export_request", args=[world.anne.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Préparer l'export" in page.content.decode()
    refused = client.post(url, {"reason": "other", "detail": "  "})
    assert refused.status_code == 400 and "Précisez le motif" in refused.content.decode()
    assert client.post(url, {}).status_code == 400
    assert not RecordExport.objects.exists()
    response = client.post(url, {"reason": "transfer", "detail": "EHPAD Les Roses"})
    export = RecordExport.objects.get()
    assert response.status_code == 302 and response.url == export_url("export_status", export)
    again = client.post(url, {"reason": "transfer", "detail": "double clic"})
    assert again.url == response.url and RecordExport.objects.count() == 1


def test_status_page_progress_and_download_once(
    world, secretary, documents, client, login, django_assert_max_num_queries
):
    login(secretary)
    export = ask(world, secretary)
    status_url = export_url("export_status", export)
    page = client.get(status_url)
    html = page.content.decode()
    assert 'http-equiv="refresh"' in html and "<progress" in html and 'aria-live="polite"' in html
    state = client.get(export_url("export_progress", export)).json()
    assert state == {
        "status": "pending",
        "label": "en attente",
        "pending": True,
        "progress": 0,
        "step": "En attente de prise en charge",
    }
    run_pending()
    # Session, user, facilities, permission, the export, the banner, the audit row: a
    # fixed number, whatever the size of the record (the page reads no section).
    with django_assert_max_num_queries(18):
        page = client.get(status_url)
    assert "Télécharger" in page.content.decode() and "refresh" not in page.content.decode()
    with django_assert_max_num_queries(6):
        assert client.get(export_url("export_progress", export)).json()["pending"] is False
    response = client.get(export_url("export_download", export))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    body = b"".join(response.streaming_content)  # the test client closes it at the end
    export.refresh_from_db()
    assert hashlib.sha256(body).hexdigest() == export.sha256
    assert export.status == ExportStatus.DOWNLOADED and export.downloaded_at
    assert stored_exports() == []  # deleted once sent
    second = client.get(export_url("export_download", export))
    assert second.status_code == 410 and "déjà été téléchargé" in second.content.decode()
    event = AuditEvent.objects.get(action="record_export.download")
    assert event.person_ids == [world.anne.pk] and event.details["sha256"] == export.sha256


def test_another_users_or_persons_export_is_a_404(world, secretary, client, login):
    export = ask(world, secretary)
    colleague = world.user("accueil", facility=world.ehpad)
    login(colleague)
    for name in ("export_status", "export_progress", "export_download"):
        assert client.get(export_url(name, export)).status_code == 404
    client.logout()
    login(secretary)
    for name in ("export_status", "export_progress", "export_download"):
        assert client.get(export_url(name, export, pk=world.bruno.pk)).status_code == 404
        assert client.get(export_url(name, export)).status_code in (200, 302)


def test_an_expired_export_is_gone_and_its_file_removed(world, secretary, documents, client, login):
    export = ask(world, secretary)
    run_pending()
    export.refresh_from_db()
    RecordExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    login(secretary)
    response = client.get(export_url("export_download", export))
    assert response.status_code == 410 and "a expiré" in response.content.decode()
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED and stored_exports() == []


def test_a_revoked_exporter_is_refused_at_download(world, secretary, documents, client, login):
    export = ask(world, secretary)
    run_pending()
    login(secretary)
    world.assign(secretary, "educateur", facility=world.ehpad)
    secretary.assignments.filter(role__code="accueil").update(end_date=dt.date(2020, 1, 2))
    response = client.get(export_url("export_download", export))
    assert response.status_code == 403
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    assert AuditEvent.objects.filter(action="access.denied", user_id=secretary.pk).exists()


def test_reconcile_keeps_ready_exports_and_reports_left_over_zips(world, secretary, documents):
    import os

    from opendui.documents.reconcile import reconcile

    export = ask(world, secretary)
    run_pending()
    export.refresh_from_db()
    left_over = records.write(records.new_name(record_export.EXPORTS, ".zip"), b"PK")
    old = timezone.now().timestamp() - 3 * 3600
    for name in (export.stored_name, left_over):
        os.utime(records.records().path(name), (old, old))
    report = reconcile(older_than=dt.timedelta(minutes=60), delete=True)
    assert report.orphan_files == [left_over] and report.removed == [left_over]
    assert stored_exports() == [export.stored_name]


@pytest.mark.usefixtures("backend")
def test_the_export_is_written_read_and_deleted_on_each_storage(world, secretary, documents):
    """The spooled zip goes through the storage's file API: local folder and S3."""
    card = documents[0]
    export = ask(world, secretary)
    run_pending()
    archive = exported(export)
    assert archive.read(document_entry_name(1, card, card.current)) == records.read(
        card.current.stored_name
    )
    assert stored_exports() == [export.stored_name]
    assert record_export.expire_exports(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert stored_exports() == []


def test_an_export_under_break_the_glass_is_flagged(world, client, login):
    from opendui.accounts.models import BreakGlassGrant

    chief = world.user("chef-de-service", facility=world.ime)
    BreakGlassGrant.objects.create(
        user=chief,
        person=world.anne,
        reason="Transfert en urgence",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    login(chief)
    url = reverse("documents:export_request", args=[world.anne.pk])
    assert client.post(url, {"reason": "transfer"}).status_code == 302
    event = AuditEvent.objects.get(action="record_export.request")
    assert event.break_glass
    assert event.reason == (
        "transfert vers un autre établissement ; accès exceptionnel : Transfert en urgence"
    )
