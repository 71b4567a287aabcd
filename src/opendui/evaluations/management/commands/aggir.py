"""`opendui aggir CODES...`: the GIR of AGGIR codings, one JSON object per line.

Contract (other tooling relies on it):

- each CODES is 10 letters A, B or C in the order COH ORI TOI HAB ALI ELI TRA
  DPI DPE COM, in either case; surrounding spaces are ignored. `-` reads one
  coding per line from standard input (blank lines ignored), in its place
  among the arguments; it may appear once;
- stdout carries one JSON object per coding, in input order, one per line:
  `codes` (the 10 letters, upper case), `gir` (1-6), `rang` (1-13), `groupe`
  (the annexe 2-2 group, A-H, that concluded) and `score` (that group's sum);
- everything is validated before anything is written: if any coding is
  invalid, stdout stays empty, stderr names each invalid argument or line
  (the first 20, then a count) in French, and the exit status is 2. The
  output is therefore never partial;
- exit status 0 on success (also when standard input holds no coding), 2 on a
  usage error (no argument, unknown option) with a French message on stderr.

The command reads no database and runs no system check. It is meant for
batches: results come from a cache over the 3^8 useful codings and the JSON
lines are cached too, so a line costs a validation and a dictionary look-up.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import Any, NoReturn, TextIO

from django.core.management.base import CommandParser

from opendui.core.commands import REQUIRED, UNRECOGNISED, ContractCommand
from opendui.evaluations.aggir import VALID_CODING, VARIABLE_CODES, coding_problem, compute_gir

CODES_METAVAR = "CODES"
USAGE = f"opendui aggir {CODES_METAVAR} [{CODES_METAVAR} ...]  (ou « - » pour l'entrée standard)"
STDIN = "-"
MAX_REPORTED_ERRORS = 20
CHUNK_LINES = 10_000


@functools.cache
def json_line(coding: str) -> str:
    """The output line of a valid upper-case coding (at most 3^10 distinct lines).

    Written by hand rather than with json.dumps, which was most of the time of
    a 100 000-line batch: every value is an integer or a string of the letters
    A-H, so nothing needs escaping. A test checks it parses as JSON.
    """
    result = compute_gir(coding)
    return (
        f'{{"codes": "{coding}", "gir": {result.gir}, "rang": {result.rang}, '
        f'"groupe": "{result.group}", "score": {result.score}}}'
    )


class Command(ContractCommand):
    help = (
        "Grille AGGIR : calcule le GIR (algorithme de l'annexe 2-2 du CASF) de codages de "
        "10 lettres A, B ou C dans l'ordre " + " ".join(VARIABLE_CODES) + " (majuscules ou "
        "minuscules). Écrit un objet JSON par codage et par ligne (codes, gir, rang, groupe, "
        f"score). « {STDIN} » lit un codage par ligne sur l'entrée standard (lignes vides "
        "ignorées). Tous les codages sont vérifiés avant toute écriture : si l'un d'eux est "
        "invalide, rien n'est écrit sur la sortie standard, les erreurs sont décrites sur la "
        "sortie d'erreur et le code de sortie est 2."
    )
    usage = USAGE
    # `call_command("aggir", "-", stdin=io.StringIO(...))` in tests.
    stealth_options = ("stdin",)

    def usage_message(self, message: str) -> str:
        if REQUIRED.match(message):
            return (
                "Argument manquant : indiquez au moins un codage AGGIR (10 lettres A, B ou C) "
                f"ou « {STDIN} » pour lire les codages sur l'entrée standard."
            )
        if match := UNRECOGNISED.match(message):
            return (
                f"Option inconnue : « {match.group('values')} ». Un codage AGGIR ne commence "
                "jamais par un tiret."
            )
        return super().usage_message(message)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "codes",
            nargs="+",
            metavar=CODES_METAVAR,
            help=(
                "Codage AGGIR de 10 lettres A, B ou C ("
                + " ".join(VARIABLE_CODES)
                + f"), ou « {STDIN} » pour lire un codage par ligne sur l'entrée standard."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stdin: TextIO = options.get("stdin") or sys.stdin
        codings: list[str] = []
        errors: list[str] = []
        stdin_read = False
        for position, argument in enumerate(options["codes"], start=1):
            if argument == STDIN:
                if stdin_read:
                    errors.append(
                        f"Argument {position} : « {STDIN} » ne peut figurer qu'une fois "
                        "(l'entrée standard est déjà lue)."
                    )
                    continue
                stdin_read = True
                for line_number, line in enumerate(stdin, start=1):
                    value = line.strip()
                    if value:
                        self._collect(
                            value, f"Entrée standard, ligne {line_number}", codings, errors
                        )
            else:
                self._collect(argument.strip(), f"Argument {position}", codings, errors)
        if errors:
            self._report(errors)
        for chunk in _chunks(codings):
            self.stdout.write("\n".join(json_line(coding) for coding in chunk))

    @staticmethod
    def _collect(value: str, where: str, codings: list[str], errors: list[str]) -> None:
        # The regular expression is the fast path; coding_problem() words the refusal.
        if VALID_CODING.fullmatch(value):
            codings.append(value.upper())
        else:
            errors.append(f"{where} : {coding_problem(value)}")

    def _report(self, errors: list[str]) -> NoReturn:
        lines = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            others = len(errors) - MAX_REPORTED_ERRORS
            plural = "s" if others > 1 else ""
            lines.append(f"… et {others} autre{plural} codage{plural} invalide{plural}.")
        self.refuse(*lines, "Aucun résultat n'est écrit tant qu'un codage est invalide.")


def _chunks(codings: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(codings), CHUNK_LINES):
        yield codings[start : start + CHUNK_LINES]
