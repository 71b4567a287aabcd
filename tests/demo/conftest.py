"""A seeded demo organisation for the demo tests (small: 5 facilities, 60 persons)."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.demo.seed import SeedSummary, seed_demo

REFERENCE_DATE = dt.date(2026, 1, 15)


@pytest.fixture
def seeded(db) -> SeedSummary:
    return seed_demo(5, 60, seed=1, reference_date=REFERENCE_DATE)
