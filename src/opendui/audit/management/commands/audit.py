"""`opendui audit verify|seal|anchor|head`: check, seal and anchor the audit trail.

`verify` checks the legacy chain, the keyed chain, the events not sealed yet, and
the latest anchors of every configured anchor store. Exit codes:

- 0: intact (warnings, e.g. `--no-anchors`, may be printed);
- 1: altered: one French line per problem, naming the event or seal number (n°),
  including events left unsealed longer than OPENDUI_AUDIT_SEAL_WINDOW;
- 2: could not verify: no key configured, or an anchor store unreadable.

`seal` seals the pending events now (the worker does it every few seconds).
`anchor` seals, then writes the keyed chain's head to the anchor stores (the
nightly job does it). `head` prints both chain heads.

`--anchor N:HASH` (before keyed sealing, `audit head` printed such anchors of the
legacy chain) is still accepted and checked against legacy event n° N;
`--anchor sN:HASH` is checked against seal n° N.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from opendui.audit.verify import CHUNK_SIZE, PROGRESS_EVERY

_ANCHOR = re.compile(r"^(s?)([0-9]+):([0-9a-f]{64})$")
# Anchors read from each store by default: the newest one already catches any rewrite
# before it (every later hash changes); a few more cover a removed or unreadable newest.
ANCHORS_CHECKED = 3

EXIT_ALTERED = 1
EXIT_UNVERIFIABLE = 2


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _anchor(text: str) -> tuple[bool, int, str]:
    match = _ANCHOR.match(text.strip().lower())
    if match is None:
        raise CommandError(
            f"Ancre invalide « {text} » : attendu N:EMPREINTE (événement de l'ancien journal) "
            "ou sN:EMPREINTE (scellement), avec 64 caractères hexadécimaux, comme l'affiche "
            "`opendui audit head`."
        )
    return bool(match.group(1)), int(match.group(2)), match.group(3)


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


class Command(BaseCommand):
    help = (
        "Journal d'audit : vérification (verify), scellement (seal), ancrage hors de la base "
        "(anchor), têtes de chaîne (head)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,seal,anchor,head}"
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
            help="Empreinte notée auparavant : N:… (événement de l'ancien journal) ou sN:… "
            "(scellement). Option répétable.",
        )
        verify.add_argument(
            "--no-anchors",
            action="store_true",
            help="Ne pas lire les ancres enregistrées (avertissement : une réécriture complète "
            "ou la suppression des derniers événements ne serait pas détectée).",
        )
        verify.add_argument(
            "--anchors-checked",
            type=int,
            default=ANCHORS_CHECKED,
            metavar="N",
            help=f"Ancres lues par lieu d'ancrage, les plus récentes (défaut {ANCHORS_CHECKED}, "
            "0 : toutes).",
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
        subcommands.add_parser("seal", help="Sceller maintenant les événements en attente.")
        subcommands.add_parser(
            "anchor", help="Sceller puis ancrer la tête de chaîne hors de la base de données."
        )
        subcommands.add_parser("head", help="Afficher les têtes de chaîne.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "head": self._head,
            "seal": self._seal,
            "anchor": self._anchor,
            "verify": self._verify,
        }[options["subcommand"]]
        handler(options)

    def _keyring(self) -> Any:
        from opendui.audit.keys import AuditKeyError, load_keyring

        try:
            return load_keyring()
        except AuditKeyError as error:
            self.stderr.write(str(error))
            raise SystemExit(EXIT_UNVERIFIABLE) from error

    def _head(self, options: dict[str, Any]) -> None:
        from opendui.audit.models import AuditChainHead, AuditSeal

        legacy = AuditChainHead.objects.filter(pk=1).first()
        if legacy is None:
            raise CommandError("La tête de l'ancien journal d'audit est introuvable.")
        self.stdout.write(
            f"Ancien journal (avant scellement) : n° {legacy.seq}, empreinte {legacy.hash}"
        )
        newest = AuditSeal.objects.order_by("-seq").first()
        if newest is None:
            self.stdout.write("Chaîne scellée : aucun scellement pour l'instant.")
            self.stdout.write(f"Ancre à conserver : s0:{legacy.hash}")
            return
        self.stdout.write(
            f"Chaîne scellée : scellement n° {newest.seq} (événement n° {newest.event_seq}), "
            f"empreinte {newest.hash}, clé {newest.key_id}"
        )
        self.stdout.write(f"Ancre à conserver : s{newest.seq}:{newest.hash}")

    def _seal(self, options: dict[str, Any]) -> None:
        from opendui.audit.sealing import seal_pending

        keyring = self._keyring()
        count = seal_pending(keyring=keyring)
        self.stdout.write(
            f"{count} événement{'s' if count > 1 else ''} scellé{'s' if count > 1 else ''}."
        )

    def _anchor(self, options: dict[str, Any]) -> None:
        from opendui.audit.anchors import AnchorError, write_anchors
        from opendui.audit.sealing import seal_pending

        keyring = self._keyring()
        seal_pending(keyring=keyring)
        try:
            anchor, locations = write_anchors(keyring=keyring)
        except AnchorError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Tête de chaîne ancrée : scellement n° {anchor.seq}.")
        for location in locations:
            self.stdout.write(f"  {location}")

    def _seal_anchors(self, options: dict[str, Any], keyring: Any) -> tuple[list, list, list]:
        """(anchor checks, problems, warnings) from the configured stores."""
        from opendui.audit.anchors import AnchorError, configured_stores, signature_ok
        from opendui.audit.chain import ANCHOR, ChainProblem
        from opendui.audit.verify import AnchorCheck

        checks, problems, warnings = [], [], []
        if options["no_anchors"]:
            warnings.append(
                "ancres non vérifiées (--no-anchors) : une réécriture complète du journal ou "
                "la suppression de ses derniers événements passerait inaperçue."
            )
            return checks, problems, warnings
        stores = configured_stores()
        if not stores:
            warnings.append(
                "aucun lieu d'ancrage configuré (OPENDUI_AUDIT_ANCHOR_DIR ou "
                "OPENDUI_AUDIT_ANCHOR_S3_BUCKET) : ancres non vérifiées."
            )
        max_age = settings.AUDIT_ANCHOR_MAX_AGE
        for store in stores:
            try:
                anchors = store.latest(options["anchors_checked"])
            except AnchorError as error:
                self.stderr.write(str(error))
                raise SystemExit(EXIT_UNVERIFIABLE) from error
            if not anchors:
                warnings.append(
                    f"aucune ancre dans le {store.label} : lancez `opendui audit anchor` "
                    "(la tâche de nuit le fait)."
                )
                continue
            newest = max(anchors, key=lambda a: a.created)
            if (timezone.now() - newest.created).total_seconds() > max_age:
                warnings.append(
                    f"la dernière ancre du {store.label} date du {_date(newest.created)} : "
                    "la tâche d'ancrage (opendui worker) ne tourne plus ?"
                )
            for anchor in anchors:
                label = f"l'ancre du {_date(anchor.created)} ({anchor.location})"
                valid = signature_ok(anchor, keyring)
                if not valid:
                    reason = (
                        f"clé « {anchor.key_id} » inconnue"
                        if valid is None
                        else "signature invalide"
                    )
                    problems.append(
                        ChainProblem(
                            None,
                            f"Ancre {anchor.location} : {reason} (ancre falsifiée, ou ancienne "
                            "clé retirée de la configuration).",
                            ANCHOR,
                        )
                    )
                    continue
                checks.append(AnchorCheck(anchor.seq, anchor.hash, label))
        return checks, problems, warnings

    def _verify(self, options: dict[str, Any]) -> None:
        from opendui.audit.verify import AnchorCheck, verify_trail

        if options["chunk_size"] < 1 or options["progress_every"] < 1:
            raise CommandError("--chunk-size et --progress-every doivent être positifs.")
        legacy_anchors, noted = {}, []
        for text in options["anchor"]:
            sealed, seq, digest = _anchor(text)
            if sealed:
                noted.append(AnchorCheck(seq, digest, "l'empreinte notée (--anchor)"))
            else:
                legacy_anchors[seq] = digest
        keyring = self._keyring()
        checks, anchor_problems, warnings = self._seal_anchors(options, keyring)

        def progress(count: int) -> None:
            self.stderr.write(f"… {_thousands(count)} événements vérifiés")

        report = verify_trail(
            chunk_size=options["chunk_size"],
            progress=progress,
            progress_every=options["progress_every"],
            anchors=legacy_anchors,
            keyring=keyring,
            seal_anchors=checks + noted,
        )
        problems = anchor_problems + report.problems
        for problem in problems:
            self.stdout.write(problem.message)
        for warning in warnings + report.warnings:
            self.stdout.write(f"Avertissement : {warning}")
        if checks:
            newest = max(checks, key=lambda c: c.seq)
            self.stdout.write(
                f"Ancres vérifiées : {len(checks)} (la plus récente atteste le scellement "
                f"n° {newest.seq})."
            )
        if report.unsealed:
            self.stdout.write(
                f"En attente de scellement : {report.unsealed} événement"
                f"{'s' if report.unsealed > 1 else ''} (le plus ancien du "
                f"{timezone.localtime(report.oldest_unsealed).strftime('%d/%m/%Y %H:%M:%S')})."
            )
        if not problems:
            self.stdout.write(f"Journal d'audit intègre : {report.checked} événements vérifiés.")
            return
        count = len(problems)
        self.stdout.write(
            f"Journal d'audit altéré : {count} anomalie{'s' if count > 1 else ''} "
            f"sur {report.checked} événements vérifiés."
        )
        raise SystemExit(EXIT_ALTERED)
