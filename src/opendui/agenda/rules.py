"""Pure agenda rules: event statuses (TDDUI JDV_J281), their transitions, and when a
reason for non-realisation (motifNonRealisation) is required. No Django import.

Transitions, from the TDDUI semantics (FHIR Encounter planned / triaged / cancelled /
finished):

- PLANIFIE → VALIDE (the appointment is confirmed), ANNULE, TERMINE. PLANIFIE → TERMINE is
  allowed: most activities are carried out without anyone "validating" them first, and
  FHIR lets a planned encounter become finished directly; forcing a VALIDE step would
  only add a click and make the record lie about when it was confirmed.
- VALIDE → TERMINE or ANNULE.
- ANNULE and TERMINE are final: a mistake is corrected by creating a new event, so the
  history of what was declared stays readable (nothing is hard-deleted, DESIGN §4.4).

A reason is required when an event is cancelled, and when it is marked done while
every participant was absent (it did not take place for anyone: TDDUI "usager présent"
false everywhere means "non réalisé" for the record). One absent person among several
in a group activity does not need a reason: the activity took place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    PLANNED = "PLANIFIE"
    VALIDATED = "VALIDE"
    CANCELLED = "ANNULE"
    DONE = "TERMINE"


class Presence(StrEnum):
    YES = "oui"
    NO = "non"
    UNKNOWN = "inconnu"


STATUS_LABELS = {
    Status.PLANNED: "planifié",
    Status.VALIDATED: "validé",
    Status.CANCELLED: "annulé",
    Status.DONE: "terminé",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.VALIDATED, Status.CANCELLED, Status.DONE}),
    Status.VALIDATED: frozenset({Status.CANCELLED, Status.DONE}),
    Status.CANCELLED: frozenset(),
    Status.DONE: frozenset(),
}
OPEN_STATUSES = frozenset({Status.PLANNED, Status.VALIDATED})

# Longest event: keeps planning queries an index range scan (start between the week's
# start minus this and the week's end). A stay away lasting longer is a stay or an
# absence, not an agenda event.
MAX_DURATION = dt.timedelta(days=14)


def transition_problem(current: str, target: str) -> str | None:
    """None when `current` → `target` is allowed, else a French message."""
    try:
        current_s, target_s = Status(current), Status(target)
    except ValueError:
        return f"Statut inconnu : « {target} »."
    if target_s in TRANSITIONS[current_s]:
        return None
    if current_s == target_s:
        return f"L'événement est déjà « {STATUS_LABELS[current_s]} »."
    if not TRANSITIONS[current_s]:
        return (
            f"Un événement « {STATUS_LABELS[current_s]} » ne change plus de statut : "
            "créez un nouvel événement si besoin."
        )
    return (
        f"Un événement « {STATUS_LABELS[current_s]} » ne peut pas devenir "
        f"« {STATUS_LABELS[target_s]} »."
    )


def reason_required(target: str, presences: Iterable[str]) -> bool:
    """Whether moving to `target` needs a reason for non-realisation."""
    if target == Status.CANCELLED:
        return True
    if target == Status.DONE:
        presences = list(presences)
        return bool(presences) and all(p == Presence.NO for p in presences)
    return False


def status_problem(current: str, target: str, reason: str, presences: Iterable[str]) -> str | None:
    """Every refusal of a status change, as one French message (None when allowed)."""
    problem = transition_problem(current, target)
    if problem:
        return problem
    if reason_required(target, presences) and not reason.strip():
        if target == Status.CANCELLED:
            return "Indiquez le motif de l'annulation (motif de non-réalisation)."
        return (
            "Toutes les personnes étaient absentes : indiquez le motif de non-réalisation, "
            "ou marquez l'événement comme annulé."
        )
    return None


def period_problem(start: dt.datetime, end: dt.datetime) -> str | None:
    """The period of an event: it ends after it starts, and lasts MAX_DURATION at most."""
    if end <= start:
        return (
            f"L'événement se termine ({end:%d/%m/%Y %H:%M}) avant ou au moment où il commence "
            f"({start:%d/%m/%Y %H:%M}) : corrigez l'heure de fin."
        )
    if end - start > MAX_DURATION:
        return f"Un événement dure {MAX_DURATION.days} jours au plus."
    return None
