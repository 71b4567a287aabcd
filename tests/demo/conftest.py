"""A seeded demo organisation for the demo tests (small: 5 facilities, 60 persons).

Seeding takes seconds, so a test module seeds once: `_seeded_module` opens a transaction
for the module, seeds in it and rolls it back after the module's last test. Each test
(`seeded`, through pytest-django's `db`) runs in a savepoint inside it, so what a test
writes (a login, an audit event) is undone and the next test sees the seed as it was —
the way Django's `TestCase.setUpTestData` shares data between the tests of a class.
A module whose tests use `seeded` must not seed the demo again in other tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings

from opendui.demo.seed import SeedSummary, seed_demo

REFERENCE_DATE = dt.date(2026, 1, 15)


def _records_storage(location: Path) -> dict:
    return {
        **django_settings.STORAGES,
        "records": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None},
        },
    }


@pytest.fixture(scope="module")
def _seeded_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """(summary, storages): the seed's stored documents go to the module's own folder."""
    storages = _records_storage(tmp_path_factory.mktemp("demo-records"))
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_demo(5, 60, seed=1, reference_date=REFERENCE_DATE), storages
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(_seeded_module, db, settings) -> SeedSummary:
    summary, storages = _seeded_module
    settings.STORAGES = storages  # the files the seed stored, not a fresh empty folder
    return summary
