"""Data of the VA / VSR attestations: the three DUI indicators of each ESSMS of the OG.

The indicators are computed by `opendui.pilotage.indicators` (one definition for the
dashboard, the proof export and this page); this module only picks, for the grappe's
own facilities, the three the attestation asks for (dossiers actifs, with a PP, with at
least one événement) for the month just ended. Partner ESSMS are measured in their own
OG's DUI, so they are listed without figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from opendui.organisations.models import Facility

ATTESTATION_KEYS = ("dossiers_actifs", "dossiers_actifs_pp", "dossiers_actifs_evenement")


def last_month(today: dt.date) -> Any:
    from opendui.pilotage.definitions import Period

    return Period.last_ended(today)


def attestation_indicators(facilities: Sequence[Facility], period: Any) -> dict[int, list[Any]]:
    """{facility id: its three attestation indicators (IndicatorResult)} for `period`."""
    from opendui.pilotage import indicators

    by_facility = indicators.compute_facilities(facilities, period) if facilities else {}
    return {
        pk: [result for result in results if result.key in ATTESTATION_KEYS]
        for pk, results in by_facility.items()
    }
