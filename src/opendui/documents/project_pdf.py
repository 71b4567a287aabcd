"""A validated projet personnalisé version becomes a stored document of the person.

`accompaniment.services.validate` calls the hook `queue_project_pdf` (registered in
apps.py) in the validation's transaction: it enqueues `tasks.store_project_pdf`, so the
validation neither waits for WeasyPrint nor fails when the records storage is down; a
validation rolled back takes its job with it.

The job (`store_validated_project`) generates the PDF (generation.project: INS block and
datamatrix on a qualified identity) and stores it:

- type PROJET-PERSO, category social, act date = the validation date, author = the
  validator (a professional of the facility), written by the application (a job actor);
- the first validated version of the PP of a stay creates the Document; each later one
  is a new version of that same Document (`replace_document`), its title and act date
  updated, so the Documents tab shows one "Projet personnalisé" with its versions;
- idempotent: one `ProjectDocument` row per PP version (one-to-one), checked under a
  lock on the version; a second run does nothing;
- the storage or antivirus down: `ProjectPdfStorageDown`, retried by the job; a failure
  after the file was written removes it (no orphan file, no half-written rows).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from opendui.accompaniment.models import PersonalisedProject
from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.jobs.tasks import JobError

from . import hooks, store
from .models import AuthorKind, ProjectDocument
from .services import replace_document, store_document

JOB_ACTOR = "documents.projet_personnalise"
#: ValidationError codes of services._store_file: the service, not the content, failed.
UNAVAILABLE = {"storage", "antivirus"}


class ProjectPdfStorageDown(JobError):
    """The records storage or the antivirus did not answer: the job is retried."""


def queue_project_pdf(actor: Actor, project: PersonalisedProject) -> None:
    """Hook of accompaniment: enqueue the storing of the validated version's PDF (in the
    validation's transaction; one job per version by its idempotency key)."""
    from .tasks import store_project_pdf

    store_project_pdf.using(idempotency_key=f"documents.pp:{project.pk}").enqueue(project.pk)


def stored_project_url(project: PersonalisedProject) -> str | None:
    """Hook of accompaniment: the page of this version's stored PDF (the document at
    that version), or None when it is not stored. One query."""
    link = (
        ProjectDocument.objects.filter(project_id=project.pk)
        .values_list("document_id", "document_version__number")
        .first()
    )
    if link is None:
        return None
    return reverse("documents:viewer_version", kwargs={"pk": link[0], "number": link[1]})


def _previous_link(project: PersonalisedProject) -> ProjectDocument | None:
    """The stored PDF of the latest earlier version of the same stay whose document is
    still active: the Document the new version joins."""
    return (
        ProjectDocument.objects.select_related("document__person")
        .filter(
            project__stay_id=project.stay_id,
            project__number__lt=project.number,
            document__status="active",
        )
        .order_by("-project__number")
        .first()
    )


def store_validated_project(project_id: int) -> str:
    """Generate and store the PDF of a validated PP version; a short French outcome."""
    from .generation import generate

    with transaction.atomic():
        project = (
            PersonalisedProject.objects.select_for_update(of=("self",))
            .select_related("person", "stay__facility__organisation", "validated_by")
            .filter(pk=project_id)
            .first()
        )
        if project is None or not project.frozen:
            return "rien à faire"
        if ProjectDocument.objects.filter(project_id=project.pk).exists():
            return "déjà enregistré"
        author = project.validated_by or project.created_by
        if author is None:  # written by an import, with no professional to name
            return "sans auteur : non enregistré"
        generated = generate("PROJET-PERSO", project=project)
        actor = Actor.system(JOB_ACTOR)
        files = [(f"projet-personnalise-v{project.number}.pdf", generated.pdf)]
        previous = _previous_link(project)
        try:
            if previous is not None:
                document = previous.document
                version = replace_document(
                    actor,
                    document,
                    files=files,
                    expected_version=CURRENT,
                    title=generated.title,
                    act_date=generated.act_date,
                )
            else:
                document = store_document(
                    actor,
                    project.person,
                    facility=project.stay.facility,
                    data_category=generated.data_category,
                    type_code=generated.type_code,
                    title=generated.title,
                    act_date=generated.act_date,
                    files=files,
                    author_kind=AuthorKind.PROFESSIONAL,
                    author_user=author,
                )
                version = document.current
        except ValidationError as error:
            if getattr(error, "code", None) in UNAVAILABLE:
                raise ProjectPdfStorageDown(error.messages[0]) from error
            raise
        try:
            ProjectDocument.objects.create(
                project=project, document=document, document_version=version
            )
            # The DMP feed (interop.dmp) shares it, acting as the validator.
            hooks.version_stored(document, version, acting_user=author)
        except BaseException:
            store.remove(version.stored_name)
            raise
    return "enregistré"
