"""`opendui audit verify` and `opendui audit head`: check and anchor the audit trail.

`verify` exits 0 when the whole trail matches its hash chain, 1 otherwise,
printing one French line per problem, each naming the event number (n°).
`head` prints the newest event's number and hash: noted regularly outside the
database (a ticket, a signed e-mail, a write-once store), it lets a later
`verify --anchor N:HASH` detect a trail rewritten together with its head.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opendui.audit.verify import CHUNK_SIZE, PROGRESS_EVERY, verify_trail

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _anchor(text: str) -> tuple[int, str]:
    match = _ANCHOR.match(text.strip().lower())
    if match is None:
        raise CommandError(
            f"Ancre invalide « {text} » : attendu N:EMPREINTE (numéro, deux-points, "
            "64 caractères hexadécimaux), comme l'affiche `opendui audit head`."
        )
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = (
        "Journal d'audit : vérification de la chaîne d'empreintes (verify), tête de chaîne (head)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,head}"
        )
        verify = subcommands.add_parser(
            "verify",
            help="Vérifier que le journal n'a été ni modifié, ni complété, ni amputé.",
        )
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="N:EMPREINTE",
            help="Empreinte de l'événement n° N notée auparavant (option répétable).",
        )
        verify.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE, help="Lignes lues par requête."
        )
        verify.add_argument(
            "--progress-every",
            type=int,
            default=PROGRESS_EVERY,
            help="Afficher l'avancement (sur la sortie d'erreur) tous les N événements.",
        )
        subcommands.add_parser("head", help="Afficher la tête de chaîne, pour l'ancrer ailleurs.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            self._head()
        else:
            self._verify(options)

    def _head(self) -> None:
        from opendui.audit.models import AuditChainHead

        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None:
            raise CommandError("La tête de chaîne du journal d'audit est introuvable.")
        self.stdout.write(f"Tête de chaîne : n° {head.seq}, empreinte {head.hash}")
        self.stdout.write(f"Ancre à conserver : {head.seq}:{head.hash}")

    def _verify(self, options: dict[str, Any]) -> None:
        anchors = dict(_anchor(text) for text in options["anchor"])
        if options["chunk_size"] < 1 or options["progress_every"] < 1:
            raise CommandError("--chunk-size et --progress-every doivent être positifs.")

        def progress(count: int) -> None:
            self.stderr.write(f"… {_thousands(count)} événements vérifiés")

        report = verify_trail(
            chunk_size=options["chunk_size"],
            progress=progress,
            progress_every=options["progress_every"],
            anchors=anchors,
        )
        if report.ok:
            self.stdout.write(f"Journal d'audit intègre : {report.checked} événements vérifiés.")
            return
        for problem in report.problems:
            self.stdout.write(problem.message)
        count = len(report.problems)
        self.stdout.write(
            f"Journal d'audit altéré : {count} anomalie{'s' if count > 1 else ''} "
            f"sur {report.checked} événements vérifiés."
        )
        raise SystemExit(1)
