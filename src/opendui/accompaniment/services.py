"""Writes of the projet personnalisé: the version lifecycle, agreements, reviews, reads.

Permissions (checked on the person with accounts.access.require):

- read: "person.view_social" (the PP is social/educational data);
- write the content, the person's or representative's agreement, reviews, a new
  version: "person.edit_social";
- the structure's agreement, validation (ENCOURS) and every later status change
  (pause, resumption, end): "pp.validate" (a decision of the structure).

Every write goes through `core.services.save_audited` (before/after values, one
transaction); every display writes an access event. A refused write raises
ValidationError with a French message and changes nothing; a write based on a stale
page raises ConcurrentEditError. Section writes (attentes, besoins, objectifs…) live in
`sections.py` and bump the version's lock, so validating a page that someone changed
meanwhile is refused instead of validating content the validator has not seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from opendui.accounts.access import Decision
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion
from opendui.nomenclatures.project_types import project_type_problem
from opendui.persons.models import Person
from opendui.persons.models_entourage import RelatedPerson
from opendui.stays.models import Stay

from . import hooks
from .base import (  # noqa: F401  (READ/WRITE/VALIDATE: public names)
    FROZEN,
    READ,
    VALIDATE,
    WRITE,
    audit,
    audit_target,
    lock,
    lock_draft,
    require_on,
    sync,
    touch,
)
from .models import (
    Action,
    Agreement,
    Expectation,
    Goal,
    Need,
    PersonalisedProject,
    Review,
    ReviewKind,
    Service,
)
from .rules import (
    RUNNING,
    AgreementAuthor,
    ItemStatus,
    ProjectStatus,
    activation_problem,
    agreement_date_problem,
    project_transition_problem,
    review_date_problem,
    review_due,
)
from .sections import add_needs  # noqa: F401  (public API: evaluations draft needs)
from .signatories import agreements_needed_for, eligible_representatives


def _today() -> dt.date:
    return timezone.localdate()


# --- reads -----------------------------------------------------------------------------------


def record_project_access(
    actor: Actor,
    action: str,
    person: Person,
    decision: Decision | None = None,
    project: PersonalisedProject | None = None,
) -> None:
    """The access event of a PP page, PDF or list (written before the page is shown)."""
    record(
        actor,
        EventKind.ACCESS,
        action,
        person_ids=[person.pk],
        obj=project or person,
        organisation_id=person.organisation_id,
        details={"project": project.pk, "number": project.number} if project else {},
        break_glass=bool(decision and decision.break_glass),
        reason=decision.reason if decision else "",
    )


# --- the version lifecycle -------------------------------------------------------------------


def _check_header(project_type: str, title: str, start_date, end_date) -> None:
    problem = project_type_problem(project_type)
    if problem:
        raise ValidationError({"project_type": problem})
    if not (title or "").strip():
        raise ValidationError({"title": "Donnez un intitulé au projet."})
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": "La fin de mise en œuvre précède son début."})


def create_project(
    actor: Actor,
    stay: Stay,
    *,
    project_type: str,
    title: str,
    description: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> PersonalisedProject:
    """The first version of the PP of a stay, in preparation."""
    require_on(actor, WRITE, stay.person)
    _check_header(project_type, title, start_date, end_date)
    if stay.end_date is not None and stay.end_date < _today():
        raise ValidationError("Ce séjour est clôturé : on ne lui crée plus de projet.")
    with transaction.atomic():
        Stay.objects.select_for_update().get(pk=stay.pk)  # one creation at a time per stay
        if PersonalisedProject.objects.filter(stay=stay).exists():
            raise ValidationError(
                "Ce séjour a déjà un projet personnalisé : ouvrez-le, ou créez une nouvelle "
                "version à partir de la version validée."
            )
        project = PersonalisedProject(
            stay=stay,
            person=stay.person,
            number=1,
            project_type=project_type,
            title=title.strip(),
            description=description,
            start_date=start_date,
            end_date=end_date,
            created_by=actor.user,
        )
        return audit(actor, project, "pp.create", project)


def update_project(
    actor: Actor,
    project: PersonalisedProject,
    *,
    expected_version: ExpectedVersion | None,
    project_type: str,
    title: str,
    description: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> PersonalisedProject:
    """Edit the header of a draft version (type, title, description, planned dates)."""
    require_on(actor, WRITE, project.person)
    _check_header(project_type, title, start_date, end_date)
    with transaction.atomic():
        current = lock_draft(project, expected_version)
        current.project_type = project_type
        current.title = title.strip()
        current.description = description
        current.start_date = start_date
        current.end_date = end_date
        audit(actor, current, "pp.update", project, expected_version=current.version)
    return sync(project, current)


def valid_agreements(
    agreements: Iterable[Agreement], today: dt.date
) -> list[tuple[str, int | None]]:
    """(author kind, representative id) of the agreements still valid today."""
    return [
        (a.author_kind, a.representative_id)
        for a in agreements
        if a.valid_until is None or a.valid_until >= today
    ]


def validate(
    actor: Actor, project: PersonalisedProject, *, expected_version: ExpectedVersion | None
) -> PersonalisedProject:
    """Validate a draft: it goes ENCOURS and is frozen.

    Needs the structure's agreement and the agreement of whoever consents for the person
    on that day: each legal representative of a minor or of an adult under a measure with
    representation, else the person (or a representative): `rules.agreements_needed`. The
    version
    it replaces, if still running, ends (TERMINE); the draft's objectives, actions and
    services in preparation become active; the first review falls due in 12 months.
    """
    require_on(actor, VALIDATE, project.person)
    today = _today()
    with transaction.atomic():
        current = lock(project, expected_version)
        problem = project_transition_problem(current.status, ProjectStatus.ACTIVE)
        if problem:
            raise ValidationError(problem)
        problem = activation_problem(
            valid_agreements(current.agreements.all(), today),
            agreements_needed_for(project.person, today),
        )
        if problem:
            raise ValidationError(problem)
        for old in PersonalisedProject.objects.select_for_update().filter(
            stay_id=project.stay_id, status__in=[s.value for s in RUNNING]
        ):
            old.status = ProjectStatus.DONE
            old.end_date = old.end_date or today
            audit(actor, old, "pp.status", project, expected_version=CURRENT)  # locked above
        current.status = ProjectStatus.ACTIVE
        current.frozen = True
        current.validated_at = timezone.now()
        current.validated_on = today
        current.validated_by = actor.user
        current.start_date = current.start_date or today
        current.next_review_due = review_due(today)
        audit(actor, current, "pp.validate", project, expected_version=current.version)
        for model, lookup in ((Goal, "project"), (Action, "goal__project"), (Service, "project")):
            for item in model.objects.filter(**{lookup: project}, status=ItemStatus.DRAFT):
                item.status = ItemStatus.ACTIVE
                # Follows the validation; item writes are serialised by the PP lock.
                audit(actor, item, "pp.item_status", project, expected_version=CURRENT)
        # The stored PDF (documents): enqueued with the validation, or not at all.
        hooks.version_validated(actor, current)
    return sync(project, current)


def change_status(
    actor: Actor,
    project: PersonalisedProject,
    target: str,
    *,
    expected_version: ExpectedVersion | None,
) -> PersonalisedProject:
    """Pause, resume or end a validated version (ENCOURS ↔ ENPAUSE, → TERMINE)."""
    if target == ProjectStatus.ACTIVE and project.status == ProjectStatus.DRAFT:
        return validate(actor, project, expected_version=expected_version)
    require_on(actor, VALIDATE, project.person)
    with transaction.atomic():
        current = lock(project, expected_version)
        problem = project_transition_problem(current.status, target)
        if problem:
            raise ValidationError(problem)
        current.status = target
        if target == ProjectStatus.DONE:
            current.end_date = current.end_date or _today()
        audit(actor, current, "pp.status", project, expected_version=current.version)
    return sync(project, current)


def new_version(
    actor: Actor, project: PersonalisedProject, *, expected_version: ExpectedVersion = CURRENT
) -> PersonalisedProject:
    """A new draft copied from a validated (frozen) version, which stays as it is.

    Copied: header, expectations, needs, and the objectives (with their actions) and
    services still in preparation or active. Not copied: agreements (the new version
    needs its own) and reviews (they belong to the version they reviewed).
    The source is only locked, not changed (a creation): its version is optional.
    """
    require_on(actor, WRITE, project.person)
    with transaction.atomic():
        source = lock(project, expected_version)
        if not source.frozen:
            raise ValidationError(
                "Cette version est encore en préparation : modifiez-la directement."
            )
        stay = Stay.objects.select_for_update().get(pk=project.stay_id)
        latest = PersonalisedProject.objects.filter(stay=stay).aggregate(n=Max("number"))["n"]
        if PersonalisedProject.objects.filter(stay=stay, status=ProjectStatus.DRAFT).exists():
            raise ValidationError("Une nouvelle version est déjà en préparation pour ce séjour.")
        if latest != source.number:
            raise ValidationError("Seule la dernière version du projet peut être reprise.")
        draft = PersonalisedProject(
            stay=stay,
            person_id=source.person_id,
            number=source.number + 1,
            previous=source,
            project_type=source.project_type,
            title=source.title,
            description=source.description,
            end_date=None,
            created_by=actor.user,
        )
        draft.person = project.person
        draft.stay = project.stay
        audit(actor, draft, "pp.new_version", project)
        copied = _copy_content(source, draft)
        record(
            actor,
            EventKind.CHANGE,
            "pp.copy_content",
            obj=draft,
            details={"from_project": source.pk, "copied": copied},
            **audit_target(project),
        )
    return draft


def _copy_content(source: PersonalisedProject, draft: PersonalisedProject) -> dict[str, int]:
    keep = [ItemStatus.DRAFT, ItemStatus.ACTIVE]
    expectations = [
        Expectation(project=draft, origin=e.origin, text=e.text, comment=e.comment)
        for e in source.expectations.all()
    ]
    needs = [
        Need(
            project=draft,
            code=n.code,
            label=n.label,
            description=n.description,
            analysis=n.analysis,
            source=n.source,
        )
        for n in source.needs.all()
    ]
    Expectation.objects.bulk_create(expectations)
    Need.objects.bulk_create(needs)
    goal_map: dict[int, Goal] = {}
    actions = []
    for goal in source.goals.filter(status__in=keep).prefetch_related("actions"):
        copy = Goal.objects.create(
            project=draft,
            **{
                f: getattr(goal, f)
                for f in (
                    "title",
                    "description",
                    "expected_result",
                    "person_opinion",
                    "referent_id",
                    "start_date",
                    "end_date",
                    "status",
                )
            },
        )
        goal_map[goal.pk] = copy
        actions += [
            Action(
                goal=copy,
                **{
                    f: getattr(action, f)
                    for f in (
                        "title",
                        "description",
                        "expected_result",
                        "person_opinion",
                        "referent_id",
                        "start_date",
                        "end_date",
                        "status",
                    )
                },
            )
            for action in goal.actions.all()
            if action.status in keep
        ]
    Action.objects.bulk_create(actions)
    services = [
        Service(
            project=draft,
            goal=goal_map.get(s.goal_id),
            value_set=s.value_set,
            code=s.code,
            label=s.label,
            description=s.description,
            frequency=s.frequency,
            status=s.status,
        )
        for s in source.services.filter(status__in=keep)
    ]
    Service.objects.bulk_create(services)
    return {
        "expectations": len(expectations),
        "needs": len(needs),
        "goals": len(goal_map),
        "actions": len(actions),
        "services": len(services),
    }


# --- agreements ------------------------------------------------------------------------------


def add_agreement(
    actor: Actor,
    project: PersonalisedProject,
    *,
    author_kind: str,
    signed_on: dt.date,
    representative: RelatedPerson | None = None,
    valid_until: dt.date | None = None,
    comment: str = "",
) -> Agreement:
    """Record the agreement of the person, their representative, or the structure.

    The structure's agreement is signed by the acting professional and needs
    "pp.validate". An agreement may be added to a draft or to a running version (a
    representative may sign after the person), not to an ended one.
    """
    if author_kind not in AgreementAuthor._value2member_map_:
        raise ValidationError({"author_kind": f"Auteur d'accord inconnu : « {author_kind} »."})
    structure = author_kind == AgreementAuthor.STRUCTURE
    require_on(actor, VALIDATE if structure else WRITE, project.person)
    if author_kind == AgreementAuthor.REPRESENTATIVE:
        if representative is None:
            raise ValidationError({"representative": "Indiquez le représentant qui signe."})
        if representative.person_id != project.person_id or not representative.is_active:
            raise ValidationError(
                {"representative": "Ce représentant n'est pas dans l'entourage de la personne."}
            )
        eligible = eligible_representatives(project.person, signed_on)
        if not eligible.filter(pk=representative.pk).exists():
            raise ValidationError(
                {
                    "representative": f"{representative} n'est pas représentant légal "
                    "(ni désigné par une mesure de protection en cours)."
                }
            )
    else:
        representative = None
    with transaction.atomic():
        current = lock(project, CURRENT)  # a new agreement: the PP's fields are not edited
        if current.status == ProjectStatus.DONE:
            raise ValidationError("Ce projet est terminé : il ne reçoit plus d'accord.")
        problem = agreement_date_problem(
            signed_on, timezone.localdate(current.created_at), _today(), valid_until
        )
        if problem:
            raise ValidationError({"signed_on": problem})
        agreement = Agreement(
            project=project,
            author_kind=author_kind,
            representative=representative,
            professional=actor.user if structure else None,
            signed_on=signed_on,
            valid_until=valid_until,
            comment=comment,
        )
        audit(actor, agreement, "pp.agreement", project)
        touch(project)
    return agreement


# --- reviews ---------------------------------------------------------------------------------


def add_review(
    actor: Actor,
    project: PersonalisedProject,
    *,
    held_on: dt.date,
    synthesis: str,
    kind: str = ReviewKind.YEARLY,
    participants: str = "",
    next_review_on: dt.date | None = None,
) -> Review:
    """Record a review (bilan) of a running version and move its next due date."""
    require_on(actor, WRITE, project.person)
    if kind not in ReviewKind.values:
        raise ValidationError({"kind": f"Motif de bilan inconnu : « {kind} »."})
    if not (synthesis or "").strip():
        raise ValidationError({"synthesis": "Rédigez la synthèse du bilan."})
    with transaction.atomic():
        # A new review; the due date below is derived from the row locked here.
        current = lock(project, CURRENT)
        if current.status not in RUNNING:
            raise ValidationError("Seul un projet en cours ou en pause fait l'objet d'un bilan.")
        problem = review_date_problem(held_on, current.validated_on, _today(), next_review_on)
        if problem:
            raise ValidationError({"held_on": problem})
        review = Review(
            project=project,
            held_on=held_on,
            kind=kind,
            synthesis=synthesis,
            participants=participants,
            next_review_on=next_review_on,
            author=actor.user,
        )
        audit(actor, review, "pp.review", project)
        latest = Review.objects.filter(project=project).order_by("-held_on", "-pk").first()
        current.next_review_due = review_due(
            current.validated_on, latest.held_on, latest.next_review_on
        )
        audit(actor, current, "pp.review_due", project, expected_version=CURRENT)
    sync(project, current)
    return review
