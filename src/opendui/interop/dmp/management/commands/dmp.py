"""`opendui dmp exporter-cda --sortie DIR`: the CDA of every document submitted to the DMP.

One file per document, `<uniqueId>.xml`, holding the exact bytes submitted of its latest
version in the DMP (the stored CDA, checked against its SHA-256). Exit 0; a French message
and exit 2 on bad arguments (no --sortie, DIR is a file or cannot be written).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opendui.documents import store

from ...selectors import latest_sent_per_document

BAD_ARGUMENTS = 2


class Command(BaseCommand):
    help = "DMP : exporter le CDA des documents versés (exporter-cda --sortie DOSSIER)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="{exporter-cda}")
        sub = subcommands.add_parser(
            "exporter-cda",
            help="Écrire dans DOSSIER le CDA tel que versé de la dernière version de chaque "
            "document envoyé au DMP, nommé <uniqueId>.xml.",
        )
        # Checked by hand: argparse's own message is English.
        sub.add_argument("--sortie", dest="output", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("subcommand") != "exporter-cda":
            raise CommandError(
                "Sous-commande attendue : exporter-cda --sortie DOSSIER.", returncode=BAD_ARGUMENTS
            )
        output = options.get("output")
        if not output:
            raise CommandError(
                "Indiquez le dossier de sortie : --sortie DOSSIER.", returncode=BAD_ARGUMENTS
            )
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise CommandError(
                f"« {output} » est un fichier, pas un dossier.", returncode=BAD_ARGUMENTS
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(
                f"Le dossier « {output} » ne peut pas être créé.", returncode=BAD_ARGUMENTS
            ) from error
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CommandError(
                f"Le dossier « {output} » n'est pas accessible en écriture.",
                returncode=BAD_ARGUMENTS,
            )
        written = 0
        for unique_id, name, sha256 in latest_sent_per_document():
            try:
                data = store.read(name)
            except store.StorageUnavailable as error:
                raise CommandError(store.StorageUnavailable.message) from error
            if hashlib.sha256(data).hexdigest() != sha256:
                raise CommandError(f"Le CDA {unique_id} ne correspond plus à son empreinte.")
            try:
                (folder / f"{unique_id}.xml").write_bytes(data)
            except OSError as error:
                raise CommandError(
                    f"Impossible d'écrire dans « {output} ».", returncode=BAD_ARGUMENTS
                ) from error
            written += 1
        self.stdout.write(f"{written} document(s) CDA écrit(s) dans {folder}.")
