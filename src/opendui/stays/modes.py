"""Which mode of stay (mode d'accueil) a stay takes by default (pure: no Django import).

The activity report divides the days of each mode by the capacity of the same mode
(permanent places, temporary places, day-care places, service places). A stay without a
mode counts in "mode non renseigné" and in no occupation rate, so every path that
creates a stay sets one: the admission and creation forms offer this default, the
transfer carries the current mode when the arrival facility has places of it, the demo
draws modes in proportion to each facility's places.

The default comes first from what the facility *is* (its FINESS category): a home
service (SSIAD, SAA/SAAD, SAAS, SESSAD, SAVS, SAMSAH…) works at home, a day centre
receives by day. Otherwise from the places it records, permanent first (the usual stay
of an EHPAD, a MAS, a MECS…), then service places, day care, temporary. A facility that
records no places and whose category says nothing has no default: the professional
chooses.
"""

from __future__ import annotations

from collections.abc import Mapping

# The values of stays.models.StayMode (kept equal by a test).
PERMANENT = "hebergement_permanent"
TEMPORARY = "hebergement_temporaire"
DAY = "accueil_jour"
HOME = "domicile"

#: The facility's capacity field for each mode that has one (organisations.Facility).
CAPACITY_FIELDS: dict[str, str] = {
    PERMANENT: "capacity_permanent",
    TEMPORARY: "capacity_temporary",
    DAY: "capacity_day_care",
    HOME: "capacity_service",
}
#: Order in which recorded places give the default mode.
_BY_PLACES = (PERMANENT, HOME, DAY, TEMPORARY)

#: FINESS categories (TRE_R66) whose persons are accompanied at home.
HOME_CATEGORIES = frozenset(
    {
        "182",  # SESSAD
        "208",  # aide ménagère à domicile (closed)
        "209",  # SAAS (ex-SPASAD)
        "346",  # TISF (closed)
        "354",  # SSIAD
        "445",  # SAMSAH
        "446",  # SAVS
        "450",  # service d'aide aux personnes âgées (closed)
        "460",  # SAA (ex-SAAD)
        "640",  # SAADF
    }
)
#: FINESS categories that receive persons by day only.
DAY_CATEGORIES = frozenset({"207", "242"})  # accueil de jour PA, SAJ
HOME_COULOIR = "DOM"


def capacity_field(mode: str) -> str | None:
    """The facility's capacity field of `mode`; None for a mode without one."""
    return CAPACITY_FIELDS.get(mode)


def default_mode(category: str, couloir: str, capacities: Mapping[str, int]) -> str:
    """The mode a new stay takes in a facility of `category` (FINESS code) and `couloir`
    whose places are `capacities` (capacity field -> places); "" when nothing says."""
    if category in HOME_CATEGORIES or couloir == HOME_COULOIR:
        return HOME
    if category in DAY_CATEGORIES:
        return DAY
    for mode in _BY_PLACES:
        if capacities.get(CAPACITY_FIELDS[mode], 0) > 0:
            return mode
    return ""


def mode_on_transfer(
    current: str, category: str, couloir: str, capacities: Mapping[str, int]
) -> str:
    """The mode of the stay opened by a transfer when the professional names none: the
    current one if the arrival facility has places of it, else the arrival facility's
    default, else the current one."""
    field = capacity_field(current)
    if field is not None and capacities.get(field, 0) > 0:
        return current
    return default_mode(category, couloir, capacities) or current


def mode_weights(capacities: Mapping[str, int]) -> dict[str, int]:
    """Places per mode (modes without places left out): how the demo spreads its stays."""
    return {
        mode: capacities.get(field, 0)
        for mode, field in CAPACITY_FIELDS.items()
        if capacities.get(field, 0) > 0
    }
