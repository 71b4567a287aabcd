"""Who reads a facility's GIR moyen pondéré, and for which facilities it exists.

One rule for the GMP page (`views.facility_gmp`) and the home page's links
(`home.gmp_panel`), so that a link is never shown to someone the page refuses.
"""

from __future__ import annotations

from typing import Any

from opendui.accounts.access import check
from opendui.organisations.models import Facility

from .rules import gmp_applies

#: Its direction (the facility overview) and those who validate the AGGIR grids it is
#: computed from (`person.edit_medical`: the médecin coordonnateur), wherever in the
#: facility they are assigned.
GMP_READERS = ("facility.view_overview", "person.edit_medical")


def may_view_gmp(user: Any, facility: Facility) -> bool:
    """A GMP exists for the facility and the user may read it (no query)."""
    return gmp_applies(facility.couloir) and any(
        check(user, code, facility=facility) for code in GMP_READERS
    )
