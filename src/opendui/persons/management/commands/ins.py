"""`opendui ins verifier-matricule VALUE`: check a matricule INS offline.

Contract (other tooling relies on it):

- stdout carries exactly one JSON object (UTF-8, not ASCII-escaped):
  `valide` (true/false), `raison` (the French sentence, only when invalid),
  `matricule` (the value without spaces, letters upper-cased) and, when the
  13-character body is well formed, `cle_attendue` (the key it calls for, as
  the two-character string printed in a matricule, e.g. "07");
- exit status 0 when valid, 1 when invalid, 2 on a usage error (missing value,
  unknown subcommand, extra arguments), with a French message on stderr.

The command reads no database and runs no system check: it works on a machine
whose database is unreachable.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser

from opendui.core.commands import INVALID_CHOICE, REQUIRED, UNRECOGNISED, ContractCommand
from opendui.persons.ins import expected_key, matricule_problem, normalise_matricule

VERIFY = "verifier-matricule"
SUBCOMMANDS_METAVAR = "{" + VERIFY + "}"
VALUE_METAVAR = "MATRICULE"
USAGE = f"opendui ins {VERIFY} {VALUE_METAVAR}"

_MISSING = {
    SUBCOMMANDS_METAVAR: f"la sous-commande ({VERIFY})",
    VALUE_METAVAR: "le matricule INS à vérifier (15 caractères)",
}


class Command(ContractCommand):
    help = "Identité nationale de santé : vérification hors ligne d'un matricule INS."
    usage = USAGE

    def usage_message(self, message: str) -> str:
        if match := REQUIRED.match(message):
            names = [name.strip() for name in match.group("names").split(",")]
            missing = " et ".join(_MISSING.get(name, name) for name in names)
            return f"Argument manquant : indiquez {missing}."
        if match := INVALID_CHOICE.match(message):
            return (
                f"Sous-commande inconnue « {match.group('value')} » : "
                f"la seule sous-commande disponible est {VERIFY}."
            )
        if match := UNRECOGNISED.match(message):
            return (
                f"Argument en trop : « {match.group('values')} ». Un seul matricule est vérifié "
                "à la fois ; s'il contient des espaces, mettez-le entre guillemets."
            )
        return super().usage_message(message)

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar=SUBCOMMANDS_METAVAR,
            parser_class=self.subparser_class(),
        )
        verify = subcommands.add_parser(
            VERIFY,
            help="Vérifier la structure et la clé de contrôle d'un matricule INS (NIR ou NIA).",
        )
        verify.add_argument(
            "matricule",
            metavar=VALUE_METAVAR,
            help="Matricule INS de 15 caractères (les espaces sont ignorés).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["matricule"]
        problem = matricule_problem(value)
        result: dict[str, Any] = {"valide": problem is None}
        if problem is not None:
            result["raison"] = problem
        result["matricule"] = normalise_matricule(value)
        key = expected_key(value)
        if key is not None:
            result["cle_attendue"] = f"{key:02d}"
        self.stdout.write(json.dumps(result, ensure_ascii=False))
        if problem is not None:
            raise SystemExit(1)
