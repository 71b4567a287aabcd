"""Base for commands with a machine-readable contract (JSON out, documented exit codes).

Other tooling runs these commands and relies on their exit status: 2 means a usage
error, whatever argparse would say. argparse words its errors in English; each
command turns the templates a user can trigger into French sentences.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

# argparse's message templates (Python 3.12+).
REQUIRED = re.compile(r"^the following arguments are required: (?P<names>.+)$")
INVALID_CHOICE = re.compile(r"^argument .+?: invalid choice: '?(?P<value>.*?)'? \(choose from")
UNRECOGNISED = re.compile(r"^unrecognized arguments: (?P<values>.+)$")


def exit_with_usage_error(parser: CommandParser, text: str, usage: str) -> NoReturn:
    """Exit with status 2 and a French message, as argparse does in English.

    Called programmatically (`call_command`), Django's parser raises CommandError
    instead of exiting; that behaviour is kept, with returncode 2.
    """
    if parser.called_from_command_line:
        parser.exit(2, f"{parser.prog} : {text}\nUsage : {usage}\n")
    raise CommandError(text, returncode=2)


class ContractCommand(BaseCommand):
    """A command whose usage errors are French sentences with exit status 2.

    Subclasses set `usage` and override `usage_message`. No system check runs: these
    commands compute from their arguments and must work when the database is down.
    """

    usage = ""
    requires_system_checks: list[str] = []

    def usage_message(self, message: str) -> str:
        """A French sentence for an argparse error message."""
        return f"Arguments incorrects ({message})."

    def refuse(self, *lines: str) -> NoReturn:
        """Refuse the input after the parser accepted it (unknown FINESS, invalid coding…):
        French lines on the error output, nothing on the standard output, exit status 2."""
        for line in lines:
            self.stderr.write(line)
        raise SystemExit(2)

    def _usage_error(self, parser: CommandParser, message: str) -> NoReturn:
        exit_with_usage_error(parser, self.usage_message(message), self.usage)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds the top-level parser itself (no hook for its class), so its
        # error() is replaced here.
        parser.error = functools.partial(self._usage_error, parser)  # type: ignore[method-assign]
        return parser

    def subparser_class(self) -> type[CommandParser]:
        """A parser class for `add_subparsers(parser_class=...)` with the same errors."""
        command = self

        class FrenchUsageParser(CommandParser):
            def error(self, message: str) -> NoReturn:
                command._usage_error(self, message)

        return FrenchUsageParser
