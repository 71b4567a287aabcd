"""stays.Placement.ended_on, kept by the triggers of stays/placement_ends.py, is the end of
the placement as stays.archiving.placement_end computes it, whatever writes the stays and
requests; the scope's SQL filter agrees with archiving.is_current."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.stays.archiving import (
    current_since,
    is_current,
    placement_end,
    request_end,
)
from opendui.stays.models import AdmissionRequest, Placement, Stay

from .test_placements import run_concurrently

D = dt.date


def ends() -> dict[tuple[int, int], dt.date | None]:
    return {
        (p, f): end
        for p, f, end in Placement.objects.values_list("person_id", "facility_id", "ended_on")
    }


def expected_ends() -> dict[tuple[int, int], dt.date | None]:
    rows: dict[tuple[int, int], list] = {}
    for p, f, end in Stay.objects.values_list("person_id", "facility_id", "end_date"):
        rows.setdefault((p, f), []).append(end)
    for p, f, status, written in AdmissionRequest.objects.values_list(
        "person_id", "facility_id", "status", "updated_at"
    ):
        rows.setdefault((p, f), []).append(request_end(status, written.astimezone(dt.UTC).date()))
    return {pair: placement_end(values) for pair, values in rows.items()}


def test_the_end_follows_the_stays(world):
    stay = Stay.objects.get(person=world.anne)
    assert ends()[(world.anne.pk, world.ehpad.pk)] is None
    stay.end_date = D(2025, 3, 31)
    stay.save()
    assert ends()[(world.anne.pk, world.ehpad.pk)] == D(2025, 3, 31)
    # A readmission makes it current again; its end, the latest, counts once ended.
    again = Stay.objects.create(person=world.anne, facility=world.ehpad, start_date=D(2025, 9, 1))
    assert ends()[(world.anne.pk, world.ehpad.pk)] is None
    Stay.objects.filter(pk=again.pk).update(end_date=D(2025, 10, 15))
    assert ends()[(world.anne.pk, world.ehpad.pk)] == D(2025, 10, 15)
    Stay.objects.filter(pk=again.pk).delete()
    assert ends()[(world.anne.pk, world.ehpad.pk)] == D(2025, 3, 31)
    assert ends() == expected_ends()


def test_a_request_counts_while_open_then_until_it_was_closed(world):
    request = AdmissionRequest.objects.create(
        person=world.anne, facility=world.ime, received_on=D(2025, 1, 5)
    )
    assert ends()[(world.anne.pk, world.ime.pk)] is None
    for status in ("en_etude", "liste_attente", "acceptee"):
        request.status = status
        request.save()
        assert ends()[(world.anne.pk, world.ime.pk)] is None
    request.status = "annulee"
    request.save()
    assert ends()[(world.anne.pk, world.ime.pk)] == timezone.now().astimezone(dt.UTC).date()
    assert ends() == expected_ends()


def test_raw_sql_and_bulk_writes_are_seen(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stays_stay (version, created_at, updated_at, person_id, facility_id, "
            "start_date, end_date, mode, discharge_reason, discharge_reason_detail, "
            "discharge_destination, discharge_destination_detail) "
            "VALUES (1, %s, %s, %s, %s, %s, %s, '', '', '', '', '')",
            [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)] * 2
            + [world.denis.pk, world.ehpad.pk, D(2020, 1, 1), D(2020, 2, 1)],
        )
    assert ends()[(world.denis.pk, world.ehpad.pk)] == D(2020, 2, 1)
    Stay.objects.filter(person=world.chloe).update(end_date=D(2024, 6, 30))
    Stay.objects.filter(person=world.chloe).update(person=world.bruno)  # the merge
    assert ends()[(world.bruno.pk, world.ime.pk)] == D(2024, 6, 30)
    assert ends() == expected_ends()


DAYS = st.integers(0, 60).map(lambda n: D(2025, 1, 1) + dt.timedelta(days=n))
operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "stay",
                "end stay",
                "reopen stay",
                "delete stay",
                "request",
                "close request",
                "delete request",
                "move stays",
            ]
        ),
        st.integers(0, 2),  # person
        st.integers(0, 1),  # facility
        st.one_of(st.none(), DAYS),  # end of the stay written (None: open)
        st.sampled_from(["recue", "liste_attente", "refusee", "annulee", "admise"]),
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations, today=DAYS, grace=st.integers(0, 40))
def test_ends_and_the_scope_filter_agree_with_the_pure_rules(world, steps, today, grace):
    from django.db.models import Q

    persons = [world.anne, world.bruno, world.chloe]
    facilities = [world.ehpad, world.ime]
    with transaction.atomic():
        for action, p, f, end, status in steps:
            person, facility = persons[p], facilities[f]
            stays = Stay.objects.filter(person=person, facility=facility)
            if action == "stay":
                Stay.objects.create(
                    person=person, facility=facility, start_date=D(2024, 12, 1), end_date=end
                )
            elif action == "end stay":
                stays.filter(pk__in=stays.values("pk")[:1]).update(end_date=end or D(2025, 1, 1))
            elif action == "reopen stay":
                stays.filter(pk__in=stays.values("pk")[:1]).update(end_date=None)
            elif action == "delete stay":
                stays.filter(pk__in=stays.values("pk")[:1], admission_request=None).delete()
            elif action == "request":
                AdmissionRequest.objects.create(
                    person=person, facility=facility, received_on=D(2025, 1, 1), status=status
                )
            elif action == "close request":
                request = AdmissionRequest.objects.filter(person=person, facility=facility).first()
                if request is not None:
                    request.status = status
                    request.save()
            elif action == "delete request":
                AdmissionRequest.objects.filter(person=person, facility=facility).delete()
            else:
                Stay.objects.filter(person=person).update(facility=facility)
            assert ends() == expected_ends(), (action, p, f, end, status)
        expected = expected_ends()
        current = set(
            Placement.objects.filter(
                Q(ended_on__isnull=True) | Q(ended_on__gte=current_since(grace, today))
            ).values_list("person_id", "facility_id")
        )
        assert current == {pair for pair, e in expected.items() if is_current(e, grace, today)}
        transaction.set_rollback(True)


def test_two_transactions_ending_the_last_two_open_stays_end_the_placement(transactional_db, world):
    """Each alone still sees the other's stay open; the triggers serialise the writes of
    one person so that the second one sees the first one's end."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: no interleaving to test")
    first = Stay.objects.get(person=world.anne, facility=world.ehpad)
    second = Stay.objects.create(person=world.anne, facility=world.ehpad, start_date=D(2020, 1, 1))
    run_concurrently(
        lambda: Stay.objects.filter(pk=first.pk).update(end_date=D(2025, 5, 1)),
        lambda: Stay.objects.filter(pk=second.pk).update(end_date=D(2025, 4, 1)),
    )
    assert ends()[(world.anne.pk, world.ehpad.pk)] == D(2025, 5, 1)
