"""The document store, on the local folder AND on a real S3-compatible server (every test
runs twice: `backend` is parametrised, see conftest.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.documents import services
from opendui.documents.models import (
    Document,
    DocumentStatus,
    DocumentVersion,
    ThumbnailStatus,
)
from opendui.documents.services import replace_document, store_document, withdraw_document
from opendui.jobs.worker import run_pending

from .conftest import jpeg_bytes, pdf_bytes, png_bytes, stored_names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("backend")]

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def physician(world):
    return world.user("medecin", facility=world.ehpad)


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


def store(world, user, *, category="administrative", files=None, **extra):
    options = {
        "facility": world.ehpad,
        "data_category": category,
        "type_code": "PIECE-IDENTITE",
        "title": "Carte d'identité",
        "act_date": TODAY,
        "files": files or [("carte.pdf", pdf_bytes())],
    }
    options.update(extra)
    return store_document(Actor(user=user), world.anne, **options)


def test_a_stored_document_has_its_file_its_rows_and_its_audit_event(world, secretary):
    data = pdf_bytes()
    document = store(world, secretary, files=[("../../etc/Carte d'identité.pdf", data)])
    version = document.current
    assert (document.version_count, version.number, document.status) == (1, 1, "active")
    assert version.original_name == "Carte d'identité.pdf"  # no directory part
    assert version.stored_name.startswith("documents/") and "Carte" not in version.stored_name
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert (version.size, version.mime_type) == (len(data), "application/pdf")
    assert document.type_label == "Pièce d'identité" and document.class_code == "95"
    assert document.author_user == secretary and document.author_kind == "professional"
    assert stored_names() == [version.stored_name]
    from opendui.documents import store as records

    assert records.read(version.stored_name) == data
    event = AuditEvent.objects.get(action="document.create")
    assert event.person_ids == [world.anne.pk] and event.user_id == secretary.pk


def test_camera_pages_become_one_pdf(world, secretary):
    import pypdfium2 as pdfium

    document = store(world, secretary, files=[("p1.jpg", jpeg_bytes()), ("p2.png", png_bytes())])
    version = document.current
    assert version.mime_type == "application/pdf" and version.original_name == "p1.pdf"
    from opendui.documents import store as records

    pdf = pdfium.PdfDocument(records.read(version.stored_name))
    assert len(pdf) == 2


def test_replacing_keeps_every_version_and_withdrawal_keeps_the_document(world, secretary):
    document = store(world, secretary)
    first = document.current.stored_name
    version = replace_document(
        Actor(user=secretary),
        document,
        files=[("nouvelle.png", png_bytes())],
        expected_version=document.version,
    )
    document.refresh_from_db()
    assert (document.version_count, document.current_id, version.number) == (2, version.pk, 2)
    assert sorted(stored_names()) == sorted([first, version.stored_name])
    withdrawn = withdraw_document(
        Actor(user=secretary), document, reason="Mauvais dossier", expected_version=document.version
    )
    assert withdrawn.status == DocumentStatus.WITHDRAWN and withdrawn.withdrawn_by == secretary
    assert DocumentVersion.objects.filter(document=document).count() == 2
    assert len(stored_names()) == 2  # nothing deleted
    assert [e.action for e in AuditEvent.objects.order_by("seq") if e.action.startswith("doc")] == [
        "document.create",
        "document.replace",
        "document.withdraw",
    ]


def test_a_concurrent_replacement_is_refused_and_its_file_removed(world, secretary):
    from opendui.core.services import ConcurrentEditError

    document = store(world, secretary)
    with pytest.raises(ConcurrentEditError):
        replace_document(Actor(user=secretary), document, files=[png_bytes()], expected_version=99)
    assert stored_names() == [document.current.stored_name]


def test_writing_needs_the_right_on_the_category(world, educator, physician):
    with pytest.raises(PermissionDenied):
        store(world, educator, category="medical", type_code="ORDONNANCE-EXT")
    document = store(world, physician, category="medical", type_code="ORDONNANCE-EXT")
    with pytest.raises(PermissionDenied):
        withdraw_document(Actor(user=educator), document, reason="x", expected_version=1)
    assert Document.objects.count() == 1 and len(stored_names()) == 1


def test_an_unreachable_storage_leaves_no_row(world, secretary, settings, backend, tmp_path):
    if backend == "s3":
        records = settings.STORAGES["records"]
        options = {**records["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}
        settings.STORAGES = {**settings.STORAGES, "records": {**records, "OPTIONS": options}}
        from botocore.config import Config

        options["client_config"] = Config(retries={"max_attempts": 1}, connect_timeout=1)
    else:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("x")
        settings.STORAGES = {
            **settings.STORAGES,
            "records": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(blocker / "records")},
            },
        }
    with pytest.raises(ValidationError) as refused:
        store(world, secretary)
    assert "Le stockage des documents ne répond pas" in refused.value.messages[0]
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="document.create").exists()


def test_storage_dying_mid_write_leaves_no_file_and_no_row(world, secretary, monkeypatch):
    """The storage accepts the bytes, then the connection dies before it answers: the
    service deletes what may have been written and stores no row."""
    from opendui.documents import store as records

    storage = records.records()
    original = storage._save

    def dies_after_writing(name, content):
        original(name, content)
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr(storage, "_save", dies_after_writing)
    with pytest.raises(ValidationError):
        store(world, secretary)
    monkeypatch.setattr(storage, "_save", original)
    assert not Document.objects.exists()
    assert stored_names() == []


def test_a_failing_row_removes_the_stored_file(world, secretary, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "record_change", broken)
    with pytest.raises(RuntimeError):
        store(world, secretary)
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert stored_names() == []


def test_thumbnails_are_made_by_the_background_job(world, secretary, client, login):
    pdf = store(world, secretary)
    image = store(world, secretary, files=[("photo.jpg", jpeg_bytes())], title="Photo")
    assert pdf.current.thumbnail_status == ThumbnailStatus.PENDING
    run_pending()
    for document in (pdf, image):
        document.current.refresh_from_db()
        assert document.current.thumbnail_status == ThumbnailStatus.READY
        assert document.current.thumbnail_name.startswith("thumbnails/")
    login(secretary)
    response = client.get(reverse("documents:thumbnail", args=[pdf.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    from PIL import Image

    thumb = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(thumb.size) <= 320
    page = client.get(reverse("documents:person_documents", args=[world.anne.pk]))
    assert reverse("documents:thumbnail", args=[pdf.pk]) in page.content.decode()


def test_download_is_an_audited_attachment_streamed_from_the_storage(
    world, secretary, client, login
):
    data = pdf_bytes()
    document = store(world, secretary, files=[("Pièce n°1 «é».pdf", data)])
    login(secretary)
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Pi')
    assert "filename*=UTF-8''Pi%C3%A8ce%20n%C2%B01%20%C2%AB%C3%A9%C2%BB.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="document.download")
    assert event.person_ids == [world.anne.pk] and event.details["document"] == document.pk


def test_inline_content_is_sandboxed(world, secretary, client, login):
    document = store(world, secretary)
    login(secretary)
    viewer = client.get(reverse("documents:viewer", args=[document.pk]))
    assert viewer.status_code == 200 and b"sandbox" in viewer.content
    response = client.get(reverse("documents:inline", args=[document.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_educator_never_sees_a_medical_document(world, physician, educator, client, login):
    medical = store(
        world,
        physician,
        category="medical",
        type_code="ORDONNANCE-EXT",
        title="Ordonnance du Dr Martin",
    )
    social = store(
        world, educator, category="social", type_code="CR-SOCIAL", title="Compte rendu de réunion"
    )
    login(educator)
    page = client.get(reverse("documents:person_documents", args=[world.anne.pk]))
    assert page.status_code == 200
    assert social.title in page.content.decode()
    assert medical.title not in page.content.decode()
    for name in ("documents:detail", "documents:download", "documents:viewer"):
        assert client.get(reverse(name, args=[medical.pk])).status_code == 403


def test_upload_page_stores_one_document_and_a_replay_stores_nothing(
    world, secretary, client, login
):
    login(secretary)
    url = reverse("documents:upload", args=[world.anne.pk])
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html and "multiple" in html
    token = form.context["form_token"]
    data = {
        "form_token": token,
        "type": "LOCAL:PIECE-IDENTITE",
        "title": "Carte d'identité",
        "act_date": "2026-11-02",
        "facility": world.ehpad.pk,
        "author_kind": "professional",
        "confidentiality": "N",
    }
    pages = [
        SimpleUploadedFile("recto.jpg", jpeg_bytes(), "image/jpeg"),
        SimpleUploadedFile("verso.jpg", jpeg_bytes((0, 0, 200)), "image/jpeg"),
    ]
    response = client.post(url, {**data, "photos": pages})
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get()
    assert document.current.mime_type == "application/pdf"
    assert document.data_category == "administrative"
    again = client.post(url, {**data, "photos": [SimpleUploadedFile("r.jpg", jpeg_bytes())]})
    assert again.status_code == 302
    assert Document.objects.count() == 1 and len(stored_names()) == 1


def test_upload_refusals_are_french_and_store_nothing(world, secretary, client, login, settings):
    login(secretary)
    url = reverse("documents:upload", args=[world.anne.pk])

    def post(file, **extra):
        token = client.get(url).context["form_token"]
        data = {
            "form_token": token,
            "type": "LOCAL:COURRIER",
            "title": "Courrier",
            "act_date": "2026-11-02",
            "facility": world.ehpad.pk,
            "author_kind": "professional",
            "confidentiality": "N",
            "file": file,
            **extra,
        }
        return client.post(url, data)

    cases = [
        (SimpleUploadedFile("facture.pdf", b"MZ\x90\x00" + b"\x00" * 200), "exécutable"),
        (SimpleUploadedFile("vide.pdf", b""), "vide"),
        (SimpleUploadedFile("page.html", b"<html><script>alert(1)</script>"), "format accepté"),
        (SimpleUploadedFile("coupe.pdf", pdf_bytes()[:-200]), "incomplet"),
    ]
    for file, message in cases:
        response = post(file)
        assert response.status_code == 400, file.name
        assert message in response.content.decode(), file.name
    settings.DOCUMENT_MAX_BYTES = 2000
    response = post(SimpleUploadedFile("gros.pdf", pdf_bytes() + b"%" * 5_000_000))
    assert response.status_code == 413
    assert "dépasse la taille maximale" in response.content.decode()
    assert not Document.objects.exists() and stored_names() == []


def test_a_truncated_upload_stores_nothing(world, secretary, client, login):
    """The client disconnects mid-file: the multipart body ends without its closing
    boundary, the file is cut short."""
    login(secretary)
    url = reverse("documents:upload", args=[world.anne.pk])
    page = client.get(url)
    token = page.context["form_token"]
    csrf = client.cookies.get("csrftoken")
    boundary = "XyZ"
    fields = {
        "form_token": token,
        "type": "LOCAL:COURRIER",
        "title": "Courrier",
        "act_date": "2026-11-02",
        "facility": str(world.ehpad.pk),
        "author_kind": "professional",
        "confidentiality": "N",
    }
    if csrf is not None:
        fields["csrfmiddlewaretoken"] = csrf.value
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    content = pdf_bytes()
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + content[: len(content) // 2]
    response = client.generic(
        "POST", url, body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code in {400, 403}
    assert not Document.objects.exists() and stored_names() == []


def test_withdrawn_documents_are_apart_and_for_writers_only(
    world, secretary, educator, client, login
):
    document = store(world, secretary, title="Ancienne carte")
    login(secretary)
    response = client.post(
        reverse("documents:withdraw", args=[document.pk]),
        {"version": document.version, "reason": "Document d'une autre personne"},
    )
    assert response.status_code == 302
    tab = client.get(reverse("documents:person_documents", args=[world.anne.pk]))
    assert "Ancienne carte" not in tab.content.decode()
    withdrawn = client.get(reverse("documents:person_withdrawn", args=[world.anne.pk]))
    assert "Ancienne carte" in withdrawn.content.decode()
    assert "Document d&#x27;une autre personne" in withdrawn.content.decode()
    client.logout()
    login(educator)  # reads administrative documents, writes social ones only
    other = client.get(reverse("documents:person_withdrawn", args=[world.anne.pk]))
    assert other.status_code == 200 and "Ancienne carte" not in other.content.decode()
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 403


def test_replace_page_adds_a_version(world, secretary, client, login):
    document = store(world, secretary)
    login(secretary)
    response = client.post(
        reverse("documents:replace", args=[document.pk]),
        {"version": document.version, "file": SimpleUploadedFile("v2.png", png_bytes())},
    )
    assert response.status_code == 302
    detail = client.get(reverse("documents:detail", args=[document.pk]))
    assert "v2.png" in detail.content.decode() and "carte.pdf" in detail.content.decode()
    assert "– ajout –" in detail.content.decode() and "– version 2 –" in detail.content.decode()
    stale = client.post(
        reverse("documents:replace", args=[document.pk]),
        {"version": 1, "file": SimpleUploadedFile("v3.png", png_bytes())},
    )
    assert stale.status_code == 409
    assert DocumentVersion.objects.filter(document=document).count() == 2
    assert len(stored_names()) == 2


class DisconnectingInput:
    """A request body whose client goes away after `limit` bytes (the server's read fails)."""

    def __init__(self, data: bytes, limit: int):
        self.data, self.limit, self.position = data, limit, 0

    def read(self, size=-1):
        if self.position >= self.limit:
            raise OSError("client disconnected")
        size = len(self.data) if size is None or size < 0 else size
        chunk = self.data[self.position : min(self.position + size, self.limit)]
        self.position += len(chunk)
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def test_a_client_disconnecting_mid_upload_leaves_nothing(world, secretary, client, login):
    from django.test.client import MULTIPART_CONTENT, encode_multipart

    login(secretary)
    url = reverse("documents:upload", args=[world.anne.pk])
    token = client.get(url).context["form_token"]
    body = encode_multipart(
        "BoUnDaRy",
        {
            "form_token": token,
            "type": "LOCAL:COURRIER",
            "title": "Courrier",
            "act_date": "2026-11-02",
            "facility": world.ehpad.pk,
            "author_kind": "professional",
            "confidentiality": "N",
            "file": SimpleUploadedFile("c.pdf", pdf_bytes() * 50, "application/pdf"),
        },
    )
    response = client.generic(
        "POST",
        url,
        b"",
        content_type=MULTIPART_CONTENT,
        **{
            "CONTENT_TYPE": "multipart/form-data; boundary=BoUnDaRy",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": DisconnectingInput(body, len(body) // 2),
        },
    )
    assert response.status_code == 400
    assert "L'envoi a été interrompu" in response.content.decode().replace("&#x27;", "'")
    assert not Document.objects.exists() and stored_names() == []


def test_a_category_the_user_may_not_write_is_a_form_error(world, educator, client, login):
    login(educator)
    url = reverse("documents:upload", args=[world.anne.pk])
    token = client.get(url).context["form_token"]
    response = client.post(
        url,
        {
            "form_token": token,
            "type": "LOCAL:ORDONNANCE-EXT",  # medical by default
            "title": "Ordonnance",
            "act_date": "2026-11-02",
            "facility": world.ehpad.pk,
            "author_kind": "professional",
            "confidentiality": "N",
            "file": SimpleUploadedFile("o.pdf", pdf_bytes()),
        },
    )
    assert response.status_code == 400
    assert "Vous ne pouvez pas ajouter de document de la catégorie « Médical »" in (
        response.content.decode()
    )
    assert not Document.objects.exists() and stored_names() == []


def test_the_thumbnail_job_retries_while_the_storage_is_down(world, secretary, monkeypatch):
    import datetime

    from django.utils import timezone

    from opendui.documents import store as records
    from opendui.jobs.models import Job

    document = store(world, secretary)

    def down(name):
        raise records.StorageUnavailable(records.StorageUnavailable.message)

    monkeypatch.setattr(records, "read", down)
    run_pending()
    job = Job.objects.get()
    assert job.status == "ready" and job.attempts == 1  # waiting for its next attempt
    assert "Le stockage des documents ne répond pas" in job.last_error
    monkeypatch.undo()
    run_pending(now=timezone.now() + datetime.timedelta(minutes=5))
    document.current.refresh_from_db()
    assert document.current.thumbnail_status == ThumbnailStatus.READY


def test_the_external_author_comes_from_the_persons_organisation_directory(world, secretary):
    from opendui.directory.models import ExternalProfessional

    ours = ExternalProfessional.objects.create(
        organisation=world.og, last_name="Moreau", profession_code="10", profession_label="Médecin"
    )
    theirs = ExternalProfessional.objects.create(
        organisation=world.other_og,
        last_name="Roux",
        profession_code="10",
        profession_label="Médecin",
    )
    with pytest.raises(ValidationError) as refused:
        store(world, secretary, author_kind="external", external_professional=theirs)
    assert "external_professional" in refused.value.message_dict
    assert not Document.objects.exists()
    document = store(world, secretary, author_kind="external", external_professional=ours)
    assert document.external_professional == ours
