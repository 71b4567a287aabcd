"""`opendui indicateurs --finess FINESS_ET --mois AAAA-MM [--format json]`.

Contract (other tooling relies on it):

- stdout carries one JSON object whose keys are the five indicators, in the spec's order:
  `dossiers_actifs`, `dossiers_actifs_pp`, `dossiers_actifs_evenement`, `mssante`, `dmp`;
  each has `numerateur`, `denominateur` (integers), `taux` (percent with one decimal, a
  JSON number, or null when the denominator is 0), `cible` (percent), and, for
  information, `variante` and `libelle`; `mssante` and `dmp` also have `envois`, the
  messages or documents the service accepted in the period whoever they concern (the
  numerator counts persons of the denominator, each once: definitions.py);
- `--mois` defaults to the month just ended; `--premiere-mesure` makes the period the three
  months ending with `--mois` (the programme's first measure); `--variante CLE=CODE`
  (repeatable) picks another definition variant (pilotage/definitions.py, VARIANTS);
- an unknown FINESS, a malformed month, a month in the future, an unknown variant or
  option: a French message on stderr, nothing on stdout, exit status 2.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from opendui.core.commands import REQUIRED, UNRECOGNISED, ContractCommand
from opendui.organisations.models import Facility
from opendui.pilotage import definitions as d
from opendui.pilotage.indicators import compute_facility

USAGE = (
    "opendui indicateurs --finess FINESS_ET [--mois AAAA-MM] [--premiere-mesure] "
    "[--variante CLE=CODE] [--format json]"
)


def as_json(results: list[d.IndicatorResult]) -> dict[str, dict[str, Any]]:
    """The contract's JSON object for a list of results."""
    return {
        r.key: {
            "numerateur": r.numerator,
            "denominateur": r.denominator,
            "taux": float(r.rate) if r.rate is not None else None,
            "cible": r.target,
            "variante": r.variant,
            "libelle": r.label,
        }
        | ({} if r.sent is None else {"envois": r.sent})
        for r in results
    }


class Command(ContractCommand):
    help = (
        "Indicateurs d'usage ESMS numérique d'un établissement (FINESS géographique) pour un "
        "mois : numérateur, dénominateur, taux et cible de chacun, en JSON."
    )
    usage = USAGE

    def usage_message(self, message: str) -> str:
        if REQUIRED.match(message):
            return "Argument manquant : indiquez --finess suivi du FINESS géographique."
        if match := UNRECOGNISED.match(message):
            return f"Option inconnue : « {match.group('values')} »."
        return super().usage_message(message)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--finess", required=True, help="FINESS géographique (9 chiffres).")
        parser.add_argument("--mois", help="Mois mesuré, AAAA-MM (défaut : le mois écoulé).")
        parser.add_argument(
            "--premiere-mesure",
            action="store_true",
            help="Première mesure du programme : les trois mois se terminant par --mois.",
        )
        parser.add_argument(
            "--variante",
            action="append",
            default=[],
            metavar="CLE=CODE",
            help="Variante de définition, par exemple dossiers_actifs=file_active_3_ans.",
        )
        parser.add_argument("--format", choices=["json"], default="json", help="json")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        facility = Facility.objects.filter(finess_et=options["finess"].strip()).first()
        if facility is None:
            self.refuse(f"FINESS géographique inconnu : « {options['finess']} ».")
        try:
            if options["mois"]:
                year, month = d.parse_month(options["mois"], today)
            else:
                last = d.Period.last_ended(today)
                year, month = last.start.year, last.start.month
            variants = dict(v.split("=", 1) for v in options["variante"] if "=" in v)
            if len(variants) != len(options["variante"]):
                raise ValueError("Variante invalide : attendu CLE=CODE.")
            d.resolve_variants(variants)
        except ValueError as error:
            self.refuse(str(error))
        period = (
            d.Period.first_measure(year, month)
            if options["premiere_mesure"]
            else d.Period.month(year, month)
        )
        results = compute_facility(facility, period, variants)
        self.stdout.write(json.dumps(as_json(results), ensure_ascii=False, indent=2))
