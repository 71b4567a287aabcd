"""Fixtures of the evaluation tests: users of world.ehpad / world.ime, complete grids."""

from __future__ import annotations

import pytest

from opendui.core.actor import Actor
from opendui.evaluations.aggir import DISCRIMINANT_VARIABLES
from opendui.evaluations.rules import sub_variable_names


def adverbs(value: str = "STCH", **overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    grid = {v.code: {name: value for name in sub_variable_names(v)} for v in DISCRIMINANT_VARIABLES}
    for code, answers in overrides.items():
        grid[code] = {**grid[code], **answers}
    return grid


@pytest.fixture
def doctor(world):
    return world.user("medecin", facility=world.ehpad)


@pytest.fixture
def actor_of():
    return lambda user: Actor(user=user)
