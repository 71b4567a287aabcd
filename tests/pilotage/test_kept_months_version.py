"""Months kept under other definitions are never shown, and the migrations that remove
figures no longer true (kept months of the first definitions, invented demo sendings)."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.apps import apps
from django.utils import timezone

from opendui.documents.models import Sharing
from opendui.pilotage import definitions as d
from opendui.pilotage.cache import figures_by_month
from opendui.pilotage.models import MonthlyMeasure, RecordActivity

LAST = d.Period.last_ended(timezone.localdate())


def _kept_by_first_definitions(facility_id: int) -> MonthlyMeasure:
    """A row as the first definitions kept it: no version in its key, 3 active over 2."""
    return MonthlyMeasure.objects.create(
        facility_id=facility_id,
        month=LAST.start,
        variants=json.dumps(d.resolve_variants(None), sort_keys=True, separators=(",", ":")),
        values={key: [3, 2] for key in d.KEYS},
        computed_at=timezone.now() + dt.timedelta(days=1),  # after every stay's save
    )


@pytest.mark.django_db
def test_a_month_kept_under_other_definitions_is_computed_again(world):
    _kept_by_first_definitions(world.ehpad.pk)
    RecordActivity.objects.create(person_id=world.anne.pk, day=LAST.start)
    figures = figures_by_month([world.ehpad.pk], [LAST])[LAST][world.ehpad.pk]
    assert figures.values[d.ACTIVE] == (1, 2)  # Anne and Bruno accompanied, Anne active
    assert MonthlyMeasure.objects.filter(variants__contains='"version":"2"').count() == 1


@pytest.mark.django_db
def test_migrations_forget_old_months_and_invented_sendings(world):
    _kept_by_first_definitions(world.ehpad.pk)
    at = timezone.now()
    Sharing.objects.create(
        channel="DMP",
        facility=world.ehpad,
        person=world.anne,
        sent_at=at,
        external_id="DEMO-DMP-0000001",
    )
    real = Sharing.objects.create(
        channel="MSSANTE", facility=world.ehpad, sent_at=at, external_id="<a1@mssante.fr>"
    )
    importlib.import_module(
        "opendui.pilotage.migrations.0002_forget_months_of_old_definitions"
    ).forget_kept_months(apps, None)
    importlib.import_module(
        "opendui.documents.migrations.0002_remove_demo_sharings"
    ).remove_demo_sharings(apps, None)
    assert not MonthlyMeasure.objects.exists()
    assert list(Sharing.objects.all()) == [real]
