"""Readers of the person search and list tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def nurse(world):
    """EHPAD nurse: sees the persons placed in the EHPAD."""
    return world.user("infirmier", facility=world.ehpad)


@pytest.fixture
def director(world):
    """Organisation-wide director: sees every person of the organisation."""
    return world.user("directeur", organisation=world.og)
