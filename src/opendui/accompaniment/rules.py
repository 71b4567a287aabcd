"""Pure rules of the projet personnalisé (PP): statuses, transitions, due dates, agreements.

No Django import, so every rule is unit-tested directly. Sources: the TDDUI model
(`domain_rules.md` §2.3 status value set JDV_J281, §3.2 structure and yearly review) and
CASF D311 (§3.1: the objectives are set by an avenant within 6 months of admission).

Decisions taken here (documented because the sources leave them open):

- Going ENCOURS needs at least one agreement of the structure (TDDUI accordStructure
  1..*) **and** one of the person or of their representative (CASF L311-3 3°: consent
  sought systematically, else the representative's). The issue's "done when" has the chief
  of service validate "with the person's agreement".
- Items of the PP (objectives, actions, services) move ENPREPARATION → ACTIF → TERMINE,
  and may be cancelled (ANNULE) before they end; TERMINE and ANNULE are final.
- The yearly review is counted from the last review, else from the validation; a review
  may set an earlier next date (never a later one: the year is a maximum).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from opendui.core import workflow
from opendui.stays.rules import add_months

REVIEW_MONTHS = 12
FIRST_PROJECT_MONTHS = 6


class ProjectStatus(StrEnum):
    DRAFT = "ENPREPARATION"
    ACTIVE = "ENCOURS"
    PAUSED = "ENPAUSE"
    DONE = "TERMINE"


PROJECT_STATUS_LABELS: dict[ProjectStatus, str] = {
    ProjectStatus.DRAFT: "en préparation",
    ProjectStatus.ACTIVE: "en cours",
    ProjectStatus.PAUSED: "en pause",
    ProjectStatus.DONE: "terminé",
}

P = ProjectStatus
PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    P.DRAFT: frozenset({P.ACTIVE}),
    P.ACTIVE: frozenset({P.PAUSED, P.DONE}),
    P.PAUSED: frozenset({P.ACTIVE, P.DONE}),
    P.DONE: frozenset(),
}
#: Versions that are being implemented: they are frozen and their review falls due.
RUNNING = frozenset({P.ACTIVE, P.PAUSED})


class ItemStatus(StrEnum):
    DRAFT = "ENPREPARATION"
    ACTIVE = "ACTIF"
    DONE = "TERMINE"
    CANCELLED = "ANNULE"


ITEM_STATUS_LABELS: dict[ItemStatus, str] = {
    ItemStatus.DRAFT: "en préparation",
    ItemStatus.ACTIVE: "actif",
    ItemStatus.DONE: "terminé",
    ItemStatus.CANCELLED: "annulé",
}

I = ItemStatus  # noqa: E741
ITEM_TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    I.DRAFT: frozenset({I.ACTIVE, I.CANCELLED}),
    I.ACTIVE: frozenset({I.DONE, I.CANCELLED}),
    I.DONE: frozenset(),
    I.CANCELLED: frozenset(),
}


def _transition_problem(enum, labels, transitions, what: str, current: str, target: str):
    return workflow.transition_problem(
        enum,
        labels.__getitem__,
        transitions,
        current,
        target,
        subject=what,
        unknown=f"Statut inconnu pour {what} : « {{bad}} ».",
    )


def project_transition_problem(current: str, target: str) -> str | None:
    """None when a PP may go from `current` to `target`, else a French message."""
    return _transition_problem(
        ProjectStatus, PROJECT_STATUS_LABELS, PROJECT_TRANSITIONS, "le projet", current, target
    )


def item_transition_problem(current: str, target: str) -> str | None:
    """Same for an objective, an action or a service of the PP."""
    return _transition_problem(
        ItemStatus, ITEM_STATUS_LABELS, ITEM_TRANSITIONS, "l'élément", current, target
    )


# --- agreements ------------------------------------------------------------------------------


class AgreementAuthor(StrEnum):
    PERSON = "personne"
    REPRESENTATIVE = "representant"
    STRUCTURE = "structure"


AGREEMENT_AUTHOR_LABELS: dict[AgreementAuthor, str] = {
    AgreementAuthor.PERSON: "la personne accompagnée",
    AgreementAuthor.REPRESENTATIVE: "son représentant",
    AgreementAuthor.STRUCTURE: "la structure",
}


def activation_problem(agreement_authors: Iterable[str]) -> str | None:
    """None when the agreements present allow the PP to go ENCOURS, else what is missing."""
    authors = set(agreement_authors)
    missing = []
    if AgreementAuthor.STRUCTURE not in authors:
        missing.append("l'accord de la structure")
    if not authors & {AgreementAuthor.PERSON, AgreementAuthor.REPRESENTATIVE}:
        missing.append("l'accord de la personne ou de son représentant")
    if not missing:
        return None
    return "Le projet ne peut pas être mis en œuvre sans " + " ni ".join(missing) + "."


def agreement_date_problem(
    signed_on: dt.date,
    project_created_on: dt.date,
    today: dt.date,
    valid_until: dt.date | None = None,
) -> str | None:
    """An agreement is signed on or after the PP version was created and not in the future;
    its validity, when given, does not end before the signature."""
    if signed_on < project_created_on:
        return (
            f"L'accord ne peut pas être daté du {signed_on:%d/%m/%Y}, avant la création "
            f"de cette version du projet ({project_created_on:%d/%m/%Y})."
        )
    if signed_on > today:
        return f"L'accord ne peut pas être daté dans le futur ({signed_on:%d/%m/%Y})."
    if valid_until is not None and valid_until < signed_on:
        return "La fin de validité de l'accord ne peut pas précéder sa signature."
    return None


# --- due dates -------------------------------------------------------------------------------


def review_due(
    validated_on: dt.date | None,
    last_review_on: dt.date | None = None,
    next_review_on: dt.date | None = None,
) -> dt.date | None:
    """Last day for the next review (bilan) of a validated PP; None for a draft.

    At least once a year: 12 months after the last review, else after the validation.
    The last review may ask for an earlier date (`next_review_on`), never a later one.
    """
    if validated_on is None:
        return None
    base = max(validated_on, last_review_on) if last_review_on else validated_on
    due = add_months(base, REVIEW_MONTHS)
    if next_review_on is not None and next_review_on < due:
        return next_review_on
    return due


def first_objectives_due(admission_date: dt.date) -> dt.date:
    """Last day for the first PP's objectives: the avenant within 6 months (CASF D311)."""
    return add_months(admission_date, FIRST_PROJECT_MONTHS)


def is_overdue(due: dt.date | None, today: dt.date) -> bool:
    """A due date is the last allowed day: overdue from the day after."""
    return due is not None and due < today


def review_date_problem(
    held_on: dt.date, validated_on: dt.date, today: dt.date, next_review_on: dt.date | None
) -> str | None:
    if held_on > today:
        return f"Un bilan ne peut pas être daté dans le futur ({held_on:%d/%m/%Y})."
    if held_on < validated_on:
        return (
            f"Le bilan ({held_on:%d/%m/%Y}) ne peut pas précéder la validation du projet "
            f"({validated_on:%d/%m/%Y})."
        )
    if next_review_on is not None and next_review_on <= held_on:
        return "La date du prochain bilan doit être postérieure à celle du bilan."
    return None
