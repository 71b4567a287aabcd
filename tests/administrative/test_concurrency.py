"""Two secretaries correct the same address at the same time: one correction wins, the
other is refused as a concurrent edit, and the history stays a single chain.

On PostgreSQL the corrections run in parallel threads. The test database of SQLite is an
in-memory shared cache whose table locks do not wait ("database table is locked"), so
there the same stale versions are submitted one after the other: the outcome must be
the same.
"""

from __future__ import annotations

import threading

from django.db import connection

from opendui.administrative import services
from opendui.administrative.models import Address
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError

PARALLEL = 4


def test_parallel_corrections_leave_one_winner(transactional_db, world):
    secretary = world.user("accueil", facility=world.ehpad)
    row = services.add_item(
        Actor(user=secretary),
        world.anne,
        Address,
        kind="domicile",
        line1="1 rue Haute",
        postal_code="75001",
        city="Paris",
    )
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def correct(index: int) -> None:
        try:
            stale = loaded[index]
            if parallel:
                barrier.wait(timeout=10)
            services.correct_contact(
                Actor(user=secretary),
                stale,
                expected_version=stale.version,
                line1=f"{index + 2} rue Haute",
            )
            outcomes.append("saved")
        except ConcurrentEditError:
            outcomes.append("conflict")
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            if parallel:
                connection.close()

    parallel = connection.vendor == "postgresql"
    loaded = [Address.objects.get(pk=row.pk) for _ in range(PARALLEL)]  # same version
    if parallel:
        threads = [threading.Thread(target=correct, args=(i,)) for i in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:
        for index in range(PARALLEL):
            correct(index)
    assert errors == []
    assert sorted(outcomes) == ["conflict"] * (PARALLEL - 1) + ["saved"]
    assert Address.objects.count() == 2
    row.refresh_from_db()
    assert row.replaced_by is not None and row.replaced_by.replaced_by_id is None
