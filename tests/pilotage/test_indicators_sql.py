"""The SQL indicators equal the pure definitions on random small data sets, and no
numerator exceeds its denominator, for every combination of variants."""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.agenda.models import EventChange
from opendui.documents.models import Sharing
from opendui.pilotage import definitions as d
from opendui.pilotage.definitions import Period
from opendui.pilotage.indicators import bounds, compute_figures
from opendui.pilotage.models import ProjectChange, RecordActivity
from opendui.stays.models import Stay

MARCH = Period.month(2026, 3)
START, END = bounds(MARCH)
ONE = dt.timedelta(seconds=1)
INSTANTS = [
    START - ONE,
    START,
    START + dt.timedelta(days=9),
    END - ONE,
    END,
    START - dt.timedelta(days=40),
]
DAYS = [
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 15),
    dt.date(2026, 3, 31),
    dt.date(2026, 4, 1),
]
STAY_DATES = [
    dt.date(2023, 1, 1),
    dt.date(2024, 6, 1),
    dt.date(2025, 3, 31),
    dt.date(2025, 4, 1),
    dt.date(2026, 2, 28),
    dt.date(2026, 3, 1),
    dt.date(2026, 3, 20),
    dt.date(2026, 4, 1),
]
PERSONS = range(4)
FACILITIES = range(2)
# Every combination of the variants (2 × 1 × 2 × 2 × 2).
VARIANT_SETS = [
    dict(zip(d.VARIANTS, codes, strict=True))
    for codes in itertools.product(*(list(options) for options in d.VARIANTS.values()))
]


@st.composite
def stays(draw):
    start = draw(st.sampled_from(STAY_DATES))
    end = draw(st.one_of(st.none(), st.sampled_from([x for x in STAY_DATES if x >= start])))
    return draw(st.sampled_from(PERSONS)), draw(st.sampled_from(FACILITIES)), start, end


datasets = st.fixed_dictionaries(
    {
        "stays": st.lists(stays(), max_size=6),
        "changes": st.lists(
            st.tuples(st.sampled_from(PERSONS), st.sampled_from(DAYS), st.booleans()),
            max_size=6,
        ),
        "events": st.lists(
            st.tuples(
                st.sampled_from(PERSONS),
                st.sampled_from(FACILITIES),
                st.sampled_from(INSTANTS),
                st.booleans(),
                st.booleans(),
            ),
            max_size=6,
        ),
        "pp": st.lists(
            st.tuples(
                st.integers(1, 3),
                st.sampled_from(PERSONS),
                st.sampled_from(FACILITIES),
                st.sampled_from(INSTANTS),
                st.sampled_from(["ENPREPARATION", "ENCOURS", "ENPAUSE", "TERMINE"]),
            ),
            max_size=6,
        ),
        "sharings": st.lists(
            st.tuples(
                st.sampled_from(["DMP", "MSSANTE"]),
                st.sampled_from(FACILITIES),
                st.sampled_from(INSTANTS),
                st.sampled_from(PERSONS),
                st.sampled_from(["sent", "failed"]),
            ),
            max_size=6,
        ),
    }
)


def _load(raw, persons, facilities) -> d.Dataset:
    """Write the rows and return the same data as plain rows (with database ids)."""
    pid = [p.pk for p in persons]
    fid = [f.pk for f in facilities]
    data = d.Dataset(
        stays=tuple(d.StayRow(pid[p], fid[f], s, e) for p, f, s, e in raw["stays"]),
        changes=tuple(d.RecordChange(pid[p], day, job) for p, day, job in raw["changes"]),
        events=tuple(
            d.EventRow(pid[p], fid[f], when, agenda, job)
            for p, f, when, agenda, job in raw["events"]
        ),
        pp_statuses=tuple(
            # A PP version belongs to one stay, hence one facility.
            d.PPStatusRow(project * 100 + fid[f], pid[p], fid[f], when, status)
            for project, p, f, when, status in raw["pp"]
        ),
        sharings=tuple(
            d.SharingRow(
                channel, fid[f], when, pid[p] if channel == "DMP" or p % 2 else None, status
            )
            for channel, f, when, p, status in raw["sharings"]
        ),
    )
    for row in data.stays:
        Stay.objects.create(
            person_id=row.person_id,
            facility_id=row.facility_id,
            start_date=row.start,
            end_date=row.end,
        )
    RecordActivity.objects.bulk_create(
        [RecordActivity(person_id=c.person_id, day=c.day, by_job=c.by_job) for c in data.changes],
        ignore_conflicts=True,
    )
    for e in data.events:
        model = EventChange if e.agenda else ProjectChange
        # A PP événement is a section write: a row without status, in the timelines of the
        # status rows' projects, which it must not cut.
        extra = (
            {"event_id": 1, "kind": "create"}
            if e.agenda
            else {"project_id": (1 + e.person_id % 3) * 100 + e.facility_id, "status": ""}
        )
        model.objects.create(
            person_id=e.person_id,
            facility_id=e.facility_id,
            changed_at=e.at,
            by_job=e.by_job,
            **extra,
        )
    for r in data.pp_statuses:
        # Statuses only (by a job): they must not count as événements of the person.
        ProjectChange.objects.create(
            project_id=r.project_id,
            person_id=r.person_id,
            facility_id=r.facility_id,
            changed_at=r.at,
            status=r.status,
            by_job=True,
        )
    for s in data.sharings:
        Sharing.objects.create(
            channel=s.channel,
            facility_id=s.facility_id,
            sent_at=s.at,
            person_id=s.person_id,
            status=s.status,
        )
    return data


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=datasets)
def test_sql_equals_definitions(world, raw):
    persons = [world.anne, world.bruno, world.chloe, world.denis]
    facilities = [world.ehpad, world.ime]
    with transaction.atomic():
        # The fixture's own stays would add to the counts: the data set replaces them.
        Stay.objects.all().delete()
        data = _load(raw, persons, facilities)
        for variants in VARIANT_SETS:
            sql = compute_figures([f.pk for f in facilities], MARCH, variants)
            for facility in facilities:
                expected = d.figures(data, facility.pk, MARCH, (START, END), variants)
                assert sql[facility.pk] == expected, (facility.name, variants)
                # Each numerator is a part of its denominator (Population refuses anything
                # else), so no figure can exceed 100 %.
                counted = d.populations(data, facility.pk, MARCH, (START, END), variants)
                for key, (numerator, denominator) in sql[facility.pk].values.items():
                    assert counted[key].numerator <= counted[key].denominator, key
                    assert numerator <= denominator, (key, variants)
        transaction.set_rollback(True)
