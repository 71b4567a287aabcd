"""ESMS Numérique funding rules, rule sets 2022 and 2025, as data and pure functions.

No Django import: the `opendui financement` command, the grappe's estimate page and the
tests share this module. Source: spec/programme-esms-numerique.md §3 (instruction 2022
as presented by ARS Occitanie; Île-de-France 2025 kit).

Readings chosen where the documents leave a choice (also in docs/architecture.md):

- Amounts are for the `covered` ESSMS of a grappe of `grappe` ESSMS; the grappe size
  decides eligibility and, under 2025, the rate band. Under 2022 the reduced rate
  starts at the 50th ESSMS *of the grappe*, so the positions of the covered ESSMS
  matter: they are given by `first_position` (the command takes the last N positions:
  the estimate never overstates what a part of a larger grappe receives).
- Under 2025, "> 50" is read as 51 and more, and the whole grappe is then funded at
  the reduced rate (the documents do not say whether the first 50 keep the full rate);
  the result says so in its notes.
- A solution being referenced ("en cours") counts as Ségur-referenced: the programme
  accepts it provided referencing happens before the configuration phase.
- Small-OG extras (2022 only; the 2025 kit funds equipment on quotes, without a fixed
  amount): equipment per ESSMS of a small OG, AMOA projet once per project, AMOA
  marché once per project that acquires a solution. They depend on the ARS's decision.
- SONS "Prestation Ségur" (2022 only: orders closed on 28/02/2024) is paid by the State
  to the editor: it is reported as `sons_editeur` and never added to `total`, which is
  what the organisations receive. Its tranche is read from the size of each OG's order
  (the command takes the N ESSMS as one OG's order); every ESSMS of an order gets the
  tranche's price. It does not need a grappe, so it is computed whatever the grappe's
  eligibility, for a montée de version with a referenced solution.
- An ineligible project gets 0 for every programme amount; `motifs` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class RuleSet(StrEnum):
    Y2022 = "2022"
    Y2025 = "2025"


class ProjectType(StrEnum):
    ACQUISITION = "acquisition"
    UPGRADE = "montee-de-version"


class Territory(StrEnum):
    MAINLAND = "metropole"
    CORSICA_OVERSEAS = "corse-dom"


PROJECT_LABELS = {
    ProjectType.ACQUISITION: "acquisition ou renouvellement",
    ProjectType.UPGRADE: "montée de version",
}
TERRITORY_LABELS = {
    Territory.MAINLAND: "France métropolitaine (hors Corse)",
    Territory.CORSICA_OVERSEAS: "Corse ou département d'outre-mer",
}

# Grappe size: minimum per territory; below ABSOLUTE_MINIMUM a mainland candidature is
# rejected outright (Île-de-France FAQ; the 8-ESSMS minimum of Corsica and the overseas
# departments shows that rule is a mainland one).
MINIMUM_ESSMS = {Territory.MAINLAND: 15, Territory.CORSICA_OVERSEAS: 8}
ABSOLUTE_MINIMUM = 10
NATIONAL_CALL_FROM = 50  # regional call 15–49 ESSMS, national call 50 and more
SMALL_OG_BELOW = 15  # a small OG has fewer than 15 ESSMS under its FINESS juridique

REDUCED_FROM_POSITION_2022 = 50  # the 50th ESSMS of the project and the following ones
REDUCED_ABOVE_SIZE_2025 = 50  # "> 50": a grappe of 51 ESSMS or more

SMALL_OG_EQUIPMENT_PER_ESSMS = 20_000
SMALL_OG_AMOA_PROJECT = 100_000
SMALL_OG_AMOA_PROCUREMENT = 15_000


@dataclass(frozen=True)
class Rate:
    """Per ESSMS: (usages, logiciel) at the full rate and at the reduced rate."""

    full: tuple[int, int]
    reduced: tuple[int, int]


# (rule set, project type, Ségur-referenced) -> rates; absent: not eligible.
RATES: dict[tuple[RuleSet, ProjectType, bool], Rate] = {
    (RuleSet.Y2022, ProjectType.ACQUISITION, True): Rate((7_000, 14_500), (2_000, 3_000)),
    (RuleSet.Y2022, ProjectType.ACQUISITION, False): Rate((7_000, 12_000), (2_000, 1_000)),
    (RuleSet.Y2022, ProjectType.UPGRADE, True): Rate((5_000, 0), (2_000, 0)),
    (RuleSet.Y2025, ProjectType.ACQUISITION, True): Rate((7_000, 14_000), (2_000, 3_000)),
    (RuleSet.Y2025, ProjectType.UPGRADE, True): Rate((5_000, 0), (2_000, 0)),
}

# SONS "Prestation Ségur": (tranche, smallest order, € TTC per ESSMS), by order size.
SONS_TRANCHES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 4_000),
    ("B", 2, 2_920),
    ("C", 5, 2_190),
    ("D", 11, 1_643),
    ("E", 20, 1_232),
    ("F", 100, 1_133),
)


def sons_tranche(order_size: int) -> tuple[str, int]:
    """The SONS tranche letter and price per ESSMS for an OG's order of `order_size` ESSMS."""
    if order_size < 1:
        raise ValueError("order_size must be at least 1")
    letter, price = SONS_TRANCHES[0][0], SONS_TRANCHES[0][2]
    for candidate, smallest, candidate_price in SONS_TRANCHES:
        if order_size >= smallest:
            letter, price = candidate, candidate_price
    return letter, price


def sons_prestation(order_size: int) -> int:
    """What the editor receives for one OG's order (every ESSMS at the tranche's price)."""
    return order_size * sons_tranche(order_size)[1] if order_size > 0 else 0


def reduced_count(rule_set: RuleSet, grappe: int, first_position: int, count: int) -> int:
    """How many of `count` ESSMS at positions first_position… of the grappe get the reduced rate."""
    if rule_set is RuleSet.Y2025:
        return count if grappe > REDUCED_ABOVE_SIZE_2025 else 0
    last = first_position + count - 1
    first_reduced = max(first_position, REDUCED_FROM_POSITION_2022)
    return max(0, last - first_reduced + 1)


def call_level(grappe: int) -> str:
    return "national" if grappe >= NATIONAL_CALL_FROM else "régional"


def size_problem(grappe: int, territory: Territory) -> str | None:
    """Why a grappe of this size cannot be funded, or None."""
    minimum = MINIMUM_ESSMS[territory]
    if territory is Territory.MAINLAND and grappe < ABSOLUTE_MINIMUM:
        return (
            f"La grappe compte {grappe} ESSMS : une candidature de moins de "
            f"{ABSOLUTE_MINIMUM} établissements est écartée d'office."
        )
    if grappe < minimum:
        return (
            f"La grappe compte {grappe} ESSMS : il en faut au moins {minimum} "
            f"({TERRITORY_LABELS[territory]})."
        )
    return None


@dataclass(frozen=True)
class Part:
    """ESSMS of one project type, at consecutive positions of the grappe."""

    project: ProjectType
    count: int


@dataclass
class Estimate:
    eligible: bool
    motifs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usages: int = 0
    logiciel: int = 0
    materiel: int = 0
    amoa_projet: int = 0
    amoa_marche: int = 0
    sons_editeur: int = 0
    full_rate_essms: int = 0
    reduced_rate_essms: int = 0

    @property
    def total(self) -> int:
        """What the organisations receive; the SONS prestation goes to the editor."""
        return self.usages + self.logiciel + self.materiel + self.amoa_projet + self.amoa_marche

    def as_contract(self) -> dict[str, object]:
        """The JSON object of `opendui financement`."""
        return {
            "eligible": self.eligible,
            "motifs": self.motifs,
            "usages": self.usages,
            "logiciel": self.logiciel,
            "materiel": self.materiel,
            "amoa_projet": self.amoa_projet,
            "amoa_marche": self.amoa_marche,
            "total": self.total,
            "sons_editeur": self.sons_editeur,
            "notes": self.notes,
        }


def estimate(
    rule_set: RuleSet,
    parts: Sequence[Part],
    *,
    grappe: int,
    segur: bool,
    first_position: int = 1,
    small_og_essms: int = 0,
    territory: Territory = Territory.MAINLAND,
    sons_orders: Sequence[int] = (),
) -> Estimate:
    """Funding of the ESSMS in `parts`, placed from `first_position` in a grappe of `grappe`.

    `small_og_essms`: how many of them belong to an OG of fewer than 15 ESSMS (the
    project then includes a small OG). `sons_orders`: the size of each OG's SONS
    order among the montée-de-version ESSMS.
    """
    covered = sum(part.count for part in parts)
    if covered < 1 or any(part.count < 0 for part in parts):
        raise ValueError("at least one ESSMS is covered, no part is negative")
    if first_position < 1 or first_position + covered - 1 > grappe:
        raise ValueError("the covered ESSMS must fit in the grappe")
    if not 0 <= small_og_essms <= covered:
        raise ValueError("small_og_essms must be between 0 and the covered ESSMS")
    result = Estimate(eligible=True)
    problem = size_problem(grappe, territory)
    if problem:
        result.motifs.append(problem)
    for project in {part.project for part in parts if part.count}:
        if (rule_set, project, segur) not in RATES:
            result.motifs.append(_not_eligible_solution(rule_set, project))
    result.eligible = not result.motifs
    _add_sons(result, rule_set, parts, segur, sons_orders)
    if not result.eligible:
        return result
    result.notes.append(
        f"Appel à projets {call_level(grappe)} (grappe de {grappe} ESSMS : régional de "
        f"{MINIMUM_ESSMS[Territory.MAINLAND]} à {NATIONAL_CALL_FROM - 1}, national à partir "
        f"de {NATIONAL_CALL_FROM})."
    )
    position = first_position
    for part in parts:
        rate = RATES[(rule_set, part.project, segur)]
        reduced = reduced_count(rule_set, grappe, position, part.count)
        full = part.count - reduced
        result.usages += full * rate.full[0] + reduced * rate.reduced[0]
        result.logiciel += full * rate.full[1] + reduced * rate.reduced[1]
        result.full_rate_essms += full
        result.reduced_rate_essms += reduced
        position += part.count
    _rate_notes(result, rule_set, grappe, first_position, covered)
    _add_small_og_extras(result, rule_set, parts, small_og_essms)
    return result


def _not_eligible_solution(rule_set: RuleSet, project: ProjectType) -> str:
    if rule_set is RuleSet.Y2025:
        return (
            "Barème 2025 : la solution doit être référencée Ségur (ou en cours de "
            "référencement) ; un projet avec une solution non référencée n'est pas éligible."
        )
    return (
        "Barème 2022 : une montée de version n'est finançable qu'avec une solution "
        "référencée Ségur (ou en cours de référencement)."
    )


def _rate_notes(
    result: Estimate, rule_set: RuleSet, grappe: int, first_position: int, covered: int
) -> None:
    if rule_set is RuleSet.Y2025:
        if grappe > REDUCED_ABOVE_SIZE_2025:
            result.notes.append(
                f"Barème 2025, grappe de plus de {REDUCED_ABOVE_SIZE_2025} ESSMS : toute la "
                "grappe est comptée au taux réduit (les documents ne disent pas si les 50 "
                "premiers gardent le taux plein)."
            )
        if result.logiciel:
            result.notes.append(
                "Barème 2025 : la part logiciel est un montant maximal (« jusqu'à »)."
            )
    elif covered < grappe:
        result.notes.append(
            f"Barème 2022 : les {covered} ESSMS chiffrés occupent les rangs {first_position} "
            f"à {first_position + covered - 1} de la grappe ; le taux réduit s'applique à "
            f"partir du {REDUCED_FROM_POSITION_2022}e ESSMS de la grappe."
        )


def _add_small_og_extras(
    result: Estimate, rule_set: RuleSet, parts: Sequence[Part], small_og_essms: int
) -> None:
    if not small_og_essms:
        return
    if rule_set is RuleSet.Y2025:
        result.notes.append(
            "Barème 2025 : le financement du matériel est spécifique (un devis par ESSMS, "
            "priorité aux projets d'acquisition) et n'est pas chiffré ici ; aucun forfait "
            "AMOA n'est fixé."
        )
        return
    result.materiel = small_og_essms * SMALL_OG_EQUIPMENT_PER_ESSMS
    result.amoa_projet = SMALL_OG_AMOA_PROJECT
    if any(part.project is ProjectType.ACQUISITION and part.count for part in parts):
        result.amoa_marche = SMALL_OG_AMOA_PROCUREMENT
    result.notes.append(
        "Compléments « petit OG » (moins de 15 ESSMS), sous réserve de la décision de l'ARS : "
        "matériel par ESSMS du petit OG, AMOA projet et AMOA marché (acquisition seulement) "
        "une fois par projet."
    )


def _add_sons(
    result: Estimate,
    rule_set: RuleSet,
    parts: Sequence[Part],
    segur: bool,
    sons_orders: Sequence[int],
) -> None:
    upgrades = sum(p.count for p in parts if p.project is ProjectType.UPGRADE)
    if not upgrades:
        return
    if rule_set is RuleSet.Y2025:
        result.notes.append(
            "La prestation Ségur SONS relève du barème 2022 (bons de commande clos le "
            "28/02/2024) : elle n'est pas comptée au barème 2025."
        )
        return
    if not segur or not sons_orders:
        return
    result.sons_editeur = sum(sons_prestation(size) for size in sons_orders)
    tranches = ", ".join(
        f"{size} ESSMS : tranche {sons_tranche(size)[0]}" for size in sons_orders if size
    )
    result.notes.append(
        "Prestation Ségur SONS versée par l'État à l'éditeur (non comprise dans le total) "
        f"pour la montée de version d'ESSMS déjà équipés ({tranches}) : 30 % à la commande, "
        "70 % à la vérification d'aptitude."
    )
