"""The home panel's SQL agrees with the pure renewal rule."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.administrative import rules
from opendui.administrative.models import Right, RightKind
from opendui.administrative.selectors import expiring_rights, right_facts

TODAY = dt.date(2026, 12, 7)
ends = st.lists(
    st.tuples(
        st.sampled_from([RightKind.AAH, RightKind.PCH]),
        st.one_of(st.none(), st.integers(min_value=-90, max_value=150)),
    ),
    max_size=6,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ends)
def test_expiring_rights_in_sql_match_the_rule(world, secretary, rows):
    Right.objects.all().delete()
    for kind, offset in rows:
        Right.objects.create(
            person=world.anne,
            kind=kind,
            start_date=dt.date(2020, 1, 1),
            end_date=None if offset is None else TODAY + dt.timedelta(days=offset),
        )
    in_sql = {(r.kind, r.end_date) for r in expiring_rights(world.ehpad, secretary, TODAY)}
    by_rule = {
        (a.facts.key, a.facts.end)
        for a in rules.alerts(right_facts(list(Right.objects.all()), []), TODAY)
        if a.state is rules.RightState.EXPIRING
    }
    assert in_sql == by_rule


def test_expiring_rights_stay_within_the_readers_scope(world, secretary):
    Right.objects.create(
        person=world.chloe,
        kind=RightKind.AAH,
        start_date=dt.date(2020, 1, 1),
        end_date=TODAY + dt.timedelta(days=3),
    )
    assert not expiring_rights(world.ime, secretary, TODAY).exists()
    assert not expiring_rights(world.ehpad, secretary, TODAY).exists()
    other = world.user("accueil", facility=world.ime)
    assert expiring_rights(world.ime, other, TODAY).count() == 1
