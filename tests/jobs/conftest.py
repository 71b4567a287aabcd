from __future__ import annotations

import pytest

from tests.jobs import sample_tasks


@pytest.fixture(autouse=True)
def _reset_sample_tasks():
    sample_tasks.CALLS.clear()
    sample_tasks.FAILURES_LEFT.clear()
    sample_tasks.STOP.clear()
    yield
