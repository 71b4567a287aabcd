"""facility_gmp in SQL on hand-built cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opendui.evaluations.aggir import gmp
from opendui.evaluations.models import AggirEvaluation
from opendui.evaluations.selectors import facility_gmp
from opendui.stays.models import Stay

ON = dt.date(2025, 6, 1)


def grid(world, person, gir, status="VALIDE", on=dt.date(2025, 1, 1)):
    return AggirEvaluation.objects.create(
        person=person,
        stay=person.stays.order_by("-start_date").first(),
        evaluated_on=on,
        evaluator=world.user("infirmier", facility=world.ehpad),
        status=status,
        gir=gir,
        coding="A" * 10,
    )


def test_gmp_counts_the_latest_validated_gir_of_present_residents(
    world, django_assert_max_num_queries
):
    grid(world, world.anne, 2, on=dt.date(2024, 1, 10))
    grid(world, world.anne, 1, on=dt.date(2025, 2, 1))  # latest VALIDE: counts
    grid(world, world.anne, 6, status="APPROUVE", on=dt.date(2025, 5, 1))  # not validated
    grid(world, world.bruno, 4)
    grid(world, world.bruno, 6, on=dt.date(2025, 7, 1))  # after the date: ignored
    carla = world.person(world.ehpad, birth_name="ROUX", first_name="Carla")  # no GIR
    discharged = world.person(world.ehpad, birth_name="BLANC", first_name="Jean")
    grid(world, discharged, 1)
    Stay.objects.filter(person=discharged).update(end_date=dt.date(2025, 3, 1))
    grid(world, world.denis, 1)  # another facility
    with django_assert_max_num_queries(1):
        result = facility_gmp(world.ehpad, ON)
    assert result.distribution == {1: 1, 4: 1}
    assert result.without_gir == 1  # carla
    assert result.residents == 2 and result.points == 1420
    assert result.gmp == Decimal("710.00") == gmp([1, 4])
    assert carla.pk  # present but not counted in the GMP


def test_gmp_without_validated_gir_is_none(world):
    result = facility_gmp(world.ime, ON)
    assert result.gmp is None and result.without_gir == 1
    assert [row[1] for row in result.rows()] == [0] * 6
