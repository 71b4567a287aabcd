"""From an evaluation to suggested needs of the personalised project (PP).

`NeedSuggestion` is the PP's own type (accompaniment/needs.py), the interface its
`add_needs` service takes. Nothing here writes: the PP services decide.
"""

from __future__ import annotations

from opendui.accompaniment.needs import NeedSuggestion
from opendui.nomenclatures.serafin import concept

from .models import AnswerType, EvaluationStatus, FilledEvaluation

# A score at or above this threshold on a question linked to a J285 need suggests
# that need (the default grid: 0 = pas de besoin … 3 = besoin important).
NEED_THRESHOLD = 2
USABLE_STATUSES = (EvaluationStatus.APPROVED, EvaluationStatus.VALIDATED)


def needs_from_evaluation(evaluation: FilledEvaluation) -> list[NeedSuggestion]:
    """One suggestion per scored question linked to a J285 need whose score is ≥ 2.

    Only an approved or validated evaluation feeds the PP; a draft or a closed one
    gives nothing. Order follows the grid (sections, then questions); one query.
    The description is the answer's comment when there is one, else the need's label.
    """
    if evaluation.status not in USABLE_STATUSES:
        return []
    answers = (
        evaluation.answers.filter(
            question__answer_type=AnswerType.SCORE,
            score__gte=NEED_THRESHOLD,
        )
        .exclude(question__need_code="")
        .select_related("question")
        .order_by("question__section__position", "question__position", "question_id")
    )
    model = evaluation.model
    source = (
        f"évaluation n°{evaluation.pk} « {model.name} » (v{model.revision}) "
        f"du {evaluation.evaluated_on:%d/%m/%Y}"
    )
    suggestions = []
    for answer in answers:
        need = concept(answer.question.need_code)
        label = need.display if need else answer.question.text
        description = answer.comment.strip() or label
        suggestions.append(
            NeedSuggestion(
                code=answer.question.need_code,
                description=description,
                source=f"{source} – « {answer.question.text} » : score {answer.score}",
            )
        )
    return suggestions
