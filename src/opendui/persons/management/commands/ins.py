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

import functools
import json
import re
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opendui.persons.ins import expected_key, matricule_problem, normalise_matricule

VERIFY = "verifier-matricule"
SUBCOMMANDS_METAVAR = "{" + VERIFY + "}"
VALUE_METAVAR = "MATRICULE"
USAGE = f"opendui ins {VERIFY} {VALUE_METAVAR}"

# argparse words its errors in English; these are the templates a user can
# trigger here (Python 3.12+). Anything else keeps argparse's detail inside a
# French sentence.
_REQUIRED = re.compile(r"^the following arguments are required: (?P<names>.+)$")
_INVALID_CHOICE = re.compile(r"^argument .+?: invalid choice: '?(?P<value>.*?)'? \(choose from")
_UNRECOGNISED = re.compile(r"^unrecognized arguments: (?P<values>.+)$")

_MISSING = {
    SUBCOMMANDS_METAVAR: f"la sous-commande ({VERIFY})",
    VALUE_METAVAR: "le matricule INS à vérifier (15 caractères)",
}


def french_usage_message(message: str) -> str:
    """A French sentence for an argparse error message."""
    if match := _REQUIRED.match(message):
        names = [name.strip() for name in match.group("names").split(",")]
        missing = " et ".join(_MISSING.get(name, name) for name in names)
        return f"Argument manquant : indiquez {missing}."
    if match := _INVALID_CHOICE.match(message):
        return (
            f"Sous-commande inconnue « {match.group('value')} » : "
            f"la seule sous-commande disponible est {VERIFY}."
        )
    if match := _UNRECOGNISED.match(message):
        return (
            f"Argument en trop : « {match.group('values')} ». Un seul matricule est vérifié "
            "à la fois ; s'il contient des espaces, mettez-le entre guillemets."
        )
    return f"Arguments incorrects ({message})."


def _usage_error(parser: CommandParser, message: str) -> NoReturn:
    """Exit with status 2 and a French message, as argparse does in English.

    Called programmatically (`call_command`), Django's parser raises
    CommandError instead of exiting; it keeps that behaviour, with returncode 2.
    """
    text = french_usage_message(message)
    if parser.called_from_command_line:
        parser.exit(2, f"{parser.prog} : {text}\nUsage : {USAGE}\n")
    raise CommandError(text, returncode=2)


class FrenchUsageParser(CommandParser):
    """Django's CommandParser whose usage errors are worded in French and exit with 2."""

    def error(self, message: str) -> NoReturn:
        _usage_error(self, message)


class Command(BaseCommand):
    help = "Identité nationale de santé : vérification hors ligne d'un matricule INS."
    # No system check: they are not needed to check a number, and some may query the database.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds the top-level parser itself (no hook for its class): missing or unknown
        # subcommands and extra arguments are reported by it, so its error() is replaced here.
        parser.error = functools.partial(_usage_error, parser)  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand",
            required=True,
            metavar=SUBCOMMANDS_METAVAR,
            parser_class=FrenchUsageParser,
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
