"""`opendui documents reconcile`: files without a row, rows without a file (reconcile.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opendui.documents.reconcile import reconcile
from opendui.documents.store import StorageUnavailable


class Command(BaseCommand):
    help = "Documents : rapprochement du stockage et de la base (reconcile)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{reconcile}")
        sub = subcommands.add_parser(
            "reconcile",
            help="Lister les fichiers sans ligne et les lignes sans fichier ; "
            "--supprimer efface les fichiers sans ligne plus anciens que --minutes.",
        )
        sub.add_argument("--minutes", type=int, default=60)
        sub.add_argument("--supprimer", action="store_true", dest="delete")

    def handle(self, *args: Any, **options: Any) -> None:
        minutes = max(0, min(options["minutes"], 10 * 365 * 24 * 60))
        try:
            report = reconcile(older_than=dt.timedelta(minutes=minutes), delete=options["delete"])
        except (StorageUnavailable, OSError) as error:
            raise CommandError(StorageUnavailable.message) from error
        except Exception as error:
            raise CommandError(StorageUnavailable.message) from error
        for name in report.orphan_files:
            state = "supprimé" if name in report.removed else "à supprimer (--supprimer)"
            self.stdout.write(f"Fichier sans document : {name} – {state}")
        for name in report.young_files:
            self.stdout.write(f"Fichier récent sans document (envoi en cours ?) : {name} – gardé")
        for pk, name in report.missing_files:
            self.stdout.write(f"Version n° {pk} sans fichier : {name} – à restaurer")
        self.stdout.write(
            f"{len(report.orphan_files)} fichier(s) sans document, {len(report.removed)} "
            f"supprimé(s), {len(report.missing_files)} version(s) sans fichier."
        )
        if report.missing_files or (report.orphan_files and not options["delete"]):
            raise SystemExit(1)
