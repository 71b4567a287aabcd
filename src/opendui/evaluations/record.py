"""The evaluations' part of a person's record (persons.sections): the tab, the GIR block
of the synthèse with its AGGIR alert, and the banner's GIR.

The GIR is care data (`person.view_care`). AGGIR alert (`evaluations.rules.aggir_due`,
which says why): a person with a current stay in an EHPAD (FINESS category 500) whose
latest VALIDE grid was evaluated more than 12 months ago, or who has no VALIDE grid more
than 30 days after admission (the entry evaluation takes the first weeks: no alert
before). One query (the latest VALIDE grid), the current stays being shared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from opendui.accompaniment.rules import is_overdue
from opendui.persons.sections import Alert, BannerPart, Block, Fact, RecordReading
from opendui.stays.record import current_stays

from .models import AggirEvaluation
from .rules import AGGIR_ENTRY_DAYS, AGGIR_MONTHS, aggir_due
from .selectors import current_gir

EHPAD_CATEGORY = "500"  # FINESS category of the EHPAD
VIEW_CARE = "person.view_care"


@dataclass(frozen=True)
class GirSection:
    grid: AggirEvaluation | None
    ehpad_resident: bool
    reevaluation_due: dt.date | None
    overdue: bool


def gir_section(reading: RecordReading) -> GirSection:
    def compute() -> GirSection:
        today = reading.today
        grid = current_gir(reading.person)
        admissions = [
            s.start_date
            for s in current_stays(reading)
            if s.facility.category.code == EHPAD_CATEGORY
        ]
        ehpad = bool(admissions)
        # The resident's first admission among their current EHPAD stays starts the clock.
        due = aggir_due(min(admissions) if ehpad else None, grid.evaluated_on if grid else None)
        return GirSection(grid, ehpad, due, ehpad and is_overdue(due, today))

    return reading.shared("evaluations.gir", compute)


def gir_alerts(section: GirSection) -> list[Alert]:
    if not section.overdue:
        return []
    if section.grid is None:
        return [
            Alert(
                "gir",
                "Évaluation AGGIR : aucune grille validée pour ce résident d'EHPAD, attendue "
                f"au plus tard le {section.reevaluation_due:%d/%m/%Y} "
                f"({AGGIR_ENTRY_DAYS} jours après l'admission).",
            )
        ]
    return [
        Alert(
            "gir",
            f"Évaluation AGGIR de plus de {AGGIR_MONTHS} mois : à refaire depuis "
            f"le {section.reevaluation_due:%d/%m/%Y}.",
        )
    ]


def gir_block(reading: RecordReading) -> Block | None:
    if not reading.allowed(VIEW_CARE):
        return None
    section = gir_section(reading)
    return Block("gir", "evaluations/_record_gir.html", section, tuple(gir_alerts(section)))


def gir_banner(reading: RecordReading) -> BannerPart | None:
    if not reading.allowed(VIEW_CARE):
        return None
    section = gir_section(reading)
    value = str(section.grid.gir) if section.grid else _("non évalué")
    alerts = (_("Réévaluation AGGIR en retard"),) if section.overdue else ()
    return BannerPart((Fact(_("GIR"), value),), alerts)
