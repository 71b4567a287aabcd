"""Overdue contracts computed in SQL agree with the pure rule, month ends included."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.persons.models import Person, Sex
from opendui.stays.models import Contract, Stay
from opendui.stays.overdue import (
    Thresholds,
    count_overdue_contracts,
    last_overdue,
    overdue_contracts,
    overdue_page,
)
from opendui.stays.rules import ContractFacts, add_months, overdue_items

D = dt.date


def month_end(year: int, month: int, back: int) -> dt.date:
    return D(year, month, calendar.monthrange(year, month)[1] - back)


# Random days, with many month ends (28 February, 29 February, 30, 31…) and month starts.
days = st.one_of(
    st.dates(min_value=D(2022, 1, 1), max_value=D(2026, 12, 31)),
    st.builds(month_end, st.integers(2022, 2026), st.integers(1, 12), st.integers(0, 3)),
    st.builds(D, st.integers(2022, 2026), st.integers(1, 12), st.integers(1, 2)),
)
maybe = st.one_of(st.none(), days)
contracts = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["contrat", "dipc"]),
        "handed_on": maybe,
        "signed_on": maybe,
        "objectives_amendment_on": maybe,
        "last_update_on": maybe,
    }
)
stays = st.tuples(days, st.one_of(st.none(), days), st.lists(contracts, max_size=2))


@given(today=days, months=st.sampled_from([1, 6, 12]))
def test_threshold_is_the_last_overdue_date(today, months):
    limit = last_overdue(today, months)
    assert add_months(limit, months) < today
    assert add_months(limit + dt.timedelta(days=1), months) >= today


def test_thresholds_at_month_ends():
    # 31 January + 1 month = 28 February: overdue on 1 March, and so is every January day.
    assert Thresholds.on(D(2025, 3, 1)).signature == D(2025, 1, 31)
    assert Thresholds.on(D(2025, 2, 28)).signature == D(2025, 1, 27)
    # 2024 is a leap year: 29 February + 12 months = 28 February 2025.
    assert Thresholds.on(D(2025, 3, 1)).yearly_update == D(2024, 2, 29)
    assert Thresholds.on(D(2025, 3, 1)).handover == D(2025, 2, 13)


def expected(facility, today) -> dict[int, list]:
    """The pure rule applied to every stay running on `today`, latest contract first."""
    result = {}
    for stay in Stay.objects.filter(facility=facility):
        if not (stay.start_date <= today and (stay.end_date is None or stay.end_date >= today)):
            continue
        contract = stay.contracts.order_by("-created_at", "-pk").first()
        fields = (
            {
                name: getattr(contract, name)
                for name in (
                    "kind",
                    "handed_on",
                    "signed_on",
                    "objectives_amendment_on",
                    "last_update_on",
                )
            }
            if contract
            else {}
        )
        items = overdue_items(ContractFacts(admission_date=stay.start_date, **fields), today)
        if items:
            result[stay.pk] = items
    return result


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(stays, max_size=8), todays=st.lists(days, min_size=1, max_size=3))
def test_sql_selection_equals_the_pure_rule(world, rows, todays):
    with transaction.atomic():
        Stay.objects.filter(facility=world.ehpad).delete()  # only the generated stays
        person = Person.objects.create(
            organisation=world.og,
            local_id="H000001",
            birth_name="HYPO",
            first_name="Thèse",
            birth_date=D(1940, 1, 1),
            sex=Sex.FEMALE,
        )
        for start, end, contract_rows in rows:
            if end is not None and end < start:
                start, end = end, start
            stay = Stay.objects.create(
                person=person, facility=world.ehpad, start_date=start, end_date=end
            )
            for data in contract_rows:
                Contract.objects.create(stay=stay, **data)
        for today in todays:
            got = {o.stay.pk: o.items for o in overdue_contracts(world.ehpad, today)}
            assert got == expected(world.ehpad, today), today
            assert count_overdue_contracts(world.ehpad, today) == len(got)
        transaction.set_rollback(True)


def test_an_update_date_on_an_unsigned_contract_does_not_make_it_due(world):
    """PostgreSQL's GREATEST skips NULLs: the missing signature must still hold the yearly
    update back (found by the property test above)."""
    Stay.objects.filter(facility=world.ehpad).delete()
    stay = Stay.objects.create(person=world.anne, facility=world.ehpad, start_date=D(2023, 2, 1))
    Contract.objects.create(stay=stay, kind="contrat", last_update_on=D(2022, 1, 1))
    assert overdue_contracts(world.ehpad, D(2023, 2, 1)) == []
    assert count_overdue_contracts(world.ehpad, D(2023, 2, 1)) == 0


def add_overdue_stays(world, how_many: int) -> None:
    start = Person.objects.count()
    for n in range(start, start + how_many):
        person = Person.objects.create(
            organisation=world.og,
            local_id=f"O{n:06d}",
            birth_name=f"RETARD-{n:03d}",
            first_name="Jean",
            birth_date=D(1940, 1, 1),
            sex=Sex.MALE,
        )
        stay = Stay.objects.create(
            person=person, facility=world.ehpad, start_date=D(2024, 1, 1) + dt.timedelta(days=n)
        )
        if n % 2:
            Contract.objects.create(stay=stay, handed_on=stay.start_date)
            Contract.objects.create(stay=stay, handed_on=stay.start_date, signed_on=stay.start_date)


def test_query_count_does_not_grow(world, django_assert_max_num_queries):
    add_overdue_stays(world, 60)
    today = D(2025, 3, 1)
    with django_assert_max_num_queries(1):
        rows = overdue_contracts(world.ehpad, today, limit=10)
    assert len(rows) == 10
    with django_assert_max_num_queries(1):
        page = overdue_page(world.ehpad, today, "2", 25)
    assert len(page.object_list) == 25 and page.has_next and page.number == 2
    assert page.object_list[0].stay.person.birth_name  # person loaded with the row
    with django_assert_max_num_queries(1):
        assert count_overdue_contracts(world.ehpad, today) == 62  # + anne and bruno


def test_latest_contract_decides(world):
    stay = world.anne.stays.get()  # admitted 01/01/2024
    Contract.objects.create(
        stay=stay,
        handed_on=D(2024, 1, 2),
        signed_on=D(2024, 1, 3),
        objectives_amendment_on=D(2024, 6, 1),
    )
    Contract.objects.create(stay=stay, kind="dipc")  # newer and empty: everything overdue
    row = next(o for o in overdue_contracts(world.ehpad, D(2025, 3, 1)) if o.stay == stay)
    assert [label for label, _ in row.items] == [
        "remise du contrat",
        "signature du contrat",
        "avenant fixant les objectifs",
    ]
    assert row.facts.kind == "dipc" and row.contract_id == stay.contracts.latest("pk").pk
