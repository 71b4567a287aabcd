"""A validated AGGIR grid is stored as a document of the person, by a background job
enqueued with the validation (documents/evaluation_pdf.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.documents import store as records
from opendui.documents.generation.datamatrix import parse_payload
from opendui.documents.generation.evaluation import GenerationError, aggir_document
from opendui.documents.models import AggirDocument, Document, DocumentVersion
from opendui.evaluations import services as evaluations
from opendui.evaluations.aggir import DISCRIMINANT_VARIABLES, ILLUSTRATIVE_VARIABLES
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending

from ..evaluations.conftest import adverbs
from .conftest import stored_names
from .generation.conftest import decode_datamatrix, make_person, pdf_images, pdf_text

pytestmark = pytest.mark.django_db

STORE_JOB = "opendui.documents.tasks.store_aggir_pdf"


def flat(text: str) -> str:
    return " ".join(text.split())


def validated_grid(person, nurse, doctor, *, grid=None, illustrative=None):
    """A validated AGGIR grid of `person`, recorded by a nurse and validated by a doctor."""
    approved = evaluations.record_aggir(
        Actor(nurse),
        person,
        person.stays.get(),
        timezone.localdate(),
        grid or adverbs(),
        illustrative=illustrative or {},
        status="APPROUVE",
    )
    return evaluations.change_aggir_status(
        Actor(doctor), approved, "VALIDE", expected_version=approved.version
    )


@pytest.fixture
def nurse(world):
    return world.user("infirmier", facility=world.ehpad)


@pytest.fixture
def doctor(world):
    return world.user("medecin", facility=world.ehpad)


@pytest.fixture
def qualified(world):
    return make_person(world.ehpad)


def test_validation_enqueues_the_job_and_the_job_stores_the_grid(world, qualified, nurse, doctor):
    grid = adverbs(TOI={"haut": "S", "bas": ""}, DPE={"déplacement à l'extérieur": ""})
    evaluation = validated_grid(qualified, nurse, doctor, grid=grid, illustrative={"GES": "B"})
    assert Job.objects.filter(task_path=STORE_JOB).count() == 1
    assert not Document.objects.exists()  # the validation did not wait for WeasyPrint
    run_pending()
    link = AggirDocument.objects.get()
    document = link.document
    assert link.evaluation == evaluation and link.document_version == document.current
    assert (document.person, document.facility) == (qualified, world.ehpad)
    assert (document.type_system, document.type_code) == ("J07", "34842-5")
    assert document.type_label == "Grille d'évaluation médico-social"
    assert document.data_category == "care"
    assert document.title == (
        f"Grille AGGIR du {evaluation.evaluated_on:%d/%m/%Y} – GIR {evaluation.gir}"
    )
    assert document.act_date == evaluation.validated_on
    assert (document.author_kind, document.author_user) == ("professional", doctor)
    assert AuditEvent.objects.get(action="document.create").person_ids == [qualified.pk]


def test_the_pdf_shows_the_grid_the_gir_and_the_evaluator(qualified, nurse, doctor):
    grid = adverbs(TOI={"haut": "S", "bas": ""}, DPE={"déplacement à l'extérieur": ""})
    evaluation = validated_grid(qualified, nurse, doctor, grid=grid, illustrative={"GES": "B"})
    run_pending()
    text = flat(pdf_text(records.read(Document.objects.get().current.stored_name)))
    for variable in (*DISCRIMINANT_VARIABLES, *ILLUSTRATIVE_VARIABLES):
        assert f"{variable.label} ({variable.code})" in text
    assert "Toilette (TOI) B" in text and "haut : B ; bas : C" in text
    assert "Déplacement à l'extérieur (DPE) C" in text
    assert "Gestion (GES) B" in text and "Cuisine (CUI) non renseignée" in text
    assert f"Codage AGGIR {evaluation.coding}" in text
    assert f"GIR {evaluation.gir}" in text and f"Rang {evaluation.rang}" in text
    assert f"Évaluateur {nurse.full_name}" in text
    assert f"Validée par {doctor.full_name}" in text
    assert f"{evaluation.evaluated_on:%d/%m/%Y}" in text


def test_a_qualified_identity_gets_the_ins_and_its_datamatrix(qualified, nurse, doctor):
    validated_grid(qualified, nurse, doctor)
    run_pending()
    data = records.read(Document.objects.get().current.stored_name)
    assert "297022A02077878" in flat(pdf_text(data))
    decoded = parse_payload(decode_datamatrix(pdf_images(data)[0]))
    assert decoded["S1"] == "297022A02077878" and decoded["S7"] == "2A020"


def test_a_new_validated_grid_of_the_stay_is_a_new_version(qualified, nurse, doctor):
    first = validated_grid(qualified, nurse, doctor)
    run_pending()
    second = validated_grid(qualified, nurse, doctor, grid=adverbs(""))
    run_pending()
    document = Document.objects.get()
    assert document.version_count == 2 and document.current.number == 2
    assert list(
        AggirDocument.objects.order_by("pk").values_list(
            "evaluation_id", "document_id", "document_version__number"
        )
    ) == [(first.pk, document.pk, 1), (second.pk, document.pk, 2)]
    assert document.title.endswith(f"GIR {second.gir}") and second.gir == 1


def test_the_job_is_idempotent_and_ignores_a_grid_not_validated(qualified, nurse, doctor):
    from opendui.documents.evaluation_pdf import store_validated_grid

    evaluation = validated_grid(qualified, nurse, doctor)
    run_pending()
    assert store_validated_grid(evaluation.pk) == "déjà enregistré"
    assert DocumentVersion.objects.count() == 1
    draft = evaluations.record_aggir(
        Actor(nurse), qualified, qualified.stays.get(), timezone.localdate(), adverbs()
    )
    assert store_validated_grid(draft.pk) == "rien à faire"
    with pytest.raises(GenerationError, match="validée"):
        aggir_document(draft)
    assert Job.objects.filter(task_path=STORE_JOB).count() == 1  # a draft queues nothing


def test_storage_down_is_retried_and_leaves_no_orphan(qualified, nurse, doctor, monkeypatch):
    validated_grid(qualified, nurse, doctor)

    def down(name, data):
        raise records.StorageUnavailable(records.StorageUnavailable.message)

    monkeypatch.setattr(records, "write", down)
    run_pending()
    job = Job.objects.get(task_path=STORE_JOB)
    assert job.status == "ready" and job.attempts == 1
    assert not AggirDocument.objects.exists() and stored_names() == []
    monkeypatch.undo()
    run_pending(now=timezone.now() + dt.timedelta(minutes=5))
    job.refresh_from_db()
    assert job.status == "succeeded" and AggirDocument.objects.count() == 1
