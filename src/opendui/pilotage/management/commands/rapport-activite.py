"""`opendui rapport-activite --finess FINESS_ET --annee AAAA [--format json|csv]`.

The facility's yearly activity report, for scripted annual reporting. Contract:

- `--format json` (default): one JSON object (activity_export.report_json): `finess`,
  `annee`, `du`, `au`, `en_cours`, `file_active`, `modes` and `total` (capacity, persons,
  admissions, discharges, journées, `taux_occupation` in percent with one decimal or null
  when the capacity is not recorded), discharges by reason and destination, absences,
  average lengths, ages, GIR distribution and `gmp`, incidents by category;
- `--format csv`: the rows of the page's CSV export (`;`, French headers, decimal
  commas), without the byte-order mark that only spreadsheets need;
- the year in progress is allowed (counted up to today); an unknown FINESS, a malformed
  year, a future year or an unknown option: a French message on stderr, nothing on
  stdout, exit status 2.

The read is recorded in the audit trail as an access by the command (aggregates only).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.commands import INVALID_CHOICE, REQUIRED, UNRECOGNISED, ContractCommand
from opendui.organisations.models import Facility
from opendui.pilotage import activity_rules as rules
from opendui.pilotage.activity_export import csv_text, report_json
from opendui.pilotage.activity_report import activity_report

USAGE = "opendui rapport-activite --finess FINESS_ET --annee AAAA [--format json|csv]"
FORMATS = ("json", "csv")


class Command(ContractCommand):
    help = (
        "Rapport d'activité annuel d'un établissement (FINESS géographique) : file active, "
        "entrées et sorties, journées et taux d'occupation par mode d'accueil, durées, âges, "
        "GIR et GMP, événements indésirables ; en JSON ou en CSV."
    )
    usage = USAGE

    def usage_message(self, message: str) -> str:
        if REQUIRED.match(message):
            return (
                "Argument manquant : indiquez --finess suivi du FINESS géographique et "
                "--annee suivi de l'année (AAAA)."
            )
        if match := INVALID_CHOICE.match(message):
            return f"Format inconnu : « {match.group('value')} » (json ou csv)."
        if match := UNRECOGNISED.match(message):
            return f"Option inconnue : « {match.group('values')} »."
        return super().usage_message(message)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--finess", required=True, help="FINESS géographique (9 chiffres).")
        parser.add_argument(
            "--annee", required=True, help="Année du rapport, AAAA (l'année en cours est admise)."
        )
        parser.add_argument("--format", choices=FORMATS, default="json", help="json ou csv.")

    def handle(self, *args: Any, **options: Any) -> None:
        finess = options["finess"].strip()
        facility = Facility.objects.select_related("organisation").filter(finess_et=finess).first()
        if facility is None:
            self.refuse(f"FINESS géographique inconnu : « {options['finess']} ».")
        today = timezone.localdate()
        try:
            year = rules.parse_year(options["annee"], today)
        except rules.PeriodError as error:
            self.refuse(str(error))
        report = activity_report(facility, year, today)
        record(
            Actor.system("opendui rapport-activite"),
            EventKind.ACCESS,
            "pilotage.activity_report",
            obj=facility,
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
            details={"annee": year, "format": options["format"]},
        )
        if options["format"] == "csv":
            self.stdout.write(csv_text(report).lstrip("\ufeff"), ending="")
        else:
            self.stdout.write(json.dumps(report_json(report), ensure_ascii=False, indent=2))
