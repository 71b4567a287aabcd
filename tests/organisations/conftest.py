"""Fixtures for the organisation administration pages.

The "admin" role requires a second factor, so the shared `login` fixture stops
at the TOTP enrolment step; `login` completes it through the real pages.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(world):
    """Organisation-wide administrator of world.og."""
    return world.user("admin")


@pytest.fixture
def admin_client(admin, login):
    return login(admin)
