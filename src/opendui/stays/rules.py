"""Pure rules for admissions and the contrat de séjour / DIPC (no Django import).

Sources: CASF L311-4 and D311 as summarised in the project reference
(`domain_rules.md` §3.1); MDPH statuses in §5.5.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from opendui.core import workflow


class AdmissionStatus(StrEnum):
    RECEIVED = "recue"
    UNDER_REVIEW = "en_etude"
    ACCEPTED = "acceptee"
    WAITING_LIST = "liste_attente"
    REFUSED = "refusee"
    ADMITTED = "admise"
    CANCELLED = "annulee"


STATUS_LABELS: dict[AdmissionStatus, str] = {
    AdmissionStatus.RECEIVED: "reçue",
    AdmissionStatus.UNDER_REVIEW: "en étude",
    AdmissionStatus.ACCEPTED: "acceptée",
    AdmissionStatus.WAITING_LIST: "liste d'attente",
    AdmissionStatus.REFUSED: "refusée",
    AdmissionStatus.ADMITTED: "admise",
    AdmissionStatus.CANCELLED: "annulée",
}

S = AdmissionStatus
#: Allowed transitions. Refusée, admise and annulée are final for status changes: a new
#: request is filed instead, except that a refusal may be reopened (REOPENED_TO).
TRANSITIONS: dict[AdmissionStatus, frozenset[AdmissionStatus]] = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW, S.REFUSED, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset({S.ACCEPTED, S.WAITING_LIST, S.REFUSED, S.CANCELLED}),
    S.WAITING_LIST: frozenset({S.ACCEPTED, S.REFUSED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.ADMITTED, S.WAITING_LIST, S.CANCELLED}),
    S.REFUSED: frozenset(),
    S.ADMITTED: frozenset(),
    S.CANCELLED: frozenset(),
}


def transition_problem(current: str, target: str) -> str | None:
    """None when the request may go from `current` to `target`, else a French message."""
    return workflow.transition_problem(
        AdmissionStatus,
        STATUS_LABELS.__getitem__,
        TRANSITIONS,
        current,
        target,
        subject="la demande",
        unknown="Statut de demande d'admission inconnu : « {bad} ».",
        final_note=(" : aucun changement de statut n'est possible (déposez une nouvelle demande)"),
    )


#: The decision on a request: accepting or refusing it. It belongs to those who hold
#: "admission.decide" (chef de service, direction), not to the secretariat that files
#: and follows the requests. A refusal goes through `refusal_problems` (reason required).
DECISIONS = frozenset({S.ACCEPTED, S.REFUSED})

#: A refused request may be reopened, with a reason, by those who decide: it goes back
#: to "en étude". Admise and annulée stay final (a new request is filed instead).
REOPENED_TO = S.UNDER_REVIEW

#: While a request is open its content (priority, reasons, MDPH orientation) may be
#: corrected; once refused, admitted or cancelled it is kept as decided.
EDITABLE = frozenset({S.RECEIVED, S.UNDER_REVIEW, S.WAITING_LIST, S.ACCEPTED})


class RefusalReason(StrEnum):
    """Why a request is refused. Plain French choices: no national code list exists."""

    PROFILE = "profil"
    CARE_NEEDS = "besoins"
    ORIENTATION = "orientation"
    CAPACITY = "capacite"
    INCOMPLETE = "dossier_incomplet"
    OTHER = "autre"


REFUSAL_REASON_LABELS: dict[RefusalReason, str] = {
    RefusalReason.PROFILE: "profil ne relevant pas de l'autorisation ou du projet d'établissement",
    RefusalReason.CARE_NEEDS: "besoins d'accompagnement ou de soins que l'établissement ne peut assurer",
    RefusalReason.ORIENTATION: "orientation MDPH absente, expirée ou ne correspondant pas",
    RefusalReason.CAPACITY: "aucune place envisageable dans un délai raisonnable",
    RefusalReason.INCOMPLETE: "dossier incomplet malgré les relances",
    RefusalReason.OTHER: "autre motif",
}

#: A reason counts its letters and digits only, so that "..........", spaces or invisible
#: characters do not pass for an explanation.
MIN_REASON_CHARACTERS = 10


def meaningful_characters(text: str) -> int:
    """The number of letters and digits (Unicode categories L* and N*) in `text`."""
    return sum(1 for c in text if unicodedata.category(c)[0] in "LN")


def reason_problem(text: str, *, what: str) -> str | None:
    """None when `text` explains something (MIN_REASON_CHARACTERS letters or digits)."""
    if meaningful_characters(text) < MIN_REASON_CHARACTERS:
        return (
            f"Expliquez {what} en quelques mots "
            f"(au moins {MIN_REASON_CHARACTERS} lettres ou chiffres)."
        )
    return None


def refusal_problems(current: str, reason: str, detail: str) -> dict[str, str]:
    """The refusal's problems by form field ({} when it may be refused)."""
    problems: dict[str, str] = {}
    problem = transition_problem(current, S.REFUSED)
    if problem:
        problems["__all__"] = problem
    if reason not in RefusalReason._value2member_map_:
        problems["reason"] = "Choisissez le motif du refus dans la liste."
    problem = reason_problem(detail, what="le refus")
    if problem:
        problems["detail"] = problem
    return problems


def reopen_problems(current: str, reason: str) -> dict[str, str]:
    """The reopening's problems by form field ({} when it may be reopened)."""
    problems: dict[str, str] = {}
    if current != S.REFUSED:
        label = (
            STATUS_LABELS.get(S(current), current) if current in S._value2member_map_ else current
        )
        problems["__all__"] = (
            f"Seule une demande refusée peut être réouverte ; celle-ci est « {label} »."
        )
    problem = reason_problem(reason, what="la réouverture")
    if problem:
        problems["reason"] = problem
    return problems


def edit_problem(current: str) -> str | None:
    """None when the request's content may be corrected in its current status."""
    if current in EDITABLE:
        return None
    label = STATUS_LABELS.get(S(current), current) if current in S._value2member_map_ else current
    return f"La demande est « {label} » : son contenu ne se modifie plus" + (
        " (réouvrez-la d'abord)." if current == S.REFUSED else "."
    )


# --- Contrat de séjour / DIPC -------------------------------------------------

CONTRACT = "contrat"
DIPC = "dipc"
CONTRACT_KINDS = {CONTRACT: "contrat de séjour", DIPC: "document individuel de prise en charge"}

ESTABLISHMENT = "etablissement"
HOME = "domicile"

#: "Plus de deux mois" counted as more than 61 days (two months at their longest, July-August).
TWO_MONTHS_DAYS = 61


def contract_kind(expected_length_days: int | None, setting: str) -> str:
    """CONTRACT or DIPC per CASF D311.

    A contrat de séjour is required for a stay (continuous or not) forecast to last
    more than two months in an establishment; otherwise (shorter stay, no stay, support
    at home or in the ordinary environment) a DIPC. `expected_length_days=None` means
    an open-ended stay (e.g. hébergement permanent) and counts as more than two months.

    Uncertain / not handled here (decided by the user): the categories for which D311
    always requires a DIPC (L312-1 3°, 4°, 11°), minors under a judicial educational
    measure, and a person who refuses to sign (the DIPC then replaces the contract).
    "Two months" is approximated by TWO_MONTHS_DAYS; "non continu" stays must be
    summed by the caller.
    """
    if setting not in (ESTABLISHMENT, HOME):
        raise ValueError(f"Cadre d'accompagnement inconnu : {setting!r}")
    if setting == HOME:
        return DIPC
    if expected_length_days is None or expected_length_days > TWO_MONTHS_DAYS:
        return CONTRACT
    return DIPC


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number `months` later, clamped to the last day of a shorter month.

    Rule used for every "within N months" deadline: 31 January + 1 month = 28 (or 29)
    February; 30 August + 6 months = 28/29 February; 29 February + 12 months = 28 February.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


HANDOVER_DAYS = 15


@dataclass(frozen=True)
class ContractDeadlines:
    handover: dt.date  # remise: at the latest 15 days after admission
    signature: dt.date  # signature: within the month after admission
    objectives_amendment: dt.date  # avenant with adapted objectives: within 6 months


def contract_deadlines(admission_date: dt.date, kind: str = CONTRACT) -> ContractDeadlines:
    """Legal due dates (last allowed day, inclusive) counted from the admission date.

    D311 states the 15-day handover and one-month signature for the document; we apply
    the same dates to a DIPC (uncertain: a DIPC may stay unsigned when the person
    refuses, which the caller records by leaving the signature empty and deciding).
    The yearly update is counted from the signature, see `next_update_due`.
    """
    if kind not in CONTRACT_KINDS:
        raise ValueError(f"Type de contrat inconnu : {kind!r}")
    return ContractDeadlines(
        handover=admission_date + dt.timedelta(days=HANDOVER_DAYS),
        signature=add_months(admission_date, 1),
        objectives_amendment=add_months(admission_date, 6),
    )


def next_update_due(signed_on: dt.date, last_update_on: dt.date | None) -> dt.date:
    """Yearly update: 12 months after the last update, or after the signature."""
    return add_months(max(signed_on, last_update_on or signed_on), 12)


@dataclass(frozen=True)
class ContractFacts:
    admission_date: dt.date
    kind: str = CONTRACT
    handed_on: dt.date | None = None
    signed_on: dt.date | None = None
    objectives_amendment_on: dt.date | None = None
    last_update_on: dt.date | None = None


def overdue_items(facts: ContractFacts, today: dt.date) -> list[tuple[str, dt.date]]:
    """Steps not done whose due date is past (due date < today), as (French label, due date).

    A step done late is not listed (it is done); the yearly update is only due once signed.
    """
    due = contract_deadlines(facts.admission_date, facts.kind)
    items: list[tuple[str, dt.date]] = []
    if facts.handed_on is None and today > due.handover:
        items.append(("remise du contrat", due.handover))
    if facts.signed_on is None and today > due.signature:
        items.append(("signature du contrat", due.signature))
    if facts.objectives_amendment_on is None and today > due.objectives_amendment:
        items.append(("avenant fixant les objectifs", due.objectives_amendment))
    if facts.signed_on is not None:
        update = next_update_due(facts.signed_on, facts.last_update_on)
        if today > update:
            items.append(("mise à jour annuelle", update))
    return items
