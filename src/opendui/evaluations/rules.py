"""Pure rules of evaluations: statuses and their transitions, AGGIR entry by adverbs.

No Django import, so the rules are unit-tested without a database.

Statuses are the TDDUI value set for an evaluation (JDV_J281, domain_rules.md §2.3):
ENPREPARATION (draft), APPROUVE (complete, submitted by its author), VALIDE (validated
by the person entitled to: it counts, e.g. for the current GIR and the GMP), TERMINE
(closed: it no longer describes the person and counts for nothing current).

Transitions:

- ENPREPARATION → APPROUVE (the author submits a complete grid) or TERMINE (abandoned);
- APPROUVE → VALIDE (validation), ENPREPARATION (sent back for correction) or TERMINE;
- VALIDE → TERMINE (closed; a correction is a new grid: nothing is rewritten);
- TERMINE is final.

Only a draft can be edited. A draft may be partial; APPROUVE and VALIDE need a
complete grid (the service checks it with `aggir_missing` or the grid's required
questions before moving on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum

from opendui.stays.rules import add_months

from .aggir import (
    DISCRIMINANT_VARIABLES,
    ILLUSTRATIVE_VARIABLES,
    AggirError,
    GirResult,
    Letter,
    Variable,
    combine_sub_variables,
    compute_gir,
    letter_from_adverbs,
)


class Status(StrEnum):
    DRAFT = "ENPREPARATION"
    APPROVED = "APPROUVE"
    VALIDATED = "VALIDE"
    FINISHED = "TERMINE"


STATUS_LABELS: dict[Status, str] = {
    Status.DRAFT: "en préparation",
    Status.APPROVED: "approuvée",
    Status.VALIDATED: "validée",
    Status.FINISHED: "terminée",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.APPROVED, Status.FINISHED}),
    Status.APPROVED: frozenset({Status.VALIDATED, Status.DRAFT, Status.FINISHED}),
    Status.VALIDATED: frozenset({Status.FINISHED}),
    Status.FINISHED: frozenset(),
}
# Statuses that require a complete grid.
COMPLETE_STATUSES = frozenset({Status.APPROVED, Status.VALIDATED})


def transition_problem(current: str, target: str) -> str | None:
    """None when an evaluation may go from `current` to `target`, else a French sentence."""
    try:
        source, wanted = Status(current), Status(target)
    except ValueError:
        return f"Statut d'évaluation inconnu : « {target} »."
    if wanted in TRANSITIONS[source]:
        return None
    if source == wanted:
        return f"L'évaluation est déjà « {STATUS_LABELS[source]} »."
    if source is Status.FINISHED:
        return "Une évaluation terminée ne change plus de statut."
    allowed = ", ".join(f"« {STATUS_LABELS[s]} »" for s in sorted(TRANSITIONS[source]))
    return (
        f"Une évaluation « {STATUS_LABELS[source]} » ne peut pas passer à "
        f"« {STATUS_LABELS[wanted]} » (possible : {allowed})."
    )


def needs_validation_right(current: str, target: str) -> bool:
    """Validating, or closing a validated evaluation, is for the validator, not the author."""
    return target == Status.VALIDATED or (target == Status.FINISHED and current == Status.VALIDATED)


def is_editable(status: str) -> bool:
    """Only a draft is edited; later statuses are frozen (a correction is a new grid)."""
    return status == Status.DRAFT


# ------------------------------------------------------------------ AGGIR entry by adverbs

# Adverb letters as stored: a sub-variable's answer is the string of the adverbs
# that are *satisfied*, in this order ("" = none satisfied, hence C).
ADVERB_LETTERS = "STCH"
ADVERB_LABELS = {
    "S": "spontanément",
    "T": "totalement",
    "C": "correctement",
    "H": "habituellement",
}

# Stored adverbs: {variable code: {sub-variable name: satisfied adverb letters}}.
# A sub-variable absent from the mapping is *unanswered* (not the same as "none
# satisfied", which is the empty string).
Adverbs = Mapping[str, Mapping[str, str]]


def sub_variable_names(variable: Variable) -> tuple[str, ...]:
    """The names of a variable's sub-variables; a variable without any has one, its label.

    Same convention as aggir.combine_sub_variables (a mapping for TRA is
    {"transferts": letter}).
    """
    return variable.sub_variables or (variable.label.lower(),)


def sub_variable_label(variable: Variable, name: str) -> str:
    """French label of a sub-variable, as messages and the form show it."""
    if not variable.sub_variables:
        return f"{variable.label} ({variable.code})"
    return f"{variable.label} ({variable.code}) – {name}"


def _letter(answer: str) -> Letter:
    unknown = set(answer) - set(ADVERB_LETTERS)
    if unknown:
        raise AggirError(
            f"Adverbe inconnu « {''.join(sorted(unknown))} » : seuls S, T, C et H sont admis."
        )
    return letter_from_adverbs(
        spontaneously="S" in answer,
        totally="T" in answer,
        correctly="C" in answer,
        habitually="H" in answer,
    )


def missing_sub_variables(adverbs: Adverbs) -> list[str]:
    """French labels of the sub-variables left unanswered, in the grid's order."""
    return [
        sub_variable_label(variable, name)
        for variable in DISCRIMINANT_VARIABLES
        for name in sub_variable_names(variable)
        if name not in adverbs.get(variable.code, {})
    ]


def variable_letters(adverbs: Adverbs) -> dict[str, Letter | None]:
    """Each discriminant variable's letter, None when one of its sub-variables is unanswered.

    Sub-variables' letters come from the four adverbs (§1.3), then combine into
    the variable's letter with the rules of §1.4 (aggir.combine_sub_variables).
    """
    letters: dict[str, Letter | None] = {}
    for variable in DISCRIMINANT_VARIABLES:
        answers = adverbs.get(variable.code, {})
        names = sub_variable_names(variable)
        if any(name not in answers for name in names):
            letters[variable.code] = None
            continue
        letters[variable.code] = combine_sub_variables(
            variable.code, {name: _letter(answers[name]) for name in names}
        )
    return letters


def coding_from_adverbs(adverbs: Adverbs) -> str:
    """The 10-letter coding of a complete grid; AggirError naming what is missing."""
    missing = missing_sub_variables(adverbs)
    if missing:
        plural = len(missing) > 1
        raise AggirError(
            "Grille AGGIR incomplète, sous-variable"
            + ("s non renseignées : " if plural else " non renseignée : ")
            + " ; ".join(missing)
            + "."
        )
    letters = variable_letters(adverbs)
    return "".join(letters[v.code] or "" for v in DISCRIMINANT_VARIABLES)


def result_from_adverbs(adverbs: Adverbs) -> tuple[str, GirResult] | None:
    """(coding, GIR result) of a complete grid, None for a partial one."""
    if missing_sub_variables(adverbs):
        return None
    coding = coding_from_adverbs(adverbs)
    return coding, compute_gir(coding)


ILLUSTRATIVE_CODES = tuple(v.code for v in ILLUSTRATIVE_VARIABLES)


def illustrative_problem(letters: Mapping[str, str]) -> str | None:
    """None when the illustrative variables' letters (optional) are A, B or C."""
    for code, letter in letters.items():
        if code not in ILLUSTRATIVE_CODES:
            return f"Variable illustrative inconnue : « {code} »."
        if letter not in ("A", "B", "C"):
            return f"Lettre « {letter} » pour la variable illustrative {code} : A, B ou C."
    return None


# --- when an EHPAD resident's GIR is due -----------------------------------------------------

AGGIR_MONTHS = 12  # a VALIDE grid older than this is to be redone
AGGIR_ENTRY_DAYS = 30  # grace period after admission for the first grid


def aggir_due(admitted_on: dt.date | None, evaluated_on: dt.date | None) -> dt.date | None:
    """The last day by which an EHPAD resident should have a (new) VALIDE AGGIR grid.

    Chosen rule (the law sets no per-resident deadline; these are the project's choices):

    - with a VALIDE grid: `AGGIR_MONTHS` (12) months after its evaluation date. The GIR
      feeds the GMP and the dependency tariff, which expect a yearly update.
    - without one: `AGGIR_ENTRY_DAYS` (30) days after admission (`admitted_on`, the start
      of the current EHPAD stay). The team evaluates a new resident on entry, over the
      first weeks (observation by the care team, validation by the médecin
      coordonnateur); an alert from the day of admission would only be noise, and noise
      teaches users to ignore alerts. Thirty days leave time for that entry evaluation
      while a resident still without a GIR after a month is flagged (the GMP and the
      tariff need it).
    - None when neither date is known (not an EHPAD resident, no grid).

    The due date is the last allowed day: overdue from the next day (like every
    deadline of the record page).
    """
    if evaluated_on is not None:
        return add_months(evaluated_on, AGGIR_MONTHS)
    if admitted_on is not None:
        return admitted_on + dt.timedelta(days=AGGIR_ENTRY_DAYS)
    return None


# --- where the GMP applies --------------------------------------------------------------------

#: The couloir of the facilities for older persons (Facility.couloir, from the FINESS
#: category: EHPAD 500, EHPA 501/502, résidence autonomie 202, accueil de jour 207 or
#: temporaire 394 for older persons…).
OLDER_PERSONS_COULOIR = "PA"


def gmp_applies(couloir: str) -> bool:
    """Whether a facility's GIR moyen pondéré means something: facilities for older persons.

    The GMP sums the AGGIR dependency of older residents (CASF R314-171, annexe 3-6) for
    the EHPAD tariff and the autonomy thresholds of the other PA facilities. Facilities
    for disabled persons (IME, ESAT, MAS, FAM…), child protection and the other couloirs
    evaluate needs with other grids (SERAFIN-PH): no GMP link nor figure for them.
    """
    return couloir == OLDER_PERSONS_COULOIR
