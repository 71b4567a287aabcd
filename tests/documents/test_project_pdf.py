"""A validated projet personnalisé version is stored as a document of the person, by a
background job enqueued with the validation (documents/project_pdf.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opendui.accompaniment import services as pp
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.documents import store as records
from opendui.documents.generation import GenerationError, generate
from opendui.documents.generation.datamatrix import parse_payload
from opendui.documents.models import Document, DocumentVersion, ProjectDocument
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending

from .conftest import stored_names
from .generation.conftest import decode_datamatrix, make_person, pdf_images, pdf_text

pytestmark = pytest.mark.django_db


def stored_pdfs() -> list[str]:
    """The stored documents' files (thumbnails left out)."""
    return sorted(records.listing(records.DOCUMENTS))


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


@pytest.fixture
def chief(world):
    return world.user("chef-de-service", facility=world.ehpad)


def validated(person, educator, chief, *, previous=None, title="Vivre à mon rythme"):
    """A validated PP version of `person` (a new version of `previous` when given)."""
    from opendui.accompaniment import sections

    edu, boss = Actor(educator), Actor(chief)
    if previous is None:
        draft = pp.create_project(edu, person.stays.get(), project_type="PPA", title=title)
    else:
        draft = pp.new_version(edu, previous)
    sections.add_expectation(edu, draft, origin="personne", text="Je veux jardiner.")
    goal = sections.add_goal(edu, draft, title="Aller au jardin chaque semaine")
    sections.add_action(edu, goal, title="Accompagnement le mardi")
    today = timezone.localdate()
    pp.add_agreement(edu, draft, author_kind="personne", signed_on=today)
    pp.add_agreement(boss, draft, author_kind="structure", signed_on=today)
    draft.refresh_from_db()
    return pp.validate(boss, draft, expected_version=draft.version)


@pytest.fixture
def qualified(world):
    return make_person(world.ehpad)


def test_validation_enqueues_the_job_and_the_job_stores_the_pdf(world, qualified, educator, chief):
    project = validated(qualified, educator, chief)
    job = Job.objects.get()
    assert not Document.objects.exists()  # the validation did not wait for WeasyPrint
    run_pending()
    job.refresh_from_db()
    assert job.status == "succeeded", job.last_error
    link = ProjectDocument.objects.get()
    document = link.document
    assert link.project == project and link.document_version == document.current
    assert (document.person, document.facility) == (qualified, world.ehpad)
    assert (document.type_system, document.type_code) == ("LOCAL", "PROJET-PERSO")
    assert document.type_label == "Projet personnalisé"
    assert document.data_category == "social" and document.title == "Vivre à mon rythme"
    assert document.act_date == project.validated_on
    assert (document.author_kind, document.author_user) == ("professional", chief)
    assert document.created_by is None  # written by the application's job
    version = document.current
    assert version.mime_type == "application/pdf" and version.number == 1
    data = records.read(version.stored_name)
    assert data.startswith(b"%PDF") and stored_pdfs() == [version.stored_name]
    text = flat(pdf_text(data))
    assert "Je veux jardiner." in text and "Aller au jardin chaque semaine" in text
    assert world.ehpad.name in text
    event = AuditEvent.objects.get(action="document.create")
    assert event.person_ids == [qualified.pk] and event.user_id is None


def test_a_qualified_identity_gets_the_ins_block_and_a_datamatrix_that_decodes(
    qualified, educator, chief
):
    project = validated(qualified, educator, chief)
    run_pending()
    data = records.read(Document.objects.get().current.stored_name)
    text = flat(pdf_text(data))
    assert "Identité nationale de santé (INS) – identité qualifiée" in text
    assert "297022A02077878" in text and "INS-NIR" in text and "1.2.250.1.213.1.4.8" in text
    images = pdf_images(data)
    # WeasyPrint shares one resource dictionary between the pages: one image, listed per page.
    assert len(set(images)) == 1
    decoded = parse_payload(decode_datamatrix(images[0]))
    assert decoded["S1"] == "297022A02077878"
    assert decoded["S4"] == "ADRTROIS" and decoded["S3"] == "DOMINIQUE"
    assert decoded["S6"] == "26-02-1997" and decoded["S7"] == "2A020"
    generated = generate("PROJET-PERSO", project=project)
    assert generated.carries_ins and generated.data_category == "social"


def test_an_identity_not_qualified_gets_neither_ins_nor_datamatrix(world, educator, chief):
    person = make_person(world.ehpad, qualified=False)
    validated(person, educator, chief)
    run_pending()
    data = records.read(Document.objects.get().current.stored_name)
    text = flat(pdf_text(data))
    assert "297022A02077878" not in text and "Matricule INS" not in text
    assert "Identité non qualifiée" in text
    assert pdf_images(data) == []


def test_a_new_version_is_a_new_version_of_the_same_document(qualified, educator, chief):
    first = validated(qualified, educator, chief)
    run_pending()
    second = validated(qualified, educator, chief, previous=first)
    run_pending()
    document = Document.objects.get()
    assert document.version_count == 2 and document.current.number == 2
    assert list(
        ProjectDocument.objects.order_by("project__number").values_list(
            "project_id", "document_id", "document_version__number"
        )
    ) == [(first.pk, document.pk, 1), (second.pk, document.pk, 2)]
    assert document.act_date == second.validated_on
    assert len(stored_pdfs()) == 2  # both versions kept
    replaced = AuditEvent.objects.get(action="document.replace")
    assert replaced.person_ids == [qualified.pk]


def test_the_job_is_idempotent(qualified, educator, chief):
    from opendui.documents.project_pdf import store_validated_project

    project = validated(qualified, educator, chief)
    run_pending()
    assert store_validated_project(project.pk) == "déjà enregistré"
    assert DocumentVersion.objects.count() == 1 and len(stored_pdfs()) == 1


def test_storage_down_is_retried_and_leaves_no_orphan(qualified, educator, chief, monkeypatch):
    validated(qualified, educator, chief)

    def down(name, data):
        raise records.StorageUnavailable(records.StorageUnavailable.message)

    monkeypatch.setattr(records, "write", down)
    run_pending()
    job = Job.objects.get()
    assert job.status == "ready" and job.attempts == 1  # waiting for its next attempt
    assert "Le stockage des documents ne répond pas" in job.last_error
    assert not Document.objects.exists() and not ProjectDocument.objects.exists()
    assert stored_names() == []
    monkeypatch.undo()
    run_pending(now=timezone.now() + dt.timedelta(minutes=5))
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert ProjectDocument.objects.count() == 1 and len(stored_names()) == 2  # pdf + thumbnail


def test_a_failure_after_the_file_was_written_removes_it(qualified, educator, chief, monkeypatch):
    from opendui.documents.project_pdf import store_validated_project

    project = validated(qualified, educator, chief)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ProjectDocument.objects, "create", broken)
    with pytest.raises(RuntimeError):
        store_validated_project(project.pk)
    assert not Document.objects.exists() and stored_names() == []


def test_a_refused_validation_enqueues_nothing(world, qualified, educator):
    from django.core.exceptions import ValidationError

    draft = pp.create_project(
        Actor(educator), qualified.stays.get(), project_type="PPA", title="Sans accord"
    )
    chief = world.user("chef-de-service", facility=world.ehpad)
    with pytest.raises(ValidationError):
        pp.validate(Actor(chief), draft, expected_version=draft.version)
    assert not Job.objects.exists()


def test_a_draft_is_not_generated(qualified, educator):
    draft = pp.create_project(
        Actor(educator), qualified.stays.get(), project_type="PPA", title="Brouillon"
    )
    with pytest.raises(GenerationError):
        generate("PROJET-PERSO", project=draft)


def test_the_pp_page_links_to_the_stored_document(client, login, qualified, educator, chief):
    project = validated(qualified, educator, chief)
    login(chief)
    page = client.get(reverse("accompaniment:detail", args=[project.pk])).content.decode()
    assert "PDF enregistré" not in page
    run_pending()
    document = Document.objects.get()
    stored = reverse("documents:viewer_version", kwargs={"pk": document.pk, "number": 1})
    page = client.get(reverse("accompaniment:detail", args=[project.pk])).content.decode()
    assert stored in page and "PDF enregistré" in page
    response = client.get(reverse("accompaniment:pdf", args=[project.pk]))
    assert response.status_code == 302 and response.url == stored
    assert client.get(stored).status_code == 200
    assert AuditEvent.objects.filter(action="document.viewer").count() == 1
