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

from opendui.persons.models import Person, Sex
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


BULK = 20_000


def test_one_transaction_writes_the_stays_of_20000_persons(world):
    """A loader or an import inserts thousands of stays in one transaction; on
    PostgreSQL with the default `max_locks_per_transaction` (64 per connection), one
    advisory lock per person ran out of shared memory after a few thousand. Here the
    whole test is one transaction: 20 000 persons, one INSERT … SELECT of their stays,
    one UPDATE moving them all (what a merge does for one person), one DELETE."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_locks_per_transaction")
            assert cursor.fetchone()[0] == "64"  # the server's default
    Person.objects.bulk_create(
        Person(
            organisation=world.og,
            local_id=f"B{number:06d}",
            birth_name="LOT",
            first_name="Test",
            birth_date=D(1940, 1, 1),
            sex=Sex.FEMALE,
        )
        for number in range(BULK)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stays_stay (version, created_at, updated_at, person_id, facility_id, "
            "start_date, mode, discharge_reason, discharge_reason_detail, discharge_destination, "
            "discharge_destination_detail) SELECT 1, %s, %s, id, %s, %s, '', '', '', '', '' "
            "FROM persons_person WHERE local_id LIKE 'B%%'",
            [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)] * 2 + [world.ime.pk, D(2025, 1, 1)],
        )
        assert cursor.rowcount == BULK
    bulk = Placement.objects.filter(person__local_id__startswith="B")
    assert bulk.filter(facility=world.ime).count() == BULK
    assert pairs() == expected_pairs()

    moved = Stay.objects.filter(person__local_id__startswith="B").update(facility=world.ehpad)
    assert moved == BULK
    assert bulk.filter(facility=world.ehpad).count() == BULK
    assert not bulk.filter(facility=world.ime).exists()
    assert (world.chloe.pk, world.ime.pk) in pairs()  # her own stay still holds hers
    assert pairs() == expected_pairs()

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM stays_stay WHERE person_id IN "
            "(SELECT id FROM persons_person WHERE local_id LIKE 'B%%')"
        )
        assert cursor.rowcount == BULK
    assert not bulk.exists()
    assert pairs() == expected_pairs()


def test_saving_a_stay_without_moving_it_keeps_the_pair(world):
    stay = Stay.objects.get(person=world.anne)
    stay.end_date = D(2025, 6, 30)
    stay.save()
    Stay.objects.filter(pk=stay.pk).update(person=world.anne, facility=world.ehpad)
    assert (world.anne.pk, world.ehpad.pk) in pairs()
    assert pairs() == expected_pairs()


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


@pytest.mark.parametrize("merge_first", [True, False], ids=["merge first", "stay first"])
def test_a_merge_and_a_stay_written_at_once_keep_the_pairs(transactional_db, world, merge_first):
    """The merge locks both persons (FOR UPDATE, in id order) before moving their rows;
    the trigger's lock on the same rows must wait behind it, or make it wait, without a
    deadlock and without losing a pair."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: no interleaving to test")
    from opendui.core.actor import Actor
    from opendui.persons.merge import approve_merge, propose_merge

    duplicate = world.person(world.ime, birth_name="MARTIN", first_name="Anne")
    proposal = propose_merge(
        Actor(world.user("accueil")),
        duplicate,
        world.anne,
        "Même personne, dossier créé deux fois.",
    )
    referent = world.user("directeur")

    def merge() -> None:
        approve_merge(Actor(referent), proposal)

    def remove_anne_from_the_ehpad() -> None:
        Stay.objects.filter(person=world.anne, facility=world.ehpad).delete()

    if merge_first:
        run_concurrently(merge, remove_anne_from_the_ehpad)
    else:
        run_concurrently(remove_anne_from_the_ehpad, merge)
    assert (world.anne.pk, world.ime.pk) in pairs()  # the duplicate's stay, moved
    assert (duplicate.pk, world.ime.pk) not in pairs()
    assert (world.anne.pk, world.ehpad.pk) not in pairs()
    assert pairs() == expected_pairs()
