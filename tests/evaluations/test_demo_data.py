"""Demo evaluations: AGGIR history in the EHPAD, SERAFIN-PH grids in the IME."""

from __future__ import annotations

import datetime as dt
import random

from opendui.evaluations.demo_data import seed_evaluations
from opendui.evaluations.models import AggirEvaluation, FilledEvaluation
from opendui.evaluations.selectors import facility_gmp
from opendui.stays.models import Stay


def test_seed_evaluations(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    stays = list(Stay.objects.filter(facility__organisation=world.og).select_related("facility"))
    today = dt.date(2026, 1, 15)
    created = seed_evaluations(stays, random.Random(3), [nurse], today)
    assert created > 0
    assert AggirEvaluation.objects.filter(person=world.anne, status="VALIDE").count() == 1
    assert AggirEvaluation.objects.filter(person=world.anne, status="TERMINE").count() >= 1
    assert FilledEvaluation.objects.filter(person=world.chloe).count() == 1
    assert facility_gmp(world.ehpad, today).residents == 2
