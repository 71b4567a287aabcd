"""`opendui evaluations modele-serafin`: give each organisation the default SERAFIN-PH grid."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from opendui.evaluations.serafin_model import NAME, ensure_serafin_model
from opendui.organisations.models import ManagingOrganisation


class Command(BaseCommand):
    help = "Évaluations : création du modèle par défaut des besoins SERAFIN-PH (modele-serafin)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{modele-serafin}"
        )
        subcommands.add_parser(
            "modele-serafin",
            help=f"Créer et publier « {NAME} » dans chaque organisme qui ne l'a pas encore.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        for organisation in ManagingOrganisation.objects.order_by("pk"):
            _model, new = ensure_serafin_model(organisation)
            created += new
            state = "créé" if new else "déjà présent"
            self.stdout.write(f"{organisation} : modèle {state}.")
        self.stdout.write(f"{created} modèle(s) créé(s).")
