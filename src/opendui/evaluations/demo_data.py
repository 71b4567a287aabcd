"""Demo evaluations: AGGIR grids with history for EHPAD residents, SERAFIN-PH grids in PH.

Called by the demo seeder inside its transaction; rows are built in memory and
bulk-created (no audit per row: the seed records one system event for the whole demo).
Deterministic for a given `rng`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from opendui.core.bulk import bulk_insert
from opendui.organisations.models import Couloir

from .aggir import DISCRIMINANT_VARIABLES, ILLUSTRATIVE_VARIABLES, compute_gir
from .models import AggirEvaluation, Answer, EvaluationStatus, FilledEvaluation, Question
from .rules import ADVERB_LETTERS, sub_variable_names, variable_letters
from .serafin_model import ensure_serafin_model

EHPAD_CATEGORY = "500"
BATCH_SIZE = 2000


def _adverbs(rng: random.Random, dependency: float) -> dict[str, dict[str, str]]:
    """Plausible adverbs: each satisfied with probability 1 - dependency, correlated per person."""
    grid: dict[str, dict[str, str]] = {}
    for variable in DISCRIMINANT_VARIABLES:
        # Outdoor moves and remote communication fail earlier than cohérence.
        bias = 0.15 if variable.code in ("DPE", "COM", "TOI", "HAB") else 0.0
        for name in sub_variable_names(variable):
            roll = rng.random()
            if roll < dependency * 0.6 + bias:
                value = ""  # none satisfied: C
            elif roll < dependency + bias:
                value = "".join(a for a in ADVERB_LETTERS if rng.random() < 0.5)
            else:
                value = ADVERB_LETTERS
            grid.setdefault(variable.code, {})[name] = value
    return grid


def _aggir(stay, evaluator, on: dt.date, dependency: float, rng, status) -> AggirEvaluation:
    adverbs = _adverbs(rng, dependency)
    letters = variable_letters(adverbs)
    coding = "".join(letters[v.code] or "" for v in DISCRIMINANT_VARIABLES)
    result = compute_gir(coding)
    validated = status in (EvaluationStatus.VALIDATED, EvaluationStatus.FINISHED)
    return AggirEvaluation(
        person_id=stay.person_id,
        stay=stay,
        evaluated_on=on,
        evaluator=evaluator,
        status=status,
        adverbs=adverbs,
        illustrative={
            v.code: rng.choice("BC" if dependency > 0.4 else "ABC") for v in ILLUSTRATIVE_VARIABLES
        },
        coding=coding,
        gir=result.gir,
        rang=result.rang,
        group=result.group,
        score=result.score,
        validated_by=evaluator if validated else None,
        validated_on=on + dt.timedelta(days=rng.randint(1, 20)) if validated else None,
    )


def seed_evaluations(stays: Sequence, rng: random.Random, authors: Sequence, today: dt.date) -> int:
    """Create demo evaluations for `stays` (with facility loaded); returns rows created.

    EHPAD residents get a yearly AGGIR history (validated, older ones closed) and
    sometimes a draft in progress; PH stays get a SERAFIN-PH needs evaluation.
    """
    if not stays or not authors:
        return 0
    grids: list[AggirEvaluation] = []
    filled: list[FilledEvaluation] = []
    scores: list[list[int]] = []
    models: dict[int, tuple] = {}
    for stay in stays:
        facility = stay.facility
        start = stay.start_date
        end = stay.end_date or today
        if end < start:
            continue
        author = rng.choice(authors)
        if facility.category_id == EHPAD_CATEGORY:
            dependency = rng.betavariate(2.5, 2.0)
            on = start + dt.timedelta(days=rng.randint(0, min(30, (end - start).days)))
            history = []
            while on <= end:
                history.append(on)
                on += dt.timedelta(days=rng.randint(300, 400))
            for position, when in enumerate(history):
                last = position == len(history) - 1
                status = EvaluationStatus.VALIDATED if last else EvaluationStatus.FINISHED
                grids.append(_aggir(stay, author, when, min(0.95, dependency), rng, status))
                dependency += rng.uniform(0.0, 0.12)  # dependency tends to grow
            if stay.end_date is None and rng.random() < 0.1:
                grids.append(_aggir(stay, author, today, dependency, rng, EvaluationStatus.DRAFT))
        elif facility.couloir == Couloir.PH:
            organisation_id = facility.organisation_id
            if organisation_id not in models:
                model, _ = ensure_serafin_model(facility.organisation)
                questions = list(
                    Question.objects.filter(section__model=model).order_by(
                        "section__position", "position"
                    )
                )
                models[organisation_id] = (model, questions)
            model, questions = models[organisation_id]
            on = end - dt.timedelta(days=rng.randint(0, min(180, (end - start).days)))
            status = rng.choice(
                [EvaluationStatus.VALIDATED, EvaluationStatus.VALIDATED, EvaluationStatus.DRAFT]
            )
            filled.append(
                FilledEvaluation(
                    person_id=stay.person_id,
                    stay=stay,
                    model=model,
                    author=author,
                    evaluated_on=on,
                    status=status,
                    validated_by=author if status == EvaluationStatus.VALIDATED else None,
                    validated_on=on if status == EvaluationStatus.VALIDATED else None,
                )
            )
            scores.append([min(3, int(rng.expovariate(1.2))) for _ in questions])
    bulk_insert(AggirEvaluation, grids)
    bulk_insert(FilledEvaluation, filled)
    answers = []
    for evaluation, values in zip(filled, scores, strict=True):
        questions = models[evaluation.stay.facility.organisation_id][1]
        answers += [
            Answer(
                evaluation=evaluation,
                question=question,
                score=value,
                comment="Besoin observé au quotidien." if value >= 2 else "",
            )
            for question, value in zip(questions, values, strict=True)
        ]
    bulk_insert(Answer, answers)
    return len(grids) + len(filled) + len(answers)
