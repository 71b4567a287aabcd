"""Pure rules for événements indésirables (no Django import).

Sources (project reference `domain_rules.md` §5.3): CASF L331-8-1 (serious dysfunctions
and events threatening the persons are reported to the authority "sans délai"), R331-8
(any means; an oral report is confirmed in writing within 48 hours; no nominative data)
and the arrêté of 28 December 2016 (categories 1–11).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from opendui.core import workflow

CONFIRMATION_DELAY = dt.timedelta(hours=48)  # CASF R331-8: oral report confirmed within 48 h


class Severity(StrEnum):
    EI = "ei"
    EIG = "eig"
    SERIOUS_DYSFUNCTION = "dysfonctionnement_grave"


SEVERITY_LABELS: dict[Severity, str] = {
    Severity.EI: "événement indésirable (EI)",
    Severity.EIG: "événement indésirable grave (EIG) – à signaler à l'ARS",
    Severity.SERIOUS_DYSFUNCTION: "dysfonctionnement grave – à signaler à l'ARS",
}


def must_report(severity: str) -> bool:
    """L331-8-1 covers both serious dysfunctions and events endangering the persons."""
    return severity in {Severity.EIG, Severity.SERIOUS_DYSFUNCTION}


class Category(StrEnum):
    """Arrêté du 28 décembre 2016, the eleven categories of events to report."""

    DISASTER = "1"
    TECHNICAL = "2"
    ORGANISATION = "3"
    CARE_FAILURE = "4"
    RELATIONS = "5"
    DEATH = "6"
    SUICIDE = "7"
    MALTREATMENT = "8"
    DISAPPEARANCE = "9"
    VIOLENCE = "10"
    MALICE = "11"


CATEGORY_LABELS: dict[Category, str] = {
    Category.DISASTER: "1. Sinistre ou événement météorologique exceptionnel",
    Category.TECHNICAL: (
        "2. Accident ou incident lié à une défaillance d'équipement technique ; "
        "événement relevant de la santé environnementale"
    ),
    Category.ORGANISATION: (
        "3. Perturbation de l'organisation du travail ou de la gestion des ressources humaines"
    ),
    Category.CARE_FAILURE: (
        "4. Accident ou incident lié à une erreur ou à un défaut de soin ou de surveillance"
    ),
    Category.RELATIONS: (
        "5. Perturbation liée à des difficultés relationnelles récurrentes avec la famille, "
        "les proches ou des tiers"
    ),
    Category.DEATH: "6. Décès accidentel ou consécutif à un défaut de surveillance ou de prise en charge",
    Category.SUICIDE: "7. Suicide ou tentative de suicide (personne accompagnée ou professionnel)",
    Category.MALTREATMENT: "8. Situation de maltraitance",
    Category.DISAPPEARANCE: (
        "9. Disparition d'une personne accompagnée, dès lors que les services de police "
        "ou de gendarmerie ont été alertés"
    ),
    Category.VIOLENCE: "10. Comportement violent d'une personne accompagnée",
    Category.MALICE: "11. Acte de malveillance au sein de la structure",
}


class Status(StrEnum):
    DECLARED = "declare"
    ANALYSIS = "en_analyse"
    CLOSED = "clos"


STATUS_LABELS: dict[Status, str] = {
    Status.DECLARED: "déclaré",
    Status.ANALYSIS: "en analyse",
    Status.CLOSED: "clos",
}

#: Déclaré → en analyse → clos; a closed incident may be reopened (new facts, a failed
#: corrective action) and goes back to analysis, never silently to "déclaré".
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DECLARED: frozenset({Status.ANALYSIS}),
    Status.ANALYSIS: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset({Status.ANALYSIS}),
}


class ReportMode(StrEnum):
    ORAL = "oral"
    WRITTEN = "ecrit"


REPORT_MODE_LABELS: dict[ReportMode, str] = {
    ReportMode.ORAL: "oral (téléphone) – à confirmer par écrit sous 48 heures",
    ReportMode.WRITTEN: "écrit (courriel, formulaire ou courrier)",
}


class ActionStatus(StrEnum):
    PLANNED = "a_faire"
    IN_PROGRESS = "en_cours"
    DONE = "realisee"
    ABANDONED = "abandonnee"


ACTION_STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.PLANNED: "à faire",
    ActionStatus.IN_PROGRESS: "en cours",
    ActionStatus.DONE: "réalisée",
    ActionStatus.ABANDONED: "abandonnée",
}
OPEN_ACTION_STATUSES = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


def _fmt(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        return f"{moment:%d/%m/%Y à %H:%M}"
    return f"{moment:%d/%m/%Y}"


# --- statuses --------------------------------------------------------------------------------


def transition_problem(current: str, target: str) -> str | None:
    """None when the incident may go from `current` to `target`, else a French message."""
    return workflow.transition_problem(
        Status,
        STATUS_LABELS.__getitem__,
        TRANSITIONS,
        current,
        target,
        subject="l'événement",
        unknown="Statut d'événement indésirable inconnu.",
    )


@dataclass(frozen=True)
class ClosingFacts:
    severity: str
    has_analysis: bool
    reported_at: dt.datetime | None
    report_mode: str
    confirmed_at: dt.datetime | None
    open_actions: int


def closing_problems(facts: ClosingFacts) -> list[str]:
    """Why the incident cannot be closed yet (empty list: it can)."""
    problems = []
    if not facts.has_analysis:
        problems.append("l'analyse des causes n'est pas enregistrée")
    if must_report(facts.severity):
        if facts.reported_at is None:
            problems.append("le signalement à l'ARS n'est pas enregistré")
        elif facts.report_mode == ReportMode.ORAL and facts.confirmed_at is None:
            problems.append("la confirmation écrite du signalement oral n'est pas enregistrée")
    if facts.open_actions:
        problems.append(f"{facts.open_actions} action(s) corrective(s) restent à faire ou en cours")
    return problems


# --- dates -----------------------------------------------------------------------------------


def occurrence_problems(
    occurred_at: dt.datetime, declared_at: dt.datetime, discovered_at: dt.datetime | None = None
) -> dict[str, str]:
    """Field → French message. An event cannot happen after it is declared (hence not in the
    future either, since the declaration is now), nor be discovered before it happened."""
    problems = {}
    if occurred_at > declared_at:
        problems["occurred_at"] = (
            f"La date de survenue ({_fmt(occurred_at)}) ne peut pas être postérieure à la "
            f"déclaration ({_fmt(declared_at)}) ni dans le futur."
        )
    if discovered_at is not None:
        if discovered_at < occurred_at:
            problems["discovered_at"] = (
                "La date de découverte ne peut pas précéder la date de survenue."
            )
        elif discovered_at > declared_at:
            problems["discovered_at"] = (
                "La date de découverte ne peut pas être postérieure à la déclaration."
            )
    return problems


def report_problems(
    occurred_at: dt.datetime,
    now: dt.datetime,
    reported_at: dt.datetime | None,
    mode: str,
    confirmed_at: dt.datetime | None,
) -> dict[str, str]:
    """Field → French message for the ARS report dates."""
    problems = {}
    if reported_at is None:
        if confirmed_at is not None:
            problems["ars_confirmed_at"] = (
                "Indiquez d'abord la date du signalement à l'ARS avant sa confirmation écrite."
            )
        return problems
    if mode not in ReportMode.__members__.values():
        problems["ars_report_mode"] = (
            "Indiquez si le signalement a été fait oralement ou par écrit."
        )
    if reported_at < occurred_at:
        problems["ars_reported_at"] = (
            "Le signalement à l'ARS ne peut pas précéder la survenue de l'événement."
        )
    elif reported_at > now:
        problems["ars_reported_at"] = (
            "La date du signalement à l'ARS ne peut pas être dans le futur."
        )
    if confirmed_at is not None:
        if mode != ReportMode.ORAL:
            problems["ars_confirmed_at"] = (
                "Une confirmation écrite ne concerne qu'un signalement fait oralement."
            )
        elif confirmed_at < reported_at:
            problems["ars_confirmed_at"] = (
                "La confirmation écrite ne peut pas précéder le signalement oral."
            )
        elif confirmed_at > now:
            problems["ars_confirmed_at"] = "La date de confirmation ne peut pas être dans le futur."
    return problems


def confirmation_due(reported_at: dt.datetime) -> dt.datetime:
    """Latest moment of the written confirmation of an oral report (R331-8)."""
    return reported_at + CONFIRMATION_DELAY


def elapsed_text(delta: dt.timedelta) -> str:
    """'2 jours', '5 heures', 'moins d'une heure' (never negative)."""
    seconds = max(0, int(delta.total_seconds()))
    days, hours = seconds // 86400, seconds // 3600
    if days >= 1:
        return f"{days} jour{'s' if days > 1 else ''}"
    if hours >= 1:
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return "moins d'une heure"


def action_overdue(status: str, due_date: dt.date, today: dt.date) -> bool:
    """A corrective action still open after its due date."""
    return status in OPEN_ACTION_STATUSES and due_date < today


@dataclass(frozen=True)
class Deadline:
    text: str
    overdue: bool
    due: dt.datetime | None = None


@dataclass(frozen=True)
class DeadlineFacts:
    severity: str
    status: str
    occurred_at: dt.datetime
    reported_at: dt.datetime | None
    report_mode: str
    confirmed_at: dt.datetime | None
    overdue_actions: int = 0


def deadlines(facts: DeadlineFacts, now: dt.datetime) -> list[Deadline]:
    """The deadlines to show, most urgent first.

    - a reportable event not yet reported is due "sans délai": always late, with its age;
    - an oral report not confirmed: "confirmation écrite avant le …", late after 48 h;
    - corrective actions open past their due date.
    """
    result = []
    if must_report(facts.severity) and facts.reported_at is None:
        if facts.status != Status.CLOSED:
            result.append(
                Deadline(
                    "Signalement à l'ARS sans délai – non fait, survenu il y a "
                    + elapsed_text(now - facts.occurred_at),
                    overdue=True,
                )
            )
    elif (
        facts.reported_at is not None
        and facts.report_mode == ReportMode.ORAL
        and facts.confirmed_at is None
    ):
        due = confirmation_due(facts.reported_at)
        late = now > due
        result.append(
            Deadline(
                f"Confirmation écrite à l'ARS avant le {_fmt(due)}"
                + (" – dépassé" if late else ""),
                overdue=late,
                due=due,
            )
        )
    if facts.overdue_actions:
        n = facts.overdue_actions
        result.append(
            Deadline(
                f"{n} action{'s' if n > 1 else ''} corrective{'s' if n > 1 else ''} en retard",
                overdue=True,
            )
        )
    return sorted(result, key=lambda d: not d.overdue)


# --- anonymity (R331-8: no nominative data) ---------------------------------------------------


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def anonymous_label(number: int, sex: str, age: int) -> str:
    """'personne accompagnée n°1 (femme, 87 ans)': sex and age only."""
    adult = age >= 18
    words = {"F": "femme" if adult else "fille", "M": "homme" if adult else "garçon"}
    sex_word = words.get(sex, "sexe non précisé")
    return f"personne accompagnée n°{number} ({sex_word}, {age} an{'s' if age > 1 else ''})"
