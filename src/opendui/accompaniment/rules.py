"""Pure rules of the projet personnalisé (PP): statuses, transitions, due dates, agreements.

No Django import, so every rule is unit-tested directly. Sources: the TDDUI model
(`domain_rules.md` §2.3 status value set JDV_J281, §3.2 structure and yearly review) and
CASF D311 (§3.1: the objectives are set by an avenant within 6 months of admission).

Decisions taken here (documented because the sources leave them open):

- Going ENCOURS needs at least one agreement of the structure (TDDUI accordStructure
  1..*) and the agreement of whoever consents for the person (CASF L311-3 3°: consent
  sought systematically, else the representative's; the PP is co-built with the person
  and, for a minor, the holders of parental authority). `agreements_needed` says who:
  - a person who is *represented* on the day of validation (a minor, or an adult under a
    measure with representation relative to the person: tutelle, habilitation familiale
    générale, as `persons.entourage.who_consents` reads them) needs the agreement of
    **each** of their legal representatives: every holder of parental authority recorded
    for a minor (both parents when both are recorded: CASF and Code civil art. 371-1,
    parental authority is exercised jointly), the representative named by each measure
    in force. The person's own agreement is welcome (their opinion is sought) but does not
    replace theirs; with no representative recorded, validation is refused and says so;
  - anyone else (including under curatelle or sauvegarde de justice, where the person
    decides for themself on personal matters, Code civil art. 459) needs their own
    agreement or a legal representative's.
- Items of the PP (objectives, actions, services) move ENPREPARATION → ACTIF → TERMINE,
  and may be cancelled (ANNULE) before they end; TERMINE and ANNULE are final.
- The yearly review is counted from the last review, else from the validation: the due
  date is min(next review date asked at the last review, max(validation, last review) +
  12 months). Without a review that is min(asked date, validation + 1 year). A review
  may set an earlier next date, never a later one: a later one is refused
  (`review_date_problem`) and, in data written before that check, ignored (`review_due`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Signatory:
    """A legal representative whose agreement a represented person's PP needs."""

    id: int
    name: str
    why: str  # "autorité parentale", "tutelle"… (shown beside the name)


@dataclass(frozen=True)
class AgreementsNeeded:
    """Whose agreement the PP of a person needs on a given day (see the module docstring)."""

    represented: bool
    representatives: tuple[Signatory, ...] = ()
    # Why the person is represented ("mineure", "sous tutelle"), for the messages.
    because: str = ""


NOT_REPRESENTED = AgreementsNeeded(represented=False)


def agreements_needed(
    *,
    minor: bool,
    measures: Iterable[tuple[str, Signatory | None]],
    legal_representatives: Iterable[Signatory],
) -> AgreementsNeeded:
    """Whose agreement is needed, from the facts of the day.

    `measures`: (label, named representative or None) of each protection measure *with
    representation relative to the person* in force; `legal_representatives`: the active
    relatives recorded as legal representatives (holders of parental authority for a
    minor). A measure without a named representative falls back on them, as
    `who_consents` does.
    """
    measures = list(measures)
    if not minor and not measures:
        return NOT_REPRESENTED
    relatives = list(legal_representatives)
    needed: dict[int, Signatory] = {}
    for _label, named in measures:
        if named is not None:
            needed.setdefault(named.id, named)
    if minor or any(named is None for _label, named in measures):
        for relative in relatives:
            needed.setdefault(relative.id, relative)
    because = "mineure" if minor else "sous " + ", ".join(label for label, _ in measures)
    return AgreementsNeeded(True, tuple(needed.values()), because)


@dataclass(frozen=True)
class AgreementLine:
    """One line of the validation checklist: whose agreement, obtained or not."""

    label: str
    obtained: bool
    required: bool


def agreement_checklist(
    agreements: Iterable[tuple[str, int | None]], needed: AgreementsNeeded = NOT_REPRESENTED
) -> list[AgreementLine]:
    """The agreements a validation needs, each obtained or missing, in the order shown.

    `agreements`: (author kind, representative id or None) of the agreements valid today.
    """
    agreements = list(agreements)
    authors = {kind for kind, _ in agreements}
    signed = {rep for kind, rep in agreements if kind == AgreementAuthor.REPRESENTATIVE}
    lines = [AgreementLine("l'accord de la structure", AgreementAuthor.STRUCTURE in authors, True)]
    if not needed.represented:
        lines.append(
            AgreementLine(
                "l'accord de la personne ou de son représentant",
                bool(authors & {AgreementAuthor.PERSON, AgreementAuthor.REPRESENTATIVE}),
                True,
            )
        )
        return lines
    if not needed.representatives:
        lines.append(
            AgreementLine(
                f"l'accord de son représentant légal (personne {needed.because} : aucun "
                "représentant légal n'est enregistré dans son entourage)",
                False,
                True,
            )
        )
    for signatory in needed.representatives:
        lines.append(
            AgreementLine(
                f"l'accord de {signatory.name} ({signatory.why})", signatory.id in signed, True
            )
        )
    lines.append(
        AgreementLine(
            "l'avis de la personne (recherché, sans remplacer celui de son représentant)",
            AgreementAuthor.PERSON in authors,
            False,
        )
    )
    return lines


def activation_problem(
    agreements: Iterable[tuple[str, int | None]], needed: AgreementsNeeded = NOT_REPRESENTED
) -> str | None:
    """None when the agreements present allow the PP to go ENCOURS, else what is missing."""
    missing = [
        line.label
        for line in agreement_checklist(agreements, needed)
        if line.required and not line.obtained
    ]
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
    """None when a review held on `held_on` may be recorded, else a French message.

    The next review it plans is after it and at most a year later: the PP is reviewed at
    least once a year (TDDUI bilan; domain_rules §3.2).
    """
    if held_on > today:
        return f"Un bilan ne peut pas être daté dans le futur ({held_on:%d/%m/%Y})."
    if held_on < validated_on:
        return (
            f"Le bilan ({held_on:%d/%m/%Y}) ne peut pas précéder la validation du projet "
            f"({validated_on:%d/%m/%Y})."
        )
    if next_review_on is not None and next_review_on <= held_on:
        return "La date du prochain bilan doit être postérieure à celle du bilan."
    latest = add_months(held_on, REVIEW_MONTHS)
    if next_review_on is not None and next_review_on > latest:
        return (
            f"Le prochain bilan ne peut pas être prévu le {next_review_on:%d/%m/%Y} : le projet "
            f"est revu au moins une fois par an, donc au plus tard le {latest:%d/%m/%Y}."
        )
    return None
