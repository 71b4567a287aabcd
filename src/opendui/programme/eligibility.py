"""Eligibility checklist of an ESMS Numérique project (grappe), pure functions.

Each line of spec/programme-esms-numerique.md §2 becomes one `CheckLine` (OK or not,
with a French reason), computed from plain data (`GrappeFacts`), so the grappe page
recomputes it at every display and the tests build cases by hand.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from opendui.core.identifiers import finess_problem, siret_problem

from .funding import (
    NATIONAL_CALL_FROM,
    RuleSet,
    Territory,
    call_level,
    size_problem,
)

COULOIRS = {
    "PA": "personnes âgées",
    "PH": "personnes handicapées",
    "DOM": "domicile",
    "PDE": "protection de l'enfance",
    "PDS": "personnes en difficultés spécifiques",
    "AHI": "accueil, hébergement, insertion",
    "PJM": "protection juridique des majeurs",
}
NEW_OPERATION_FROM = dt.date(2025, 1, 15)  # 2025: no editor contract before this day


class GrappeType(StrEnum):
    ACQUISITION = "acquisition"
    UPGRADE = "montee-de-version"
    MIXED = "mixte"


class SegurStatus(StrEnum):
    REFERENCED = "reference"
    IN_PROGRESS = "en-cours"
    NOT_REFERENCED = "non-reference"


# Longest project, in months, by type (montée de version: ideally 6).
MAX_MONTHS = {GrappeType.ACQUISITION: 18, GrappeType.MIXED: 18, GrappeType.UPGRADE: 9}
IDEAL_UPGRADE_MONTHS = 6


class Declaration(StrEnum):
    """What the carrier declares for every ESSMS of the project."""

    NO_EU_FUNDING = "sans-financement-europeen"
    NO_PREVIOUS_ESMS_NUMERIQUE = "sans-esms-numerique-anterieur"
    NO_SONS_OTHER_SOLUTION = "sans-sons-autre-solution"
    SAME_SOLUTION = "meme-solution"


DECLARATION_LABELS = {
    Declaration.NO_EU_FUNDING: (
        "Aucun ESSMS du projet n'a reçu de financement européen pour cette opération."
    ),
    Declaration.NO_PREVIOUS_ESMS_NUMERIQUE: (
        "Aucun ESSMS du projet n'a bénéficié d'un précédent financement ESMS Numérique."
    ),
    Declaration.NO_SONS_OTHER_SOLUTION: (
        "Aucun ESSMS du projet n'a bénéficié d'un financement SONS pour une autre solution "
        "que celle retenue."
    ),
    Declaration.SAME_SOLUTION: "Tous les ESSMS du projet utiliseront la même solution logicielle.",
}
NON_REDUNDANCY = (
    Declaration.NO_EU_FUNDING,
    Declaration.NO_PREVIOUS_ESMS_NUMERIQUE,
    Declaration.NO_SONS_OTHER_SOLUTION,
)


@dataclass(frozen=True)
class MemberFacts:
    finess_et: str
    name: str
    couloir: str


@dataclass(frozen=True)
class GrappeFacts:
    rule_set: RuleSet
    project_type: GrappeType
    territory: Territory
    carrier_siret: str
    solution_name: str
    segur_status: SegurStatus
    members: Sequence[MemberFacts]
    segur_source: str = ""  # where the project lead read the status (never this software)
    declarations: frozenset[Declaration] = frozenset()
    editor_contract_on: dt.date | None = None
    duration_months: int | None = None
    configuration_started: bool = False


@dataclass(frozen=True)
class CheckLine:
    code: str
    label: str
    ok: bool
    reason: str


@dataclass(frozen=True)
class Checklist:
    lines: list[CheckLine] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def failures(self) -> list[CheckLine]:
        return [line for line in self.lines if not line.ok]


def _line(code: str, label: str, problem: str | list | None, fine: str) -> CheckLine:
    """OK with `fine` when there is no problem (None or empty), else not OK with the problem."""
    return CheckLine(code, label, not problem, str(problem) if problem else fine)


def check_size(facts: GrappeFacts) -> CheckLine:
    count = len(facts.members)
    return _line(
        "taille",
        "Nombre d'ESSMS de la grappe",
        size_problem(count, facts.territory),
        f"{count} ESSMS : appel à projets {call_level(count)} (national à partir de "
        f"{NATIONAL_CALL_FROM}).",
    )


def check_finess(facts: GrappeFacts) -> CheckLine:
    problems = [
        f"{m.name or 'ESSMS sans nom'} ({m.finess_et or 'sans FINESS'}) : {problem}"
        for m in facts.members
        if (problem := finess_problem(m.finess_et) if m.finess_et else "FINESS manquant.")
    ]
    repeated = sorted(f for f, n in Counter(m.finess_et for m in facts.members).items() if n > 1)
    problems += [
        f"Le FINESS {f} figure plusieurs fois : un ESSMS ne compte qu'une fois." for f in repeated
    ]
    if not facts.members:
        problems.append("La grappe ne compte encore aucun ESSMS.")
    return _line(
        "finess",
        "FINESS géographique de chaque ESSMS",
        " ".join(problems) or None,
        "Chaque ESSMS a un FINESS géographique valide, compté une seule fois.",
    )


def check_siret(facts: GrappeFacts) -> CheckLine:
    problem = (
        siret_problem(facts.carrier_siret) if facts.carrier_siret else "SIRET du porteur manquant."
    )
    return _line(
        "siret",
        "SIRET du porteur du projet",
        problem and f"SIRET du porteur : {problem}",
        f"SIRET {facts.carrier_siret} valide.",
    )


def check_couloirs(facts: GrappeFacts) -> CheckLine:
    outside = [m.name for m in facts.members if m.couloir not in COULOIRS]
    present = sorted({COULOIRS[m.couloir] for m in facts.members if m.couloir in COULOIRS})
    return _line(
        "couloirs",
        "Domaines (couloirs) du programme",
        outside
        and "Hors des couloirs du programme ou couloir non renseigné : " + ", ".join(outside) + ".",
        "Couloirs : " + (", ".join(present) or "aucun ESSMS") + ".",
    )


def check_declarations(facts: GrappeFacts) -> CheckLine:
    missing = [DECLARATION_LABELS[d] for d in NON_REDUNDANCY if d not in facts.declarations]
    return _line(
        "non-redondance",
        "Déclarations de non-redondance des financements",
        missing and "Déclaration à faire : " + " ".join(missing),
        "Les trois déclarations de non-redondance sont faites.",
    )


def check_same_solution(facts: GrappeFacts) -> CheckLine:
    problem = None
    if not facts.solution_name.strip():
        problem = "Indiquez la solution logicielle retenue."
    elif Declaration.SAME_SOLUTION not in facts.declarations:
        problem = "Déclaration à faire : " + DECLARATION_LABELS[Declaration.SAME_SOLUTION]
    return _line(
        "meme-solution",
        "Même solution pour tous les ESSMS",
        problem,
        f"Tous les ESSMS utiliseront « {facts.solution_name} ».",
    )


def check_segur(facts: GrappeFacts) -> CheckLine:
    """The solution's Ségur referencing, as the project lead declares it with its source:
    the software states no referencing of its own (OpenDUI is not referenced)."""
    status = facts.segur_status
    source = facts.segur_source.strip()
    label = "Référencement Ségur de la solution (déclaré par le porteur)"
    problem = None
    if status is SegurStatus.NOT_REFERENCED:
        if facts.rule_set is RuleSet.Y2025:
            problem = (
                "Barème 2025 : la solution doit être référencée Ségur ou en cours de référencement."
            )
        elif facts.project_type is not GrappeType.ACQUISITION:
            problem = (
                "Une montée de version n'est finançable qu'avec une solution référencée Ségur "
                "ou en cours de référencement."
            )
        else:
            return CheckLine(
                "segur",
                label,
                True,
                "Solution non référencée : acquisition finançable au barème 2022 à un taux "
                "moindre (solution choisie via le SAD).",
            )
    elif not source:
        problem = (
            "Statut de référencement déclaré sans source : indiquez où il a été vérifié "
            "(liste des solutions référencées publiée par l'ANS, attestation de l'éditeur…)."
        )
    elif status is SegurStatus.IN_PROGRESS and facts.configuration_started:
        problem = (
            "La solution est encore en cours de référencement alors que le paramétrage a "
            "commencé : le référencement doit intervenir avant."
        )
    fine = (
        f"Solution déclarée référencée Ségur par le porteur (source : {source})."
        if status is SegurStatus.REFERENCED
        else f"Solution déclarée en cours de référencement par le porteur (source : {source}) : "
        "il doit aboutir avant le paramétrage."
    )
    return _line("segur", label, problem, fine)


def check_new_operation(facts: GrappeFacts) -> CheckLine:
    label = "Opération nouvelle (barème 2025)"
    if facts.rule_set is not RuleSet.Y2025:
        return CheckLine("operation-nouvelle", label, True, "Sans objet au barème 2022.")
    signed = facts.editor_contract_on
    problem = None
    if signed is not None and signed < NEW_OPERATION_FROM:
        problem = (
            f"Contrat éditeur signé le {signed:%d/%m/%Y}, avant le "
            f"{NEW_OPERATION_FROM:%d/%m/%Y} : le projet n'est pas une opération nouvelle."
        )
    fine = (
        "Aucun contrat éditeur signé à ce jour."
        if signed is None
        else f"Contrat éditeur signé le {signed:%d/%m/%Y}, après le {NEW_OPERATION_FROM:%d/%m/%Y}."
    )
    return _line("operation-nouvelle", label, problem, fine)


def check_duration(facts: GrappeFacts) -> CheckLine:
    label = "Durée du projet"
    limit = MAX_MONTHS[facts.project_type]
    months = facts.duration_months
    if months is None:
        return CheckLine("duree", label, False, f"Indiquez la durée prévue (au plus {limit} mois).")
    if months > limit:
        return CheckLine(
            "duree",
            label,
            False,
            f"{months} mois prévus : au plus {limit} mois pour ce type de projet.",
        )
    reason = f"{months} mois prévus (au plus {limit})."
    if facts.project_type is GrappeType.UPGRADE and months > IDEAL_UPGRADE_MONTHS:
        reason += f" Idéalement {IDEAL_UPGRADE_MONTHS} mois pour une montée de version."
    return CheckLine("duree", label, True, reason)


CHECKS = (
    check_size,
    check_finess,
    check_siret,
    check_couloirs,
    check_declarations,
    check_same_solution,
    check_segur,
    check_new_operation,
    check_duration,
)


def checklist(facts: GrappeFacts) -> Checklist:
    return Checklist([check(facts) for check in CHECKS])
