"""The default grid "Évaluation des besoins SERAFIN-PH", one per organisation.

One section per first-level family of needs (1.1 santé, 1.2 autonomie, 1.3
participation sociale) and one scored question per leaf of the J285 value set
(0 = pas de besoin … 3 = besoin important). A score of 2 or more suggests the need
for the personalised project (needs.needs_from_evaluation).

Chosen over a data migration: `opendui evaluations modele-serafin` creates it for
every organisation lacking it, and the demo seeder calls `ensure_serafin_model`.
It is idempotent and writes as a system actor, with one audit event per model.
"""

from __future__ import annotations

from django.db import transaction

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.nomenclatures.serafin import ValueSet, concepts
from opendui.organisations.models import ManagingOrganisation

from .models import AnswerType, EvaluationModel, ModelStatus, Question, Section

CODE = "serafin-ph-besoins"
NAME = "Évaluation des besoins SERAFIN-PH"
DESCRIPTION = (
    "Pour chaque besoin de la nomenclature SERAFIN-PH (J285) : 0 = pas de besoin, "
    "1 = besoin léger, 2 = besoin modéré, 3 = besoin important. Un besoin coté 2 ou plus "
    "est proposé pour le projet personnalisé ; le commentaire décrit ce qui est observé."
)
SCALE_HELP = "0 = pas de besoin, 1 = léger, 2 = modéré, 3 = important."


def _leaves() -> list:
    needs = concepts(ValueSet.NEEDS)
    codes = {c.code for c in needs}
    return [c for c in needs if c.depth >= 2 and not any(o.startswith(c.code + ".") for o in codes)]


def ensure_serafin_model(
    organisation: ManagingOrganisation, actor: Actor | None = None
) -> tuple[EvaluationModel, bool]:
    """The organisation's SERAFIN-PH grid, created and published if missing; (model, created)."""
    existing = EvaluationModel.objects.filter(organisation=organisation, code=CODE).first()
    if existing is not None:
        return existing, False
    actor = actor or Actor.system("opendui evaluations modele-serafin")
    families = [c for c in concepts(ValueSet.NEEDS) if c.depth == 1]
    leaves = _leaves()
    with transaction.atomic():
        model = EvaluationModel.objects.create(
            organisation=organisation,
            code=CODE,
            name=NAME,
            description=DESCRIPTION,
            status=ModelStatus.PUBLISHED,
        )
        sections = Section.objects.bulk_create(
            [
                Section(model=model, title=family.display, position=position)
                for position, family in enumerate(families, start=1)
            ]
        )
        questions = []
        for section, family in zip(sections, families, strict=True):
            inside = [c for c in leaves if c.code.startswith(family.code + ".")]
            questions += [
                Question(
                    section=section,
                    text=f"{need.code} – {need.display}",
                    help_text=SCALE_HELP,
                    answer_type=AnswerType.SCORE,
                    min_score=0,
                    max_score=3,
                    need_code=need.code,
                    position=position,
                )
                for position, need in enumerate(inside, start=1)
            ]
        Question.objects.bulk_create(questions)
        record(
            actor,
            EventKind.SYSTEM,
            "evaluation_model.default",
            obj=model,
            organisation_id=organisation.pk,
            details={"questions": len(questions)},
        )
    return model, True
