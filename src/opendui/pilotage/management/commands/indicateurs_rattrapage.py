"""`opendui indicateurs_rattrapage`: rebuild the indicator tables from the audit trail."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from opendui.pilotage.backfill import rebuild


class Command(BaseCommand):
    help = (
        "Reconstruit depuis le journal d'audit les tables lues par les indicateurs ESMS "
        "numérique (activité des dossiers, modifications de projets personnalisés)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(rebuild(), ensure_ascii=False))
