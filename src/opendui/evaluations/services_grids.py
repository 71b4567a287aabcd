"""Evaluation models (grids designed by the administrator) and evaluations filled from them.

Permissions:

- models: `evaluation.manage_models` in the model's organisation (administrator role);
- filled evaluations: read `person.view_social`, write `person.edit_social` (educators,
  chef de service…); validation (VALIDE) and closing a validated evaluation need
  `pp.validate` (chef de service, directeur), because a validated evaluation feeds
  the personalised project the facility commits to.

A published model is frozen: filled evaluations point to that exact revision. To
change it, `new_revision` copies it into the next draft revision; publishing that
revision archives the previous one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from opendui.accounts.access import Decision, require
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, save_audited
from opendui.nomenclatures.serafin import ValueSet, code_problem
from opendui.organisations.models import ManagingOrganisation
from opendui.persons.models import Person
from opendui.stays.models import Stay

from .models import (
    Answer,
    AnswerType,
    EvaluationModel,
    EvaluationStatus,
    FilledEvaluation,
    ModelStatus,
    Question,
    Section,
)
from .rules import (
    COMPLETE_STATUSES,
    is_editable,
    needs_validation_right,
    transition_problem,
)
from .services import check_stay

MANAGE = "evaluation.manage_models"
EDIT = "person.edit_social"
VALIDATE = "pp.validate"
REFUSED_MANAGE = "Vous n'avez pas le droit de gérer les modèles d'évaluation de cet organisme."
REFUSED_EDIT = "Vous n'avez pas le droit de saisir une évaluation pour cette personne."
REFUSED_VALIDATE = (
    "La validation d'une évaluation revient au chef de service ou à la direction "
    "(droit de valider le projet personnalisé)."
)
FROZEN = "Ce modèle est publié ou archivé : il ne se modifie plus. Créez-en une nouvelle version."


# ------------------------------------------------------------------ models


def _require_manage(actor: Actor, organisation: ManagingOrganisation) -> Decision:
    return require(actor.user, MANAGE, organisation=organisation, message=REFUSED_MANAGE)


def _save_model_row(actor: Actor, row, action: str, organisation_id: int, **kw):
    return save_audited(actor, row, action, organisation_id=organisation_id, **kw)


def _check_draft(model: EvaluationModel) -> None:
    if model.is_frozen:
        raise ValidationError(FROZEN)


def _unique_code(organisation: ManagingOrganisation, name: str) -> str:
    base = slugify(name)[:50] or "grille"
    code, n = base, 1
    taken = set(
        EvaluationModel.objects.filter(organisation=organisation, code__startswith=base)
        .values_list("code", flat=True)
        .distinct()
    )
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


def create_model(
    actor: Actor,
    organisation: ManagingOrganisation,
    name: str,
    description: str = "",
    *,
    code: str | None = None,
) -> EvaluationModel:
    """A new grid, revision 1, as a draft."""
    _require_manage(actor, organisation)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Donnez un nom au modèle."})
    model = EvaluationModel(
        organisation=organisation,
        name=name,
        description=description,
        code=code or _unique_code(organisation, name),
    )
    model.full_clean()
    with transaction.atomic():
        return _save_model_row(actor, model, "evaluation_model.create", organisation.pk)


def update_model(
    actor: Actor,
    model: EvaluationModel,
    *,
    name: str,
    description: str = "",
    expected_version: ExpectedVersion | None,
) -> EvaluationModel:
    _require_manage(actor, model.organisation)
    _check_draft(model)
    if not name.strip():
        raise ValidationError({"name": "Donnez un nom au modèle."})
    model.name, model.description = name.strip(), description
    with transaction.atomic():
        return _save_model_row(
            actor,
            model,
            "evaluation_model.update",
            model.organisation_id,
            expected_version=expected_version,
        )


def add_section(actor: Actor, model: EvaluationModel, title: str) -> Section:
    _require_manage(actor, model.organisation)
    _check_draft(model)
    if not title.strip():
        raise ValidationError({"title": "Donnez un titre à la section."})
    position = (model.sections.aggregate(m=Max("position"))["m"] or 0) + 1
    section = Section(model=model, title=title.strip(), position=position)
    with transaction.atomic():
        return _save_model_row(actor, section, "evaluation_model.section", model.organisation_id)


def question_problems(fields: Mapping[str, Any]) -> dict[str, str]:
    """French messages per field for a question's definition (empty when it is sound)."""
    errors: dict[str, str] = {}
    kind = fields.get("answer_type")
    if kind not in AnswerType.values:
        errors["answer_type"] = "Choisissez le type de réponse."
    if not (fields.get("text") or "").strip():
        errors["text"] = "Saisissez l'intitulé de la question."
    options = [o for o in fields.get("options") or [] if o.strip()]
    if kind == AnswerType.CHOICE and len(options) < 2:
        errors["options"] = "Un choix unique propose au moins deux réponses (une par ligne)."
    if kind == AnswerType.SCORE:
        low, high = fields.get("min_score"), fields.get("max_score")
        if low is None or high is None or high <= low:
            errors["max_score"] = "Une échelle a un score minimal et un score maximal plus grand."
    need = (fields.get("need_code") or "").strip()
    if need:
        if kind != AnswerType.SCORE:
            errors["need_code"] = "Seule une question à score peut suggérer un besoin."
        elif problem := code_problem(need, ValueSet.NEEDS):
            errors["need_code"] = problem
    return errors


QUESTION_FIELDS = frozenset(
    {
        "text",
        "help_text",
        "answer_type",
        "options",
        "min_score",
        "max_score",
        "need_code",
        "required",
    }
)


def add_question(actor: Actor, section: Section, **fields: Any) -> Question:
    unknown = set(fields) - QUESTION_FIELDS
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    model = section.model
    _require_manage(actor, model.organisation)
    _check_draft(model)
    errors = question_problems(fields)
    if errors:
        raise ValidationError(errors)
    kind = fields["answer_type"]
    position = (section.questions.aggregate(m=Max("position"))["m"] or 0) + 1
    question = Question(
        section=section,
        text=fields["text"].strip(),
        help_text=fields.get("help_text") or "",
        answer_type=kind,
        options=[o.strip() for o in fields.get("options") or [] if o.strip()]
        if kind == AnswerType.CHOICE
        else [],
        min_score=fields.get("min_score") if kind == AnswerType.SCORE else None,
        max_score=fields.get("max_score") if kind == AnswerType.SCORE else None,
        need_code=(fields.get("need_code") or "").strip(),
        required=bool(fields.get("required")),
        position=position,
    )
    with transaction.atomic():
        return _save_model_row(actor, question, "evaluation_model.question", model.organisation_id)


def publish_model(
    actor: Actor, model: EvaluationModel, *, expected_version: ExpectedVersion | None
) -> EvaluationModel:
    """Publish a draft revision (it freezes) and archive the revision published before it."""
    _require_manage(actor, model.organisation)
    _check_draft(model)
    if not Question.objects.filter(section__model=model).exists():
        raise ValidationError("Un modèle sans question ne peut pas être publié.")
    with transaction.atomic():
        for previous in (
            EvaluationModel.objects.select_for_update()
            .filter(
                organisation=model.organisation_id, code=model.code, status=ModelStatus.PUBLISHED
            )
            .exclude(pk=model.pk)
        ):
            previous.status = ModelStatus.ARCHIVED
            _save_model_row(
                actor,
                previous,
                "evaluation_model.archive",
                model.organisation_id,
                expected_version=CURRENT,  # follows the publication, read under lock above
            )
        model.status = ModelStatus.PUBLISHED
        return _save_model_row(
            actor,
            model,
            "evaluation_model.publish",
            model.organisation_id,
            expected_version=expected_version,
        )


def archive_model(
    actor: Actor, model: EvaluationModel, *, expected_version: ExpectedVersion | None
) -> EvaluationModel:
    """Withdraw a revision: no new evaluation starts from it; filled ones keep it."""
    _require_manage(actor, model.organisation)
    if model.status == ModelStatus.ARCHIVED:
        raise ValidationError("Ce modèle est déjà archivé.")
    model.status = ModelStatus.ARCHIVED
    with transaction.atomic():
        return _save_model_row(
            actor,
            model,
            "evaluation_model.archive",
            model.organisation_id,
            expected_version=expected_version,
        )


def new_revision(actor: Actor, model: EvaluationModel) -> EvaluationModel:
    """The next revision of a grid, a draft copy of `model` with its sections and questions.

    Only one draft per grid at a time, so two administrators do not fork it.
    """
    _require_manage(actor, model.organisation)
    siblings = EvaluationModel.objects.filter(organisation=model.organisation_id, code=model.code)
    draft = siblings.filter(status=ModelStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"La version {draft.revision} de ce modèle est déjà en brouillon : modifiez-la."
        )
    revision = (siblings.aggregate(m=Max("revision"))["m"] or 0) + 1
    with transaction.atomic():
        copy = EvaluationModel(
            organisation_id=model.organisation_id,
            code=model.code,
            revision=revision,
            name=model.name,
            description=model.description,
        )
        _save_model_row(actor, copy, "evaluation_model.new_revision", model.organisation_id)
        sections = list(model.sections.prefetch_related("questions"))
        new_sections = Section.objects.bulk_create(
            [Section(model=copy, title=s.title, position=s.position) for s in sections]
        )
        Question.objects.bulk_create(
            [
                Question(
                    section=new,
                    text=q.text,
                    help_text=q.help_text,
                    answer_type=q.answer_type,
                    options=q.options,
                    min_score=q.min_score,
                    max_score=q.max_score,
                    need_code=q.need_code,
                    required=q.required,
                    position=q.position,
                )
                for old, new in zip(sections, new_sections, strict=True)
                for q in old.questions.all()
            ]
        )
    return copy


# ------------------------------------------------------------------ filled evaluations


def _save_evaluation(
    actor: Actor,
    decision: Decision,
    evaluation: FilledEvaluation,
    action: str,
    expected_version: ExpectedVersion | None = None,  # None only for a creation
) -> FilledEvaluation:
    return save_audited(
        actor,
        evaluation,
        action,
        expected_version=expected_version,
        person_ids=[evaluation.person_id],
        organisation_id=evaluation.person.organisation_id,
        facility_id=evaluation.stay.facility_id,
        break_glass=decision.break_glass,
    )


def start_evaluation(
    actor: Actor,
    person: Person,
    stay: Stay,
    model: EvaluationModel,
    evaluated_on: dt.date,
    *,
    today: dt.date | None = None,
) -> FilledEvaluation:
    """A new draft evaluation of `person` from a published model of their organisation."""
    decision = require(actor.user, EDIT, person=person, message=REFUSED_EDIT)
    if model.organisation_id != person.organisation_id or model.status != ModelStatus.PUBLISHED:
        raise ValidationError({"model": "Choisissez un modèle publié de l'organisme."})
    check_stay(person, stay, evaluated_on, today or timezone.localdate())
    evaluation = FilledEvaluation(
        person=person, stay=stay, model=model, author=actor.user, evaluated_on=evaluated_on
    )
    with transaction.atomic():
        return _save_evaluation(actor, decision, evaluation, "evaluation.create")


def answer_problem(question: Question, value: Any) -> str | None:
    """None when `value` suits the question's type (None = no answer), else French text."""
    if value is None or value == "":
        return None
    kind = question.answer_type
    if kind == AnswerType.SCORE:
        if not isinstance(value, int) or isinstance(value, bool):
            return "Le score doit être un nombre entier."
        if not question.min_score <= value <= question.max_score:
            return f"Le score va de {question.min_score} à {question.max_score}."
    elif kind == AnswerType.CHOICE and value not in question.options:
        return f"Réponse « {value} » hors des choix proposés."
    elif kind == AnswerType.YES_NO and not isinstance(value, bool):
        return "Répondez par oui ou par non."
    elif kind == AnswerType.DATE and not isinstance(value, dt.date):
        return "Saisissez une date."
    return None


def _column(question: Question) -> str:
    return {
        AnswerType.SCORE: "score",
        AnswerType.YES_NO: "boolean",
        AnswerType.DATE: "date",
    }.get(question.answer_type, "text")


def save_answers(
    actor: Actor,
    evaluation: FilledEvaluation,
    answers: Mapping[int, tuple[Any, str]],
    *,
    comment: str = "",
    expected_version: ExpectedVersion | None,
) -> FilledEvaluation:
    """Store the answers of a draft: {question id: (value, comment)}.

    All answers are checked first; one refusal saves nothing. The evaluation row
    (synthesis, version) and the answers changed are audited in the same transaction:
    one change event for the answers, with each question's old and new value.
    """
    decision = require(actor.user, EDIT, person=evaluation.person, message=REFUSED_EDIT)
    if not is_editable(evaluation.status):
        raise ValidationError(
            f"Cette évaluation est « {evaluation.get_status_display()} » : elle ne se modifie plus."
        )
    questions = {q.pk: q for q in Question.objects.filter(section__model=evaluation.model_id)}
    errors: dict[str, str] = {}
    for question_id, (value, _comment) in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise ValidationError("Question inconnue pour ce modèle.")
        if problem := answer_problem(question, value):
            errors[f"q{question_id}"] = problem
    if errors:
        raise ValidationError(errors)
    existing = {a.question_id: a for a in evaluation.answers.all()}
    created, changed, changes = [], [], {}
    for question_id, (value, note) in answers.items():
        question = questions[question_id]
        column = _column(question)
        value = None if value == "" else value
        answer = existing.get(question_id)
        if answer is None:
            if value is None and not note:
                continue
            answer = Answer(evaluation=evaluation, question=question)
            created.append(answer)
            before = (None, "")
        else:
            before = (getattr(answer, column), answer.comment)
            if before == (value, note):
                continue
            changed.append(answer)
        setattr(answer, column, value if value is not None else ("" if column == "text" else None))
        answer.comment = note
        changes[str(question_id)] = [
            _plain(before[0]),
            _plain(value),
        ]
    evaluation.comment = comment
    with transaction.atomic():
        _save_evaluation(actor, decision, evaluation, "evaluation.update", expected_version)
        Answer.objects.bulk_create(created)
        Answer.objects.bulk_update(changed, ["text", "boolean", "score", "date", "comment"])
        if changes:
            record(
                actor,
                EventKind.CHANGE,
                "evaluation.answers",
                obj=evaluation,
                person_ids=[evaluation.person_id],
                details={"changes": changes, "created": False},
                organisation_id=evaluation.person.organisation_id,
                facility_id=evaluation.stay.facility_id,
                break_glass=decision.break_glass,
            )
    return evaluation


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def missing_required(evaluation: FilledEvaluation) -> list[str]:
    """Texts of the required questions without an answer (one query)."""
    answered = {
        a.question_id
        for a in evaluation.answers.all()
        if a.text or a.boolean is not None or a.score is not None or a.date is not None
    }
    return [
        q.text
        for q in Question.objects.filter(section__model=evaluation.model_id, required=True)
        if q.pk not in answered
    ]


def change_evaluation_status(
    actor: Actor,
    evaluation: FilledEvaluation,
    target: str,
    *,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> FilledEvaluation:
    """Move an evaluation along the statuses; validating needs `pp.validate`."""
    validation = needs_validation_right(evaluation.status, target)
    decision = require(
        actor.user,
        VALIDATE if validation else EDIT,
        person=evaluation.person,
        message=REFUSED_VALIDATE if validation else REFUSED_EDIT,
    )
    problem = transition_problem(evaluation.status, target)
    if problem:
        raise ValidationError(problem)
    if target in COMPLETE_STATUSES:
        missing = missing_required(evaluation)
        if missing:
            raise ValidationError(
                "Évaluation incomplète, question"
                + (
                    "s obligatoires sans réponse : "
                    if len(missing) > 1
                    else " obligatoire sans réponse : "
                )
                + " ; ".join(f"« {text} »" for text in missing)
                + "."
            )
    evaluation.status = target
    if target == EvaluationStatus.VALIDATED:
        evaluation.validated_by = actor.user
        evaluation.validated_on = today or timezone.localdate()
    with transaction.atomic():
        return _save_evaluation(actor, decision, evaluation, "evaluation.status", expected_version)
