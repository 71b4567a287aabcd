"""When the record page flags an EHPAD resident's AGGIR evaluation (rules.aggir_due)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from opendui.evaluations.models import AggirEvaluation
from opendui.evaluations.rules import AGGIR_ENTRY_DAYS, aggir_due
from opendui.persons.record import person_record

ADMITTED = dt.date(2024, 1, 1)  # world.anne's stay in world.ehpad


def test_rule_values():
    assert AGGIR_ENTRY_DAYS == 30
    assert aggir_due(ADMITTED, None) == dt.date(2024, 1, 31)
    assert aggir_due(ADMITTED, dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert aggir_due(None, dt.date(2024, 5, 10)) == dt.date(2025, 5, 10)
    assert aggir_due(None, None) is None


@given(
    admitted=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    evaluated=st.one_of(
        st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1))
    ),
)
def test_a_grid_decides_once_it_exists(admitted, evaluated):
    due = aggir_due(admitted, evaluated)
    if evaluated is None:
        assert due == admitted + dt.timedelta(days=30)
    else:
        assert 365 <= (due - evaluated).days <= 366  # a year later, whatever the admission


def _record(world, day: dt.date, role: str = "infirmier"):
    user = world.user(role, facility=world.ehpad)
    now = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return person_record(user, world.anne, now)


def _aggir_alerts(record) -> list[str]:
    return [a.message for a in record.alerts if "AGGIR" in a.message]


@pytest.mark.parametrize(
    ("day", "alerted"),
    [
        (dt.date(2024, 1, 1), False),  # admission day
        (dt.date(2024, 1, 31), False),  # 30th day after: still the entry evaluation
        (dt.date(2024, 2, 1), True),  # the day after: overdue
    ],
)
def test_no_alert_during_the_grace_period_after_admission(world, day, alerted):
    record = _record(world, day)
    assert record.gir.ehpad_resident and record.gir.grid is None
    assert record.gir.reevaluation_due == dt.date(2024, 1, 31)
    assert record.gir.overdue is alerted
    expected = (
        [
            "Évaluation AGGIR : aucune grille validée pour ce résident d'EHPAD, attendue au "
            "plus tard le 31/01/2024 (30 jours après l'admission)."
        ]
        if alerted
        else []
    )
    assert _aggir_alerts(record) == expected


def test_a_validated_grid_in_the_grace_period_then_the_yearly_rule(world):
    AggirEvaluation.objects.create(
        person=world.anne,
        stay=world.anne.stays.get(),
        evaluated_on=dt.date(2024, 1, 20),
        evaluator=world.user("infirmier", facility=world.ehpad),
        status="VALIDE",
        gir=2,
        coding="A" * 10,
        validated_on=dt.date(2024, 1, 20),
    )
    assert _aggir_alerts(_record(world, dt.date(2024, 6, 1))) == []
    assert _aggir_alerts(_record(world, dt.date(2025, 1, 20))) == []
    assert _aggir_alerts(_record(world, dt.date(2025, 1, 21))) == [
        "Évaluation AGGIR de plus de 12 mois : à refaire depuis le 20/01/2025."
    ]


def test_a_draft_grid_does_not_stop_the_alert(world):
    AggirEvaluation.objects.create(
        person=world.anne,
        stay=world.anne.stays.get(),
        evaluated_on=dt.date(2024, 1, 10),
        evaluator=world.user("infirmier", facility=world.ehpad),
        status="ENPREPARATION",
        coding="",
    )
    assert _aggir_alerts(_record(world, dt.date(2024, 2, 1)))


def test_no_alert_for_an_educator_nor_outside_an_ehpad(world):
    assert _record(world, dt.date(2024, 6, 1), role="educateur").gir is None
    assert _aggir_alerts(_record(world, dt.date(2024, 6, 1), role="educateur")) == []
    user = world.user("infirmier", facility=world.ime)
    record = person_record(user, world.chloe)
    assert not record.gir.ehpad_resident and not record.gir.overdue
