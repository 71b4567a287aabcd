"""A validated AGGIR grid becomes a stored document of the person (and goes to the DMP).

`evaluations.services.change_aggir_status` calls the hook `queue_aggir_pdf` (registered in
apps.py through `evaluations.hooks.on_aggir_validated`) in the validation's transaction: it
enqueues `tasks.store_aggir_pdf`, so the médecin's validation neither waits for WeasyPrint
nor fails when the records storage is down; a validation rolled back takes its job with it.

The job (`store_validated_grid`) generates the PDF (generation.evaluation: the grid, the
GIR, the evaluator; INS block and datamatrix on a qualified identity) and stores it:

- type JDV_J07 34842-5 "Grille d'évaluation médico-social", category care, act date = the
  validation date, author = the validator, written by the application (a job actor);
- the first validated grid of a stay creates the Document; each later one (a correction,
  which the evaluations app records as a new grid, or the yearly re-evaluation) is a new
  version of that Document (`replace_document`): the record shows one "Grille AGGIR" with
  its versions, and the DMP receives the new one as a replacement (RPLC);
- idempotent: one `AggirDocument` row per evaluation (one-to-one), checked under a lock on
  the evaluation; a second run does nothing;
- once stored, `hooks.version_stored` hands it to the DMP feed, acting as the validator;
- the storage or antivirus down: `AggirPdfStorageDown`, retried by the job; a failure after
  the file was written removes it (no orphan file, no half-written rows).
"""

from __future__ import annotations

from django.db import transaction

from opendui.core.actor import Actor
from opendui.evaluations.models import AggirEvaluation
from opendui.evaluations.rules import Status
from opendui.jobs.tasks import JobError

from .generated_store import store_generated_pdf
from .models import AggirDocument

JOB_ACTOR = "documents.grille_aggir"


class AggirPdfStorageDown(JobError):
    """The records storage or the antivirus did not answer: the job is retried."""


def queue_aggir_pdf(actor: Actor, evaluation: AggirEvaluation) -> None:
    """Hook of evaluations: enqueue the storing of the validated grid's PDF (in the
    validation's transaction; one job per evaluation by its idempotency key)."""
    from .tasks import store_aggir_pdf

    store_aggir_pdf.using(idempotency_key=f"documents.aggir:{evaluation.pk}").enqueue(evaluation.pk)


def _previous_link(evaluation: AggirEvaluation) -> AggirDocument | None:
    """The stored grid of the latest earlier evaluation of the same stay whose document is
    still active: the Document the new grid joins as a new version."""
    return (
        AggirDocument.objects.select_related("document__person")
        .filter(evaluation__stay_id=evaluation.stay_id, document__status="active")
        .exclude(evaluation_id=evaluation.pk)
        .order_by("-created_at", "-pk")
        .first()
    )


def store_validated_grid(evaluation_id: int) -> str:
    """Generate and store the PDF of a validated AGGIR grid; a short French outcome."""
    from .generation.evaluation import aggir_document

    with transaction.atomic():
        evaluation = (
            AggirEvaluation.objects.select_for_update(of=("self",))
            .select_related("person", "stay__facility__organisation", "validated_by", "evaluator")
            .filter(pk=evaluation_id)
            .first()
        )
        if evaluation is None or evaluation.status != Status.VALIDATED:
            return "rien à faire"
        if AggirDocument.objects.filter(evaluation_id=evaluation.pk).exists():
            return "déjà enregistré"
        author = evaluation.validated_by
        if author is None:  # validated by an import, with no professional to name
            return "sans auteur : non enregistré"
        generated = aggir_document(evaluation)
        previous = _previous_link(evaluation)
        store_generated_pdf(
            job_actor=JOB_ACTOR,
            source=evaluation,
            generated=generated,
            filename=generated.filename,
            author=author,
            joins=previous.document if previous is not None else None,
            link=lambda document, version: AggirDocument.objects.create(
                evaluation=evaluation, document=document, document_version=version
            ),
            storage_down=AggirPdfStorageDown,
        )
    return "enregistré"
