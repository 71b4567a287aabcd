"""Every write on incidents: validation (pure rules), permission, audit, one transaction.

Permissions: declaring needs "incident.declare" in the facility; the analysis, the
corrective actions, the status, the ARS report and the CVS information need
"incident.manage" there (chef de service, directeur). Change events carry the ids of the
persons involved, so an incident shows in each one's "who accessed my file" trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import check, require
from opendui.accounts.models import User
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, save_audited
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons

from . import rules
from .models import Analysis, CorrectiveAction, Incident

DECLARE = "incident.declare"
MANAGE = "incident.manage"


def can_manage(user: Any, facility: Facility) -> bool:
    return bool(check(user, MANAGE, facility=facility))


def can_read(user: Any, incident: Incident) -> bool:
    """The declarer reads their own declaration; managers of the facility read them all."""
    return incident.declared_by_id == getattr(user, "pk", None) or can_manage(
        user, incident.facility
    )


def _require_manage(actor: Actor, incident: Incident) -> None:
    require(
        actor.user,
        MANAGE,
        facility=incident.facility,
        message="Vous n'avez pas le droit de gérer les événements indésirables de cet établissement.",
    )


def _person_ids(incident: Incident) -> list[int]:
    return list(incident.persons.values_list("pk", flat=True))


def _save(actor: Actor, instance, action: str, incident: Incident, person_ids: Iterable[int], **kw):
    return save_audited(
        actor,
        instance,
        action,
        person_ids=list(person_ids),
        organisation_id=incident.facility.organisation_id,
        facility_id=incident.facility_id,
        **kw,
    )


def _check_categories(categories: Sequence[str]) -> list[str]:
    allowed = {c.value for c in rules.Category}
    unknown = [c for c in categories if c not in allowed]
    if unknown:
        raise ValidationError({"categories": "Catégorie inconnue."})
    return sorted(set(categories), key=int)


def declare(
    actor: Actor,
    facility: Facility,
    *,
    occurred_at: dt.datetime,
    place: str,
    description: str,
    severity: str,
    categories: Sequence[str] = (),
    persons: Sequence[Person] = (),
    discovered_at: dt.datetime | None = None,
    immediate_actions: str = "",
    consequences: str = "",
    others_involved: str = "",
    exposed_count: int | None = None,
    families_informed: bool = False,
    authorities_informed: str = "",
    media_impact: bool = False,
    now: dt.datetime | None = None,
) -> Incident:
    """Record a declaration. Persons involved must be visible to the declarer in the
    facility: nobody can attach a record they may not open."""
    require(
        actor.user,
        DECLARE,
        facility=facility,
        message="Vous n'avez pas le droit de déclarer un événement dans cet établissement.",
    )
    now = now or timezone.now()
    problems = rules.occurrence_problems(occurred_at, now, discovered_at)
    if severity not in rules.Severity.__members__.values():
        problems["severity"] = "Indiquez la gravité de l'événement."
    if not place.strip():
        problems["place"] = "Indiquez le lieu de l'événement."
    if not description.strip():
        problems["description"] = "Décrivez les faits."
    if rules.must_report(severity) and not categories:
        problems["categories"] = (
            "Un événement à signaler à l'ARS doit relever d'au moins une catégorie de "
            "l'arrêté du 28 décembre 2016."
        )
    if problems:
        raise ValidationError(problems)
    categories = _check_categories(categories)
    person_ids = sorted({p.pk for p in persons})
    if person_ids:
        visible = set(
            visible_persons(actor.user, facility)
            .filter(pk__in=person_ids)
            .values_list("pk", flat=True)
        )
        if visible != set(person_ids):
            raise ValidationError(
                {
                    "persons": "Une des personnes choisies n'est pas accompagnée par cet établissement."
                }
            )
    incident = Incident(
        facility=facility,
        declared_by=actor.user,
        declared_at=now,
        occurred_at=occurred_at,
        discovered_at=discovered_at,
        place=place.strip(),
        description=description.strip(),
        immediate_actions=immediate_actions.strip(),
        consequences=consequences.strip(),
        severity=severity,
        categories=categories,
        others_involved=others_involved.strip(),
        exposed_count=exposed_count,
        families_informed=families_informed,
        authorities_informed=authorities_informed.strip(),
        media_impact=media_impact,
    )
    with transaction.atomic():
        _save(actor, incident, "incident.declare", incident, person_ids)
        incident.persons.set(person_ids)
    return incident


def change_status(
    actor: Actor,
    incident: Incident,
    target: str,
    *,
    expected_version: ExpectedVersion | None,
    now: dt.datetime | None = None,
) -> Incident:
    _require_manage(actor, incident)
    problem = rules.transition_problem(incident.status, target)
    if problem:
        raise ValidationError(problem)
    if target == rules.Status.CLOSED:
        facts = rules.ClosingFacts(
            severity=incident.severity,
            has_analysis=Analysis.objects.filter(incident=incident).exists(),
            reported_at=incident.ars_reported_at,
            report_mode=incident.ars_report_mode,
            confirmed_at=incident.ars_confirmed_at,
            open_actions=incident.actions.filter(
                status__in=list(rules.OPEN_ACTION_STATUSES)
            ).count(),
        )
        problems = rules.closing_problems(facts)
        if problems:
            raise ValidationError("Clôture impossible : " + " ; ".join(problems) + ".")
        incident.closed_at = now or timezone.now()
    else:
        incident.closed_at = None
    incident.status = target
    return _save(
        actor,
        incident,
        "incident.status",
        incident,
        _person_ids(incident),
        expected_version=expected_version,
    )


def record_analysis(
    actor: Actor,
    incident: Incident,
    *,
    causes: str,
    analysed_on: dt.date,
    conclusions: str = "",
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> Analysis:
    """Create or update the analysis; a declared incident moves to "en analyse"."""
    _require_manage(actor, incident)
    today = today or timezone.localdate()
    if not causes.strip():
        raise ValidationError({"causes": "Décrivez les causes identifiées."})
    if analysed_on > today:
        raise ValidationError({"analysed_on": "La date de l'analyse ne peut pas être future."})
    if analysed_on < timezone.localtime(incident.occurred_at).date():
        raise ValidationError(
            {"analysed_on": "L'analyse ne peut pas précéder la survenue de l'événement."}
        )
    person_ids = _person_ids(incident)
    with transaction.atomic():
        analysis = Analysis.objects.filter(incident=incident).first() or Analysis(incident=incident)
        created = analysis.pk is None
        analysis.causes = causes.strip()
        analysis.conclusions = conclusions.strip()
        analysis.analysed_on = analysed_on
        analysis.analysed_by = actor.user
        _save(
            actor,
            analysis,
            "incident.analysis",
            incident,
            person_ids,
            expected_version=None if created else expected_version,
        )
        if incident.status == rules.Status.DECLARED:
            incident.status = rules.Status.ANALYSIS
            # Follows the analysis (the version checked above): not an edit of the user's.
            _save(
                actor, incident, "incident.status", incident, person_ids, expected_version=CURRENT
            )
    return analysis


def _check_owner(incident: Incident, owner: User) -> None:
    """The owner works in the facility (or for its whole organisation) today."""
    from opendui.accounts.models import Assignment

    in_facility = (
        Assignment.objects.active_on()
        .filter(user=owner, organisation_id=incident.facility.organisation_id)
        .filter(facility__isnull=True)
        .exists()
        or Assignment.objects.active_on().filter(user=owner, facility=incident.facility).exists()
    )
    if not in_facility or not owner.is_active:
        raise ValidationError({"owner": "Le responsable doit travailler dans cet établissement."})


def add_action(
    actor: Actor,
    incident: Incident,
    *,
    description: str,
    owner: User,
    due_date: dt.date,
) -> CorrectiveAction:
    _require_manage(actor, incident)
    if not description.strip():
        raise ValidationError({"description": "Décrivez l'action corrective."})
    if incident.status == rules.Status.CLOSED:
        raise ValidationError("L'événement est clos : rouvrez-le avant d'ajouter une action.")
    _check_owner(incident, owner)
    action = CorrectiveAction(
        incident=incident, description=description.strip(), owner=owner, due_date=due_date
    )
    return _save(actor, action, "incident.action_create", incident, _person_ids(incident))


def update_action(
    actor: Actor,
    action: CorrectiveAction,
    *,
    status: str,
    done_on: dt.date | None = None,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> CorrectiveAction:
    incident = action.incident
    _require_manage(actor, incident)
    today = today or timezone.localdate()
    if status not in rules.ActionStatus.__members__.values():
        raise ValidationError({"status": "État inconnu."})
    if status == rules.ActionStatus.DONE:
        if done_on is None:
            raise ValidationError({"done_on": "Indiquez la date de réalisation."})
        if done_on > today:
            raise ValidationError({"done_on": "La date de réalisation ne peut pas être future."})
    elif done_on is not None:
        raise ValidationError(
            {"done_on": "Une date de réalisation ne s'indique que pour une action réalisée."}
        )
    action.status = status
    action.done_on = done_on
    return _save(
        actor,
        action,
        "incident.action_update",
        incident,
        _person_ids(incident),
        expected_version=expected_version,
    )


def record_report(
    actor: Actor,
    incident: Incident,
    *,
    reported_at: dt.datetime | None,
    mode: str = "",
    confirmed_at: dt.datetime | None = None,
    cvs_informed: bool = False,
    cvs_informed_on: dt.date | None = None,
    expected_version: ExpectedVersion | None,
    now: dt.datetime | None = None,
) -> Incident:
    """The ARS report (date, oral or written, written confirmation) and the CVS information."""
    _require_manage(actor, incident)
    now = now or timezone.now()
    problems = rules.report_problems(incident.occurred_at, now, reported_at, mode, confirmed_at)
    if cvs_informed_on is not None and not cvs_informed:
        problems["cvs_informed"] = "Cochez « CVS informé » ou effacez la date."
    if cvs_informed_on is not None and cvs_informed_on > timezone.localtime(now).date():
        problems["cvs_informed_on"] = "La date d'information du CVS ne peut pas être future."
    if problems:
        raise ValidationError(problems)
    incident.ars_reported_at = reported_at
    incident.ars_report_mode = mode if reported_at is not None else ""
    incident.ars_confirmed_at = confirmed_at
    incident.cvs_informed = cvs_informed
    incident.cvs_informed_on = cvs_informed_on
    return _save(
        actor,
        incident,
        "incident.report",
        incident,
        _person_ids(incident),
        expected_version=expected_version,
    )
