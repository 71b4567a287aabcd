"""The proof for the ARS: monthly measures of facilities as CSV and as a signed-off PDF.

CSV: UTF-8 with a byte-order mark (spreadsheets then read the accents right), `;` as
separator, French headers, rates with a decimal comma; one line per facility, month and
indicator. PDF: the facility's identity, the months, the figures, the definitions and
variants used, the date, the signatory and an empty signature field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string

from opendui.core.downloads import spreadsheet_csv
from opendui.organisations.models import Facility

from . import definitions as d
from .cache import figures_by_month

HEADERS = [
    "FINESS géographique",
    "Établissement",
    "Mois",
    "Indicateur",
    "Numérateur",
    "Dénominateur",
    "Taux (%)",
    "Cible (%)",
    "Cible atteinte",
    "Définition retenue",
]


@dataclass(frozen=True)
class FacilityProof:
    facility: Facility
    months: list[tuple[d.Period, list[d.IndicatorResult]]]

    @property
    def all_met(self) -> bool:
        return all(r.met for _, results in self.months for r in results)


def proofs(
    facilities: list[Facility], last: d.Period, months: int = 3, variants: dict | None = None
) -> list[FacilityProof]:
    """The `months` monthly measures ending with `last` for each facility."""
    periods = [
        d.Period.month(m.year, m.month)
        for m in (d.add_months(last.start, -k) for k in range(months - 1, -1, -1))
    ]
    by_month = figures_by_month([f.pk for f in facilities], periods, variants)
    return [
        FacilityProof(f, [(p, d.results(by_month[p][f.pk], variants)) for p in periods])
        for f in facilities
    ]


def proof_csv(items: list[FacilityProof]) -> bytes:
    rows = (
        [
            item.facility.finess_et,
            item.facility.name,
            f"{period.start:%Y-%m}",
            r.label,
            r.numerator,
            r.denominator,
            r.rate,
            r.target,
            "oui" if r.met else "non",
            r.variant_label,
        ]
        for item in items
        for period, results in item.months
        for r in results
    )
    return spreadsheet_csv(HEADERS, rows).encode("utf-8")


def proof_html(items: list[FacilityProof], signatory: str, today: dt.date) -> str:
    return render_to_string(
        "pilotage/proof_pdf.html",
        {
            "items": items,
            "signatory": signatory,
            "today": today,
            "definitions": DEFINITIONS,
            "variants": items[0].months[0][1] if items and items[0].months else [],
        },
    )


def proof_pdf(items: list[FacilityProof], signatory: str, today: dt.date) -> bytes:
    from opendui.accompaniment.pdf import render_pdf

    return render_pdf(proof_html(items, signatory, today))


#: The terms the proof defines (definitions.py holds them beside the formulas).
DEFINITIONS = d.TERMS
