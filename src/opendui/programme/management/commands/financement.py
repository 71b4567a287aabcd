"""`opendui financement`: the ESMS Numérique funding estimate of a grappe, as JSON.

Contract (other tooling relies on it):

    opendui financement --bareme 2022|2025 --projet acquisition|montee-de-version
                        --segur oui|non --essms N [--grappe M] [--petit-og]

- N is the number of ESSMS this computation covers, M the whole grappe (default N).
  The grappe size M decides eligibility (mainland minimum: 15 ESSMS, fewer than 10
  rejected outright) and the 2025 rate band; the amounts are for the N ESSMS. Under
  2022 the reduced rate starts at the 50th ESSMS of the grappe: the N ESSMS are taken
  as the LAST N of the grappe (ranks M-N+1 to M), so the estimate of a part never
  overstates it. `--petit-og`: the N ESSMS belong to an OG of fewer than 15 ESSMS
  (extras of the 2022 rule set); the SONS order is the N ESSMS.
- stdout carries one JSON object (UTF-8): `eligible` (bool), `motifs` (French reasons
  why the project is not eligible; empty when it is), `usages`, `logiciel`, `materiel`,
  `amoa_projet`, `amoa_marche`, `total` (their sum), `sons_editeur` (the SONS
  prestation the State pays the editor, not in `total`; 0 when not applicable), all
  in euros as JSON integers, and `notes` (the readings applied, in French).
- exit status 0 when computed (eligible or not); 2 on a usage error (unknown rule set,
  project type or Ségur value, N not a positive integer, M not an integer or smaller
  than N, a missing or unknown option), with a French message on stderr and nothing
  on stdout.

The command reads no database and runs no system check (programme.funding is pure).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from opendui.core.commands import REQUIRED, UNRECOGNISED, ContractCommand
from opendui.core.identifiers import ascii_digits
from opendui.programme.funding import Part, ProjectType, RuleSet, estimate

USAGE = (
    "opendui financement --bareme 2022|2025 --projet acquisition|montee-de-version "
    "--segur oui|non --essms N [--grappe M] [--petit-og]"
)
SEGUR = {"oui": True, "non": False}
_NAMES = {
    "--bareme": "le barème (--bareme 2022 ou 2025)",
    "--projet": "le type de projet (--projet acquisition ou montee-de-version)",
    "--segur": "le référencement Ségur de la solution (--segur oui ou non)",
    "--essms": "le nombre d'ESSMS chiffrés (--essms N)",
}


def _positive_integer(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if ascii_digits(text) and int(text) > 0 else None


def _problems(options: dict[str, Any]) -> list[str]:
    """Every usage error of the options, in French (empty when they are valid)."""
    problems = []
    if options["bareme"] not in {r.value for r in RuleSet}:
        problems.append(
            f"Barème inconnu « {options['bareme']} » : les barèmes disponibles sont 2022 et 2025."
        )
    if options["projet"] not in {p.value for p in ProjectType}:
        problems.append(
            f"Type de projet inconnu « {options['projet']} » : indiquez acquisition ou "
            "montee-de-version."
        )
    if options["segur"] not in SEGUR:
        problems.append(f"Valeur de --segur inconnue « {options['segur']} » : indiquez oui ou non.")
    essms = _positive_integer(options["essms"])
    if essms is None:
        problems.append(
            f"--essms « {options['essms']} » : le nombre d'ESSMS chiffrés est un entier "
            "supérieur ou égal à 1."
        )
    if options["grappe"] is not None:
        grappe = _positive_integer(options["grappe"])
        if grappe is None:
            problems.append(
                f"--grappe « {options['grappe']} » : la taille de la grappe est un entier "
                "supérieur ou égal à 1."
            )
        elif essms is not None and grappe < essms:
            problems.append(
                f"La grappe ({grappe} ESSMS) ne peut pas compter moins d'ESSMS que le calcul "
                f"n'en couvre ({essms})."
            )
    return problems


class Command(ContractCommand):
    help = (
        "Programme ESMS Numérique : estimation du financement d'un projet (barèmes 2022 et "
        "2025, compléments petit OG, prestation Ségur SONS de l'éditeur), en JSON. N est le "
        "nombre d'ESSMS chiffrés, M la taille de toute la grappe (par défaut N) : M décide "
        "de l'éligibilité (minimum métropolitain : 15 ESSMS) et de la tranche de taux ; au "
        "barème 2022 les N ESSMS sont comptés comme les N derniers de la grappe (taux réduit "
        "à partir du 50e). Code de sortie 2 et message sur la sortie d'erreur si un argument "
        "est incorrect."
    )
    usage = USAGE

    def usage_message(self, message: str) -> str:
        if match := REQUIRED.match(message):
            names = [name.strip() for name in match.group("names").split(",")]
            labels = [_NAMES.get(name, name) for name in names]
            missing = " et ".join(
                [", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels
            )
            return f"Argument manquant : indiquez {missing}."
        if match := UNRECOGNISED.match(message):
            return f"Argument inconnu : « {match.group('values')} »."
        return super().usage_message(message)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bareme", required=True, metavar="2022|2025", help="Barème.")
        parser.add_argument(
            "--projet",
            required=True,
            metavar="acquisition|montee-de-version",
            help="Type de projet.",
        )
        parser.add_argument(
            "--segur", required=True, metavar="oui|non", help="Solution référencée Ségur."
        )
        parser.add_argument(
            "--essms", required=True, metavar="N", help="Nombre d'ESSMS chiffrés (≥ 1)."
        )
        parser.add_argument(
            "--grappe",
            metavar="M",
            help="Nombre d'ESSMS de toute la grappe (≥ N, par défaut N).",
        )
        parser.add_argument(
            "--petit-og",
            action="store_true",
            help="Les N ESSMS relèvent d'un OG de moins de 15 ESSMS.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = _problems(options)
        if problems:
            self.refuse(*problems, f"Usage : {USAGE}")
        essms = int(options["essms"].strip())
        grappe = int(options["grappe"].strip()) if options["grappe"] is not None else essms
        project = ProjectType(options["projet"])
        result = estimate(
            RuleSet(options["bareme"]),
            [Part(project, essms)],
            grappe=grappe,
            segur=SEGUR[options["segur"]],
            first_position=grappe - essms + 1,
            small_og_essms=essms if options["petit_og"] else 0,
            sons_orders=[essms],
        )
        result.notes.append(
            "Territoire supposé : France métropolitaine (minimum 15 ESSMS ; 8 en Corse et "
            "outre-mer, à choisir sur la page du projet)."
        )
        self.stdout.write(json.dumps(result.as_contract(), ensure_ascii=False))
