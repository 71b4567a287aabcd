"""stays.Placement is kept equal, by database triggers, to the (person, facility) pairs of
the stays and admission requests, whatever writes them (ORM, bulk update, raw SQL)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.stays.models import AdmissionRequest, Placement, Stay

D = dt.date


def pairs() -> set[tuple[int, int]]:
    return set(Placement.objects.values_list("person_id", "facility_id"))


def expected_pairs() -> set[tuple[int, int]]:
    return set(Stay.objects.values_list("person_id", "facility_id")) | set(
        AdmissionRequest.objects.values_list("person_id", "facility_id")
    )


def request_to(person, facility) -> AdmissionRequest:
    return AdmissionRequest.objects.create(
        person=person, facility=facility, received_on=D(2025, 1, 5)
    )


def test_a_stay_or_a_request_places_the_person(world):
    assert (world.anne.pk, world.ehpad.pk) in pairs()  # her stay (world fixture)
    assert (world.anne.pk, world.ime.pk) not in pairs()
    request_to(world.anne, world.ime)
    assert (world.anne.pk, world.ime.pk) in pairs()
    assert pairs() == expected_pairs()


def test_the_pair_goes_with_the_last_stay_or_request_holding_it(world):
    second = Stay.objects.create(
        person=world.anne, facility=world.ehpad, start_date=D(2020, 1, 1), end_date=D(2020, 6, 30)
    )
    request = request_to(world.anne, world.ehpad)
    Stay.objects.filter(person=world.anne, facility=world.ehpad).exclude(pk=second.pk).delete()
    second.delete()
    assert (world.anne.pk, world.ehpad.pk) in pairs()  # the request still places her
    request.delete()
    assert (world.anne.pk, world.ehpad.pk) not in pairs()
    assert pairs() == expected_pairs()


def test_a_bulk_update_of_the_person_moves_the_pair(world):
    """What the merge of duplicates does: UPDATE ... SET person_id."""
    Stay.objects.filter(person=world.chloe).update(person=world.bruno)
    assert (world.bruno.pk, world.ime.pk) in pairs()
    assert (world.chloe.pk, world.ime.pk) not in pairs()
    assert pairs() == expected_pairs()


def test_raw_sql_inserts_are_seen(world):
    """The benchmark and history loaders insert stays with SQL, not through the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stays_stay (version, created_at, updated_at, person_id, facility_id, "
            "start_date, mode, discharge_reason, discharge_reason_detail, discharge_destination, "
            "discharge_destination_detail) VALUES (1, %s, %s, %s, %s, %s, '', '', '', '', '')",
            [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)] * 2
            + [world.denis.pk, world.ehpad.pk, D(2025, 1, 1)],
        )
    assert (world.denis.pk, world.ehpad.pk) in pairs()


operations = st.lists(
    st.tuples(
        st.sampled_from(["stay", "request", "delete stay", "delete request", "move stay"]),
        st.integers(0, 2),  # person
        st.integers(0, 1),  # facility
    ),
    max_size=12,
)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_placements_always_equal_the_stays_and_requests(world, steps):
    persons = [world.anne, world.bruno, world.chloe]
    facilities = [world.ehpad, world.ime]
    with transaction.atomic():
        for action, p, f in steps:
            person, facility = persons[p], facilities[f]
            if action == "stay":
                Stay.objects.create(person=person, facility=facility, start_date=D(2024, 1, 1))
            elif action == "request":
                request_to(person, facility)
            elif action == "delete stay":
                stay = Stay.objects.filter(person=person, facility=facility).first()
                if stay is not None and not hasattr(stay, "admission_request"):
                    stay.delete()
            elif action == "delete request":
                request = AdmissionRequest.objects.filter(person=person, facility=facility).first()
                if request is not None:
                    request.delete()
            else:
                Stay.objects.filter(person=person).update(facility=facility)
            assert pairs() == expected_pairs(), (action, p, f)
        transaction.set_rollback(True)


def run_concurrently(first: Callable[[], None], second: Callable[[], None]) -> None:
    """Run `first` in a transaction left open while `second` runs in another one (each in
    its own thread, hence its own connection); commit `first` a moment later, then
    `second` once it can."""
    first_done, commit_first, errors = threading.Event(), threading.Event(), []

    def in_thread(work: Callable[[], None], before=None, after=None) -> None:
        try:
            if before is not None:
                before.wait(5)
            with transaction.atomic():
                work()
                if after is not None:
                    after()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    def hold_open() -> None:
        first_done.set()
        commit_first.wait(5)

    threads = [
        threading.Thread(target=in_thread, args=(first, None, hold_open)),
        threading.Thread(target=in_thread, args=(second, first_done)),
    ]
    for thread in threads:
        thread.start()
    first_done.wait(5)
    time.sleep(0.3)  # long enough for the second transaction to reach the trigger
    commit_first.set()
    for thread in threads:
        thread.join(10)
    assert not errors, errors


def concurrent_writes(world) -> tuple[Stay, Stay]:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: no interleaving to test")
    first = Stay.objects.get(person=world.anne, facility=world.ehpad)
    second = Stay.objects.create(
        person=world.anne, facility=world.ehpad, start_date=D(2020, 1, 1), end_date=D(2020, 6, 1)
    )
    return first, second


def test_two_transactions_removing_the_last_two_stays_remove_the_pair(transactional_db, world):
    """Each transaction alone still sees the other's stay; the triggers serialise the
    writes of one person so that the second one sees the first one's delete."""
    first, second = concurrent_writes(world)
    run_concurrently(
        lambda: Stay.objects.filter(pk=first.pk).delete(),
        lambda: Stay.objects.filter(pk=second.pk).delete(),
    )
    assert not Stay.objects.filter(person=world.anne, facility=world.ehpad).exists()
    assert (world.anne.pk, world.ehpad.pk) not in pairs()


def test_a_stay_added_while_the_last_other_one_is_removed_keeps_the_pair(transactional_db, world):
    first, second = concurrent_writes(world)
    second.delete()
    run_concurrently(
        lambda: Stay.objects.filter(pk=first.pk).delete(),
        lambda: Stay.objects.create(
            person=world.anne, facility=world.ehpad, start_date=D(2026, 1, 1)
        ),
    )
    assert Stay.objects.filter(person=world.anne, facility=world.ehpad).count() == 1
    assert (world.anne.pk, world.ehpad.pk) in pairs()
