"""The default mode of stay (stays.modes, pure) and where it is applied."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.organisations.models import Facility
from opendui.stays import modes
from opendui.stays.models import StayMode

NO_PLACES: dict[str, int] = {}


def places(**by_mode: int) -> dict[str, int]:
    return {modes.CAPACITY_FIELDS[getattr(modes, name)]: n for name, n in by_mode.items()}


def test_the_modes_and_capacity_fields_exist():
    assert set(modes.CAPACITY_FIELDS) <= set(StayMode.values)
    field_names = {f.name for f in Facility._meta.get_fields()}
    assert set(modes.CAPACITY_FIELDS.values()) <= field_names


@pytest.mark.parametrize(
    ("category", "couloir", "capacities", "expected"),
    [
        ("500", "PA", places(PERMANENT=80, TEMPORARY=4, DAY=10), StayMode.PERMANENT),  # EHPAD
        ("500", "PA", places(TEMPORARY=6), StayMode.TEMPORARY),  # temporary places only
        ("500", "PA", places(DAY=12), StayMode.DAY),
        ("354", "DOM", NO_PLACES, StayMode.HOME),  # SSIAD, places not recorded yet
        ("460", "DOM", places(HOME=120), StayMode.HOME),  # SAA (ex-SAAD)
        ("182", "PH", places(HOME=40), StayMode.HOME),  # SESSAD
        ("207", "PA", places(PERMANENT=3), StayMode.DAY),  # accueil de jour PA
        ("183", "PH", places(PERMANENT=20, DAY=45), StayMode.PERMANENT),  # IME
        ("246", "PH", places(HOME=80), StayMode.HOME),  # ESAT: service places
        ("214", "INC", NO_PLACES, ""),  # CHRS without places: the professional chooses
    ],
)
def test_default_mode(category, couloir, capacities, expected):
    assert modes.default_mode(category, couloir, capacities) == expected


def test_a_transfer_carries_the_mode_the_arrival_has_places_of():
    ehpad = places(PERMANENT=80, TEMPORARY=4)
    assert modes.mode_on_transfer(StayMode.TEMPORARY, "500", "PA", ehpad) == StayMode.TEMPORARY
    assert modes.mode_on_transfer(StayMode.DAY, "500", "PA", ehpad) == StayMode.PERMANENT
    assert modes.mode_on_transfer(StayMode.PERMANENT, "354", "DOM", places(HOME=30)) == "domicile"
    assert modes.mode_on_transfer("", "500", "PA", ehpad) == StayMode.PERMANENT
    # Nothing tells at the arrival: the current mode goes on.
    assert modes.mode_on_transfer(StayMode.BOARDING, "214", "INC", NO_PLACES) == "internat"


capacities = st.dictionaries(
    st.sampled_from(sorted(modes.CAPACITY_FIELDS.values())), st.integers(0, 200)
)
categories = st.sampled_from(["500", "183", "255", "246", "354", "460", "182", "207", "214", "999"])
couloirs = st.sampled_from(["PA", "PH", "DOM", "PDE", "INC"])


@given(categories, couloirs, capacities)
def test_the_default_has_places_unless_the_category_decides(category, couloir, capacity):
    mode = modes.default_mode(category, couloir, capacity)
    assert mode in (*StayMode.values, "")
    by_category = (
        category in modes.HOME_CATEGORIES or category in modes.DAY_CATEGORIES or couloir == "DOM"
    )
    if not by_category:
        if any(capacity.values()):
            assert capacity[modes.CAPACITY_FIELDS[mode]] > 0
        else:
            assert mode == ""
    weights = modes.mode_weights(capacity)
    assert all(n > 0 for n in weights.values())
    assert sum(weights.values()) == sum(capacity.values())


@given(st.sampled_from([*StayMode.values, ""]), categories, couloirs, capacities)
def test_a_transfer_keeps_an_offered_mode_and_never_invents_none(current, category, couloir, cap):
    mode = modes.mode_on_transfer(current, category, couloir, cap)
    field = modes.capacity_field(current)
    if field is not None and cap.get(field, 0) > 0:
        assert mode == current
    else:
        assert mode == (modes.default_mode(category, couloir, cap) or current)
