"""Writes of the PP's sections: expectations, needs, objectives, actions, services.

Content can only change on a draft version (a validated one is frozen: `base.FROZEN`).
Removing a row of a draft: expectations and needs are deleted (the draft was never
agreed to; the deletion is audited with the row's values), objectives, actions and
services are cancelled (status ANNULE) so that a cancelled item copied from a validated
version keeps its history. On a running version only the status of objectives, actions
and services moves (implementation follow-up), through `rules.item_transition_problem`.

Editing a row of a draft (`update_item`) checks the values with the same cleaner as its
creation, and the row's own lock version: two professionals editing the same row, the
second is told and nothing is overwritten (each save also moves the PP's lock on, so a
validator never validates content they have not seen). Reviews and agreements are not
edited: they record a meeting or a signature on a given date, also on a running
version; a mistake is corrected by recording a new one, the first staying visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from opendui.accounts.models import User
from opendui.audit.models import EventKind
from opendui.audit.services import record, snapshot
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, check_version
from opendui.nomenclatures import serafin
from opendui.nomenclatures.serafin import ValueSet

from .base import WRITE, audit, audit_target, lock, lock_draft, require_on, touch
from .models import (
    Action,
    Expectation,
    ExpectationOrigin,
    Goal,
    Need,
    PersonalisedProject,
    Service,
)
from .needs import NeedSuggestion
from .rules import ItemStatus, ProjectStatus, item_transition_problem


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"end_date": "L'échéance précède le début."})


def _referent(referent: User | None, project: PersonalisedProject) -> None:
    if referent is not None and not referent.is_active:
        raise ValidationError({"referent": "Ce professionnel n'a plus de compte actif."})


# --- expectations ----------------------------------------------------------------------------


def _expectation_values(project: PersonalisedProject, values: dict) -> dict:
    origin = values.get("origin") or ""
    if origin not in ExpectationOrigin.values:
        raise ValidationError({"origin": f"Origine inconnue : « {origin} »."})
    text = _text(values.get("text", ""), "text", "Notez l'attente telle que la personne l'exprime.")
    return {"origin": origin, "text": text, "comment": values.get("comment") or ""}


def add_expectation(
    actor: Actor, project: PersonalisedProject, *, origin: str, text: str, comment: str = ""
) -> Expectation:
    """An expectation in the words of the person (or of whoever expressed it)."""
    require_on(actor, WRITE, project.person)
    values = _expectation_values(project, {"origin": origin, "text": text, "comment": comment})
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        item = Expectation(project=project, **values)
        audit(actor, item, "pp.expectation", project)
        touch(project)
    return item


# --- needs -----------------------------------------------------------------------------------


def _need_values(project: PersonalisedProject, values: dict) -> dict:
    code = (values.get("code") or "").strip()
    problem = serafin.code_problem(code, ValueSet.NEEDS)
    if problem:
        raise ValidationError({"code": problem})
    return {
        "code": code,
        "label": serafin.concept(code).display,
        "description": values.get("description") or "",
        "analysis": values.get("analysis") or "",
        "source": values.get("source") or "",
    }


def _need(project: PersonalisedProject, code: str, description: str, analysis: str, source: str):
    values = {"code": code, "description": description, "analysis": analysis, "source": source}
    return Need(project=project, **_need_values(project, values))


def add_need(
    actor: Actor,
    project: PersonalisedProject,
    *,
    code: str,
    description: str = "",
    analysis: str = "",
    source: str = "",
) -> Need:
    """A need coded with SERAFIN-PH besoins (J285); its label is copied from the code."""
    require_on(actor, WRITE, project.person)
    need = _need(project, code, description, analysis, source)
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        audit(actor, need, "pp.need", project)
        touch(project)
    return need


def add_needs(
    actor: Actor, project: PersonalisedProject, suggestions: Sequence[NeedSuggestion]
) -> list[Need]:
    """Draft several needs at once (from an evaluation): all are saved, or none.

    Every code is checked before anything is written; a bad one refuses the whole list
    with its French message.
    """
    require_on(actor, WRITE, project.person)
    needs = [_need(project, s.code, s.description, "", (s.source or "")[:200]) for s in suggestions]
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        for need in needs:
            audit(actor, need, "pp.need", project)
        if needs:
            touch(project)
    return needs


def remove_row(
    actor: Actor, row: Expectation | Need, *, expected_version: ExpectedVersion | None
) -> None:
    """Delete an expectation or a need of a draft (audited with its values).

    `expected_version` is the version of the row the user saw: removing a row someone
    changed since would drop their change unseen (ConcurrentEditError).
    """
    project = row.project
    require_on(actor, WRITE, project.person)
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        current = type(row).objects.select_for_update().filter(pk=row.pk).first()
        if current is None:
            raise ValidationError("Cet élément a déjà été retiré du projet.")
        check_version(current.version, expected_version)
        values = snapshot(current)
        record(
            actor,
            EventKind.CHANGE,
            "pp.section_remove",
            obj=row,
            details={"removed": values, "model": row._meta.model_name},
            **audit_target(project),
        )
        type(row).objects.filter(pk=row.pk).delete()
        touch(project)


# --- objectives and actions ------------------------------------------------------------------

GOAL_FIELDS = (
    "title",
    "description",
    "expected_result",
    "person_opinion",
    "referent",
    "start_date",
    "end_date",
)


def _goal_values(project: PersonalisedProject, values: dict) -> dict:
    values = {k: v for k, v in values.items() if k in GOAL_FIELDS}
    values["title"] = _text(values.get("title", ""), "title", "Donnez un intitulé.")
    _dates(values.get("start_date"), values.get("end_date"))
    _referent(values.get("referent"), project)
    return values


def add_goal(actor: Actor, project: PersonalisedProject, **values) -> Goal:
    require_on(actor, WRITE, project.person)
    values = _goal_values(project, values)
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        goal = Goal(project=project, **values)
        audit(actor, goal, "pp.goal", project)
        touch(project)
    return goal


def update_goal(
    actor: Actor, goal: Goal, *, expected_version: ExpectedVersion | None, **values
) -> Goal:
    """Edit an objective of a draft (see `update_item`)."""
    return update_item(actor, goal, expected_version=expected_version, **values)


def add_action(actor: Actor, goal: Goal, **values) -> Action:
    project = goal.project
    require_on(actor, WRITE, project.person)
    values = _goal_values(project, values)
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        if goal.status in (ItemStatus.DONE, ItemStatus.CANCELLED):
            raise ValidationError(
                "Cet objectif est terminé ou annulé : il ne reçoit plus d'action."
            )
        action = Action(goal=goal, **values)
        audit(actor, action, "pp.action", project)
        touch(project)
    return action


# --- services --------------------------------------------------------------------------------


def _service_values(project: PersonalisedProject, values: dict) -> dict:
    code = (values.get("code") or "").strip()
    problem = serafin.code_problem(code, *serafin.SERVICES)
    if problem:
        raise ValidationError({"code": problem})
    goal = values.get("goal")
    if goal is not None and goal.project_id != project.pk:
        raise ValidationError({"goal": "Cet objectif appartient à un autre projet."})
    found = serafin.concept(code)
    return {
        "goal": goal,
        "value_set": found.value_set.value,
        "code": code,
        "label": found.display,
        "description": values.get("description") or "",
        "frequency": values.get("frequency") or "",
    }


def add_service(
    actor: Actor,
    project: PersonalisedProject,
    *,
    code: str,
    goal: Goal | None = None,
    description: str = "",
    frequency: str = "",
) -> Service:
    """A service coded with SERAFIN-PH prestations, directes (J284) or indirectes (J283)."""
    require_on(actor, WRITE, project.person)
    values = _service_values(
        project, {"code": code, "goal": goal, "description": description, "frequency": frequency}
    )
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        service = Service(project=project, **values)
        audit(actor, service, "pp.service", project)
        touch(project)
    return service


type Section = Expectation | Need | Goal | Action | Service


def project_of(item: Section) -> PersonalisedProject:
    return item.goal.project if isinstance(item, Action) else item.project


# --- editing a row of a draft ----------------------------------------------------------------

# model: (audit action, cleaner of the submitted values: the same as at creation)
EDITORS = {
    Expectation: ("pp.expectation_update", _expectation_values),
    Need: ("pp.need_update", _need_values),
    Goal: ("pp.goal_update", _goal_values),
    Action: ("pp.action_update", _goal_values),
    Service: ("pp.service_update", _service_values),
}


def update_item(
    actor: Actor, item: Section, *, expected_version: ExpectedVersion | None, **values
) -> Section:
    """Edit an expectation, need, objective, action or service of a draft version.

    The values are checked as at creation (an unknown SERAFIN-PH code is refused); a
    validated version is frozen (ValidationError); a row saved by someone else since
    `expected_version` was loaded is not overwritten (ConcurrentEditError).
    """
    project = project_of(item)
    require_on(actor, WRITE, project.person)
    action, clean = EDITORS[type(item)]
    values = clean(project, values)
    with transaction.atomic():
        lock_draft(project, CURRENT)  # serialises the draft's writes; no field of it edited
        current = type(item).objects.select_for_update().get(pk=item.pk)
        check_version(current.version, expected_version)
        for name, value in values.items():
            setattr(current, name, value)
        audit(actor, current, action, project, expected_version=current.version)
        touch(project)
    return current


# --- status of objectives, actions and services ---------------------------------------------


def change_item_status(
    actor: Actor,
    item: Goal | Action | Service,
    target: str,
    *,
    expected_version: ExpectedVersion | None,
) -> Goal | Action | Service:
    """Move an objective, action or service along its statuses (also on a running version)."""
    project = project_of(item)
    require_on(actor, WRITE, project.person)
    with transaction.atomic():
        current_project = lock(project, CURRENT)  # the item's version is the one checked
        if current_project.status == ProjectStatus.DONE:
            raise ValidationError("Ce projet est terminé : ses éléments ne changent plus.")
        current = type(item).objects.select_for_update().get(pk=item.pk)
        check_version(current.version, expected_version)
        problem = item_transition_problem(current.status, target)
        if problem:
            raise ValidationError(problem)
        current.status = target
        audit(actor, current, "pp.item_status", project, expected_version=current.version)
        touch(project)
    return current
