"""AGGIR grid and GIR computation: pure rules with no Django import.

The AGGIR grid rates ten *discriminant* variables A, B or C; the official
algorithm turns the ten letters into a *rang* (1-13) and the rang into a GIR
(1 = most dependent, 6 = autonomous). Facilities then weigh their residents'
GIRs into the GMP.

Sources (all in shared/reference/domain_rules.md §1):

- §1.2: the variables, in the algorithm's order, and their sub-variables
  (grid of CASF annexe 2-1);
- §1.3: the four adverbs that give a letter;
- §1.4: combining sub-variables into a variable's letter. The guide's own
  text is not verified there [NV]; the rules below follow the implementations
  the reference recommends (see `SUB_VARIABLE_RULES`);
- §1.5: the algorithm of CASF annexe 2-2 (décret 97-427, annexe II). Its
  tables were re-read against the etalab consolidation of annexe 2-2;
- §1.6: GMP points, CASF annexe 3-6 column C, and R314-171.

Every function that refuses a value raises `AggirError` (a ValueError) whose
message is one French sentence, so forms, services and the `opendui aggir`
command share one wording.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Letter = Literal["A", "B", "C"]
LETTERS: tuple[Letter, ...] = ("A", "B", "C")


class AggirError(ValueError):
    """A value the AGGIR rules cannot use; the message is French and names the culprit."""


# ------------------------------------------------------------------ variables (§1.2)


@dataclass(frozen=True)
class Variable:
    """One AGGIR variable: its code, its French label and its sub-variables (may be empty)."""

    code: str
    label: str
    sub_variables: tuple[str, ...] = ()


# The ten discriminant variables, in the order of the algorithm's tables (§1.2,
# annexe 2-2). A coding string lists their letters in exactly this order.
DISCRIMINANT_VARIABLES: tuple[Variable, ...] = (
    Variable("COH", "Cohérence", ("communication", "comportement")),
    Variable("ORI", "Orientation", ("temps", "espace")),
    Variable("TOI", "Toilette", ("haut", "bas")),
    Variable("HAB", "Habillage", ("haut", "moyen", "bas")),
    Variable("ALI", "Alimentation", ("se servir", "manger")),
    Variable("ELI", "Élimination", ("urinaire", "fécale")),
    Variable("TRA", "Transferts"),
    Variable("DPI", "Déplacement à l'intérieur"),
    Variable("DPE", "Déplacement à l'extérieur"),
    Variable("COM", "Communication à distance"),
)
VARIABLE_CODES: tuple[str, ...] = tuple(variable.code for variable in DISCRIMINANT_VARIABLES)
VARIABLES_BY_CODE: dict[str, Variable] = {v.code: v for v in DISCRIMINANT_VARIABLES}
CODING_LENGTH = len(DISCRIMINANT_VARIABLES)
# §1.5: DPE and COM weigh 0 in every group; only the first eight decide the GIR.
USEFUL_LENGTH = 8

# The seven illustrative variables (domestic and social autonomy). They are
# rated A/B/C as well but never enter the GIR (§1.2).
ILLUSTRATIVE_VARIABLES: tuple[Variable, ...] = (
    Variable("GES", "Gestion"),
    Variable("CUI", "Cuisine"),
    Variable("MEN", "Ménage"),
    Variable("TRS", "Transports"),
    Variable("ACH", "Achats"),
    Variable("SUI", "Suivi du traitement"),
    Variable("ACT", "Activités de temps libre"),
)

_CODE_ORDER = " ".join(VARIABLE_CODES)
# A valid coding, either case; the fast check of batches (coding_problem() words refusals).
VALID_CODING = re.compile(rf"[ABCabc]{{{CODING_LENGTH}}}")


# ------------------------------------------------------------------ adverbs (§1.3)

ADVERBS: tuple[str, ...] = ("spontanément", "totalement", "correctement", "habituellement")


def letter_from_adverbs(
    *, spontaneously: bool, totally: bool, correctly: bool, habitually: bool
) -> Letter:
    """The letter of one (sub-)variable from the four adverbs S-T-C-H (§1.3).

    The person does the activity alone (aids count as part of the person):
    all four adverbs satisfied gives A, none gives C, one to three unsatisfied
    gives B. The reference knows no "partially" answer: an adverb is either
    satisfied or not, so a "partly spontaneous" activity counts as not
    spontaneous and lands in B.
    """
    satisfied = sum((spontaneously, totally, correctly, habitually))
    if satisfied == len(ADVERBS):
        return "A"
    if satisfied == 0:
        return "C"
    return "B"


# ------------------------------------------------------------------ sub-variables (§1.4)


def _any_c_wins(letters: Sequence[Letter]) -> Letter:
    """All A → A; any C → C; otherwise B (cohérence, orientation, élimination)."""
    if "C" in letters:
        return "C"
    return "A" if all(letter == "A" for letter in letters) else "B"


def _unanimous(letters: Sequence[Letter]) -> Letter:
    """All A → A; all C → C; any mixture → B (toilette, habillage)."""
    first = letters[0]
    if first in ("A", "C") and all(letter == first for letter in letters):
        return first
    return "B"


def _c_without_a(letters: Sequence[Letter]) -> Letter:
    """All A → A; at least one C and no A → C (CC, BC, CB); otherwise B, AC and CA included.

    Alimentation: §1.4 shows the implementations disagree on AC/CA; the
    reference recommends the FreeHealth/DREES majority (AC, CA → B). Confirm
    against the JO fac-similé of décret 2008-821 before release (§8 item 1).
    """
    if all(letter == "A" for letter in letters):
        return "A"
    if "C" in letters and "A" not in letters:
        return "C"
    return "B"


# Variable code → rule combining its sub-variables' letters, per §1.4.
SUB_VARIABLE_RULES = {
    "COH": _any_c_wins,
    "ORI": _any_c_wins,
    "TOI": _unanimous,
    "HAB": _unanimous,
    "ALI": _c_without_a,
    "ELI": _any_c_wins,
}


def _checked_letter(value: object, where: str) -> Letter:
    if isinstance(value, str) and value.upper() in LETTERS:
        return value.upper()  # type: ignore[return-value]
    raise AggirError(f"Lettre « {value} » pour {where} : seules A, B ou C sont admises.")


def combine_sub_variables(code: str, letters: Sequence[str] | Mapping[str, str]) -> Letter:
    """The letter of variable `code` from the letters of its sub-variables (§1.4).

    `letters` lists them in the order of `Variable.sub_variables`, or maps each
    sub-variable name to its letter. A variable without sub-variables (TRA,
    DPI, DPE, COM) takes a single letter, returned as is.
    """
    variable = VARIABLES_BY_CODE.get(code.upper() if isinstance(code, str) else code)
    if variable is None:
        raise AggirError(
            f"Variable « {code} » inconnue : les variables discriminantes sont {_CODE_ORDER}."
        )
    names = variable.sub_variables or (variable.label.lower(),)
    if isinstance(letters, Mapping):
        missing = [name for name in names if name not in letters]
        extra = [name for name in letters if name not in names]
        if missing or extra:
            raise AggirError(
                f"La variable {variable.code} ({variable.label}) attend les sous-variables "
                f"{', '.join(names)}"
                + (f" ; manquantes : {', '.join(missing)}" if missing else "")
                + (f" ; inconnues : {', '.join(map(str, extra))}" if extra else "")
                + "."
            )
        ordered = [letters[name] for name in names]
    else:
        ordered = list(letters)
        if len(ordered) != len(names):
            raise AggirError(
                f"La variable {variable.code} ({variable.label}) a {len(names)} "
                f"sous-variable{'s' if len(names) > 1 else ''} ({', '.join(names)}) : "
                f"{len(ordered)} lettre{'s' if len(ordered) > 1 else ''} reçue"
                f"{'s' if len(ordered) > 1 else ''}."
            )
    checked = [
        _checked_letter(letter, f"la sous-variable « {name} » de {variable.code}")
        for name, letter in zip(names, ordered, strict=True)
    ]
    rule = SUB_VARIABLE_RULES.get(variable.code)
    return rule(checked) if rule else checked[0]


# ------------------------------------------------------------------ coding validation


def coding_problem(value: object) -> str | None:
    """None when `value` is a valid 10-letter coding, else a French sentence saying why.

    Letters are accepted in either case; surrounding whitespace is not part
    of a coding (callers strip it if they wish).
    """
    if not isinstance(value, str):
        return f"Le codage AGGIR doit être une chaîne de {CODING_LENGTH} lettres A, B ou C."
    if len(value) != CODING_LENGTH:
        return (
            f"Le codage AGGIR « {value} » compte {len(value)} caractère"
            f"{'s' if len(value) > 1 else ''} ; il en faut {CODING_LENGTH}, une lettre A, B "
            f"ou C par variable dans l'ordre {_CODE_ORDER}."
        )
    wrong = [
        f"« {character} » en position {position} ({variable.code}, {variable.label})"
        for position, (character, variable) in enumerate(
            zip(value, DISCRIMINANT_VARIABLES, strict=True), start=1
        )
        if character.upper() not in LETTERS
    ]
    if wrong:
        plural = len(wrong) > 1
        return (
            f"Le codage AGGIR « {value} » contient {'des caractères' if plural else 'un caractère'}"
            f" non admis : {' ; '.join(wrong)}. Seules les lettres A, B ou C sont admises."
        )
    return None


def normalise_coding(value: str | Sequence[str]) -> str:
    """The coding as 10 upper-case letters; raises AggirError with a French message."""
    if isinstance(value, str) and VALID_CODING.fullmatch(value):
        return value.upper()  # fast path for batches; coding_problem() words refusals
    text: object = value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        text = "".join(value)
    problem = coding_problem(text)
    if problem is not None:
        raise AggirError(problem)
    return str(text).upper()


# ------------------------------------------------------------------ algorithm (§1.5)


@dataclass(frozen=True)
class Group:
    """One group of CASF annexe 2-2: weights per variable for C and for B, then thresholds.

    `thresholds` lists (minimum sum, rang) from the highest; a sum below all of
    them goes on to the next group, or to `otherwise` for the last group (H).
    """

    name: str
    weights_c: tuple[int, ...]
    weights_b: tuple[int, ...]
    thresholds: tuple[tuple[int, int], ...]
    otherwise: int | None = None

    def score(self, coding: str) -> int:
        """Sum of the weights of the letters B and C (A weighs 0)."""
        total = 0
        for letter, weight_c, weight_b in zip(coding, self.weights_c, self.weights_b, strict=False):
            if letter == "C":
                total += weight_c
            elif letter == "B":
                total += weight_b
        return total


# Weights in the order COH ORI TOI HAB ALI ELI TRA DPI DPE COM; DPE and COM
# weigh 0 everywhere, as in the annexe's tables. Note group B's negative
# weights for DPI (-80 for C, -40 for B): they are in the text (§1.5, bold).
GROUPS: tuple[Group, ...] = (
    Group(
        "A",
        (2000, 1200, 40, 40, 60, 100, 800, 200, 0, 0),
        (0, 0, 16, 16, 20, 16, 120, 32, 0, 0),
        ((4380, 1), (4140, 2), (3390, 3)),
    ),
    Group(
        "B",
        (1500, 1200, 40, 40, 60, 100, 800, -80, 0, 0),
        (320, 120, 16, 16, 0, 16, 120, -40, 0, 0),
        ((2016, 4),),
    ),
    Group(
        "C",
        (0, 0, 40, 40, 60, 160, 1000, 400, 0, 0),
        (0, 0, 16, 16, 20, 20, 200, 40, 0, 0),
        ((1700, 5), (1432, 6)),
    ),
    Group(
        "D",
        (0, 0, 0, 0, 2000, 400, 2000, 200, 0, 0),
        (0, 0, 0, 0, 200, 200, 200, 0, 0, 0),
        ((2400, 7),),
    ),
    Group(
        "E",
        (400, 400, 400, 400, 400, 800, 800, 200, 0, 0),
        (0, 0, 100, 100, 100, 100, 100, 0, 0, 0),
        ((1200, 8),),
    ),
    Group(
        "F",
        (200, 200, 500, 500, 500, 500, 500, 200, 0, 0),
        (100, 100, 100, 100, 100, 100, 100, 0, 0, 0),
        ((800, 9),),
    ),
    Group(
        "G",
        (150, 150, 300, 300, 500, 500, 400, 200, 0, 0),
        (0, 0, 200, 200, 200, 200, 200, 100, 0, 0),
        ((650, 10),),
    ),
    Group(
        "H",
        (0, 0, 3000, 3000, 3000, 3000, 1000, 1000, 0, 0),
        (0, 0, 2000, 2000, 2000, 2000, 2000, 1000, 0, 0),
        ((4000, 11), (2000, 12)),
        otherwise=13,
    ),
)

# Annexe 2-2, part 2 "Passage des rangs aux groupes".
RANG_TO_GIR: dict[int, int] = {
    1: 1,
    **dict.fromkeys(range(2, 8), 2),
    8: 3,
    9: 3,
    10: 4,
    11: 4,
    12: 5,
    13: 6,
}


@dataclass(frozen=True)
class GirResult:
    """Outcome of the algorithm: the GIR, the rang, the deciding group and its sum."""

    gir: int
    rang: int
    group: str
    score: int


@functools.cache
def _result_for_useful(useful: str) -> GirResult:
    """The algorithm on the 8 useful letters (upper case); at most 3^8 = 6561 entries."""
    for group in GROUPS:
        total = group.score(useful)
        for minimum, rang in group.thresholds:
            if total >= minimum:
                return GirResult(RANG_TO_GIR[rang], rang, group.name, total)
        if group.otherwise is not None:
            return GirResult(RANG_TO_GIR[group.otherwise], group.otherwise, group.name, total)
    raise AssertionError("group H always concludes")  # pragma: no cover


def compute_gir(coding: str | Sequence[str]) -> GirResult:
    """The GIR of a 10-letter coding (COH ORI TOI HAB ALI ELI TRA DPI DPE COM).

    Groups A to H are tried in turn (annexe 2-2): the first whose sum reaches
    one of its thresholds ("supérieure ou égale") gives the rang. Results are
    cached on the 8 useful letters, so a batch of codings costs a dictionary
    look-up each once the few thousand possible results are known.
    """
    return _result_for_useful(normalise_coding(coding)[:USEFUL_LENGTH])


# ------------------------------------------------------------------ GMP (§1.6)

# CASF annexe 3-6, column C: "valorisation en points GIR … permettant le calcul du GMP".
GMP_POINTS: dict[int, int] = {1: 1000, 2: 840, 3: 660, 4: 420, 5: 250, 6: 70}
GMP_QUANTUM = Decimal("0.01")


def gmp(girs: Iterable[int]) -> Decimal:
    """GIR moyen pondéré: the residents' column-C points summed, divided by their number.

    R314-171 (§1.6) defines the quotient but no rounding. We keep two decimals,
    half rounded up (`Decimal`, so the result does not depend on binary
    floating point): that is exact enough for any display or comparison, and a
    report wanting a whole number can round the value further without
    compounding an earlier rounding.
    """
    points: list[int] = []
    for position, gir in enumerate(girs, start=1):
        if not isinstance(gir, int) or isinstance(gir, bool) or gir not in GMP_POINTS:
            raise AggirError(
                f"GIR « {gir} » en position {position} : un GIR est un entier de 1 à 6."
            )
        points.append(GMP_POINTS[gir])
    if not points:
        raise AggirError("Le GMP se calcule sur au moins un résident : la liste des GIR est vide.")
    return (Decimal(sum(points)) / Decimal(len(points))).quantize(GMP_QUANTUM, ROUND_HALF_UP)
