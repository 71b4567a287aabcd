"""Writes of AGGIR grids: validation, permission, audit, one transaction each.

Permissions (decided for issue 4; see docs/architecture.md "Evaluations"):

- create, edit a draft, approve, send back to draft: `person.edit_care` (aide-soignant,
  infirmier, médecin by default): the AGGIR grid is care data;
- validate (VALIDE), and close (TERMINE) a validated grid: `person.edit_medical`: in an
  EHPAD the médecin coordonnateur validates the GIR of the residents (it feeds the GMP
  the authorities check). `pp.validate` (chef de service) is deliberately not enough:
  that role only reads care data.

A draft may be partial. A grid saved as, or moved to, APPROUVE or VALIDE must be
complete: otherwise a ValidationError names each unanswered sub-variable and nothing
is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import Decision, require
from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion, save_audited
from opendui.persons.models import Person
from opendui.stays.models import Stay

from . import hooks
from .aggir import DISCRIMINANT_VARIABLES, AggirError
from .models import AggirEvaluation
from .rules import (
    ADVERB_LETTERS,
    COMPLETE_STATUSES,
    Status,
    coding_from_adverbs,
    illustrative_problem,
    is_editable,
    needs_validation_right,
    result_from_adverbs,
    sub_variable_names,
    transition_problem,
)

EDIT = "person.edit_care"
VALIDATE = "person.edit_medical"
REFUSED_EDIT = "Vous n'avez pas le droit de saisir une grille AGGIR pour cette personne."
REFUSED_VALIDATE = (
    "Seul un médecin (droit de saisie des données médicales) peut valider ou clore "
    "une grille AGGIR validée."
)


def _date(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


def check_stay(person: Person, stay: Stay, on: dt.date, today: dt.date) -> None:
    """The evaluation date falls within a stay of that person, and not in the future."""
    if stay.person_id != person.pk:
        raise ValidationError({"stay": "Ce séjour n'est pas celui de cette personne."})
    if on > today:
        raise ValidationError({"evaluated_on": f"La date du {_date(on)} est dans le futur."})
    if on < stay.start_date or (stay.end_date is not None and on > stay.end_date):
        raise ValidationError(
            {
                "evaluated_on": f"Le {_date(on)} est hors du séjour choisi "
                f"({stay.facility}, du {_date(stay.start_date)}"
                + (f" au {_date(stay.end_date)}" if stay.end_date else "")
                + ")."
            }
        )


def clean_adverbs(adverbs: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Stored form of the adverbs: known variables and sub-variables, letters in STCH order."""
    cleaned: dict[str, dict[str, str]] = {}
    for variable in DISCRIMINANT_VARIABLES:
        answers = adverbs.get(variable.code) or {}
        for name in sub_variable_names(variable):
            if name in answers:
                value = answers[name] or ""
                if set(value) - set(ADVERB_LETTERS):
                    raise ValidationError(f"Adverbes non admis pour {variable.code} : « {value} ».")
                cleaned.setdefault(variable.code, {})[name] = "".join(
                    letter for letter in ADVERB_LETTERS if letter in value
                )
    return cleaned


def _compute(evaluation: AggirEvaluation) -> None:
    """Derive coding, GIR, rang, group and score from the adverbs (blank for a partial draft)."""
    result = result_from_adverbs(evaluation.adverbs)
    if result is None:
        evaluation.coding, evaluation.gir, evaluation.rang = "", None, None
        evaluation.group, evaluation.score = "", None
        return
    coding, gir = result
    evaluation.coding, evaluation.gir, evaluation.rang = coding, gir.gir, gir.rang
    evaluation.group, evaluation.score = gir.group, gir.score


def _require_complete(evaluation: AggirEvaluation) -> None:
    try:
        coding_from_adverbs(evaluation.adverbs)
    except AggirError as error:
        raise ValidationError(str(error)) from None


def _save(
    actor: Actor,
    decision: Decision,
    evaluation: AggirEvaluation,
    action: str,
    expected_version: ExpectedVersion | None = None,  # None only for a creation
) -> AggirEvaluation:
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


def _apply(
    evaluation: AggirEvaluation,
    adverbs: Mapping[str, Mapping[str, str]],
    illustrative: Mapping[str, str],
    comment: str,
) -> None:
    problem = illustrative_problem(illustrative)
    if problem:
        raise ValidationError(problem)
    evaluation.adverbs = clean_adverbs(adverbs)
    evaluation.illustrative = {code: letter for code, letter in illustrative.items() if letter}
    evaluation.comment = comment
    _compute(evaluation)


def record_aggir(
    actor: Actor,
    person: Person,
    stay: Stay,
    evaluated_on: dt.date,
    adverbs: Mapping[str, Mapping[str, str]],
    *,
    illustrative: Mapping[str, str] | None = None,
    comment: str = "",
    status: str = Status.DRAFT,
    today: dt.date | None = None,
) -> AggirEvaluation:
    """Record a new grid, as a draft (partial allowed) or approved (complete only)."""
    decision = require(actor.user, EDIT, person=person, message=REFUSED_EDIT)
    if status not in (Status.DRAFT, Status.APPROVED):
        raise ValidationError(
            "Une nouvelle grille est enregistrée en préparation ou approuvée ; "
            "la validation vient ensuite."
        )
    check_stay(person, stay, evaluated_on, today or timezone.localdate())
    evaluation = AggirEvaluation(
        person=person,
        stay=stay,
        evaluated_on=evaluated_on,
        evaluator=actor.user,
        status=status,
    )
    _apply(evaluation, adverbs, illustrative or {}, comment)
    if status in COMPLETE_STATUSES:
        _require_complete(evaluation)
    with transaction.atomic():
        return _save(actor, decision, evaluation, "aggir.create")


def update_aggir(
    actor: Actor,
    evaluation: AggirEvaluation,
    *,
    evaluated_on: dt.date,
    adverbs: Mapping[str, Mapping[str, str]],
    illustrative: Mapping[str, str] | None = None,
    comment: str = "",
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> AggirEvaluation:
    """Edit a draft grid (other statuses are frozen: a correction is a new grid)."""
    decision = require(actor.user, EDIT, person=evaluation.person, message=REFUSED_EDIT)
    if not is_editable(evaluation.status):
        raise ValidationError(
            f"Cette grille est « {evaluation.get_status_display()} » : elle ne se modifie plus. "
            "Renvoyez-la en préparation ou saisissez une nouvelle grille."
        )
    check_stay(evaluation.person, evaluation.stay, evaluated_on, today or timezone.localdate())
    evaluation.evaluated_on = evaluated_on
    _apply(evaluation, adverbs, illustrative or {}, comment)
    with transaction.atomic():
        return _save(actor, decision, evaluation, "aggir.update", expected_version)


def change_aggir_status(
    actor: Actor,
    evaluation: AggirEvaluation,
    target: str,
    *,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> AggirEvaluation:
    """Move a grid along ENPREPARATION → APPROUVE → VALIDE → TERMINE (rules.TRANSITIONS)."""
    medical = needs_validation_right(evaluation.status, target)
    decision = require(
        actor.user,
        VALIDATE if medical else EDIT,
        person=evaluation.person,
        message=REFUSED_VALIDATE if medical else REFUSED_EDIT,
    )
    problem = transition_problem(evaluation.status, target)
    if problem:
        raise ValidationError(problem)
    if target in COMPLETE_STATUSES:
        _require_complete(evaluation)
    evaluation.status = target
    if target == Status.VALIDATED:
        evaluation.validated_by = actor.user
        evaluation.validated_on = today or timezone.localdate()
    with transaction.atomic():
        saved = _save(actor, decision, evaluation, "aggir.status", expected_version)
        if target == Status.VALIDATED:
            # The store keeps the grid as a document of the person (documents.apps).
            hooks.aggir_validated(actor, saved)
        return saved
