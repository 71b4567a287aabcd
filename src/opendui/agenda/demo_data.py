"""Realistic agenda history for demos and benchmarks: `seed_events`.

For each stay, the person gets about `per_person_per_week` events per week of stay
inside the window [today − years, today + 4 weeks]: individual appointments and home
interventions with one professional, and places in the unit's weekly group activities
(atelier mémoire, gym douce…) shared with up to 10 other persons and one or two
professionals, grouped in one Series per activity, unit and year. Past events are
mostly done (presence recorded, a short report for some), some cancelled with a reason,
future ones planned or validated. Each event writes the EventChange rows the service
would have written (creation a few days before, status change after the end), so the
ESMS Numérique indicator has data.

Rows go in with core.bulk.bulk_insert (COPY on PostgreSQL) in batches, one facility at
a time to bound memory. Deterministic for a given `rng` seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from opendui.core.bulk import bulk_insert

from .models import (
    ChangeKind,
    Event,
    EventChange,
    EventKind,
    EventParticipant,
    EventProfessional,
    Series,
)
from .recurrence import Frequency
from .rules import Presence, Status

BATCH = 5000
GROUP_CAPACITY = 10
GROUP_SHARE = 0.45  # share of a person's events that are places in group activities
# (title, weekday, hour, minute, minutes)
GROUP_SLOTS = [
    ("Atelier mémoire", 0, 14, 30, 60),
    ("Gym douce", 1, 10, 30, 45),
    ("Chorale", 2, 15, 0, 60),
    ("Atelier cuisine", 3, 10, 0, 120),
    ("Sortie au marché", 4, 9, 30, 90),
    ("Jeux de société", 5, 15, 0, 90),
]
INDIVIDUAL = [
    (EventKind.APPOINTMENT, "Rendez-vous médecin traitant", "Cabinet médical", 30),
    (EventKind.APPOINTMENT, "Rendez-vous kinésithérapeute", "Salle de kinésithérapie", 45),
    (EventKind.APPOINTMENT, "Entretien avec le référent", "Bureau du référent", 60),
    (EventKind.APPOINTMENT, "Consultation dentaire", "Centre dentaire", 45),
    (EventKind.HOME_VISIT, "Aide à la toilette", "Domicile", 45),
    (EventKind.HOME_VISIT, "Visite à domicile", "Domicile", 60),
    (EventKind.ACTIVITY, "Promenade accompagnée", "Parc", 60),
    (EventKind.OTHER, "Coiffeur", "Salon", 45),
]
CANCEL_REASONS = ["Personne hospitalisée", "Professionnel absent", "Météo", "Refus de la personne"]
REPORTS = ["Bonne participation.", "Personne fatiguée, séance écourtée.", "Objectifs atteints."]
SERAFIN = ["2.1.1.1", "2.3.1.1", "2.3.3.1", "2.3.5.1"]


@dataclass
class _Planned:
    facility_id: int
    unit_id: int | None
    kind: str
    title: str
    place: str
    start: dt.datetime
    end: dt.datetime
    series_key: tuple | None = None
    persons: list[int] = field(default_factory=list)
    professionals: list[int] = field(default_factory=list)


def _stay_tuple(stay) -> tuple[int, int, int | None, dt.date, dt.date | None]:
    if isinstance(stay, tuple):
        return stay
    return (stay.person_id, stay.facility_id, stay.unit_id, stay.start_date, stay.end_date)


def seed_events(
    stays: Iterable,
    rng: random.Random,
    professionals: Mapping[int, Sequence[int]],
    today: dt.date,
    per_person_per_week: float = 0.4,
    *,
    years: int = 5,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Create the events of `stays` (Stay rows or (person_id, facility_id, unit_id,
    start_date, end_date) tuples); `professionals` maps a facility id to user ids.
    Returns the number of events created."""
    tz = ZoneInfo(settings.TIME_ZONE)
    window_start = today - dt.timedelta(days=365 * years)
    window_end = today + dt.timedelta(weeks=4)
    by_facility: dict[int, list] = {}
    for stay in stays:
        row = _stay_tuple(stay)
        by_facility.setdefault(row[1], []).append(row)
    total = 0
    for facility_id in sorted(by_facility):
        pros = list(professionals.get(facility_id) or [])
        planned = _plan(
            by_facility[facility_id], rng, pros, tz, window_start, window_end, per_person_per_week
        )
        total += _insert(planned, rng, tz, today, progress, facility_id)
    return total


def _at(day: dt.date, hour: int, minute: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute)).replace(tzinfo=tz)


def _plan(stays, rng, pros, tz, window_start, window_end, rate) -> list[_Planned]:
    planned: list[_Planned] = []
    groups: dict[tuple, _Planned] = {}
    for person_id, facility_id, unit_id, start_date, end_date in stays:
        first = max(start_date, window_start)
        last = min(end_date or window_end, window_end)
        days = (last - first).days
        if days <= 0:
            continue
        expected = days / 7 * rate
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        for _ in range(count):
            day = first + dt.timedelta(days=rng.randrange(days))
            if rng.random() < GROUP_SHARE:
                slot = rng.randrange(len(GROUP_SLOTS))
                title, weekday, hour, minute, minutes = GROUP_SLOTS[slot]
                monday = day - dt.timedelta(days=day.weekday())
                when = monday + dt.timedelta(days=weekday)
                instance = 0
                while True:
                    key = (unit_id, slot, monday, instance)
                    group = groups.get(key)
                    if group is None:
                        start = _at(when, hour, minute, tz)
                        group = _Planned(
                            facility_id,
                            unit_id,
                            EventKind.ACTIVITY,
                            title,
                            "Salle d'activités",
                            start,
                            start + dt.timedelta(minutes=minutes),
                            series_key=(unit_id, slot, when.year, instance),
                            professionals=rng.sample(pros, min(len(pros), rng.choice((1, 1, 2)))),
                        )
                        groups[key] = group
                        planned.append(group)
                    if person_id in group.persons:
                        break
                    if len(group.persons) < GROUP_CAPACITY:
                        group.persons.append(person_id)
                        break
                    instance += 1
            else:
                kind, title, place, minutes = rng.choice(INDIVIDUAL)
                start = _at(day, rng.randrange(8, 18), rng.choice((0, 15, 30, 45)), tz)
                planned.append(
                    _Planned(
                        facility_id,
                        unit_id,
                        kind,
                        title,
                        place,
                        start,
                        start + dt.timedelta(minutes=minutes),
                        persons=[person_id],
                        professionals=[rng.choice(pros)] if pros else [],
                    )
                )
    return planned


def _insert(planned, rng, tz, today, progress, facility_id) -> int:
    now = dt.datetime.combine(today, dt.time(12)).replace(tzinfo=tz)
    series_ids: dict[tuple, int] = {}
    keys = sorted({p.series_key for p in planned if p.series_key}, key=repr)
    for i in range(0, len(keys), BATCH):
        chunk = keys[i : i + BATCH]
        rows = Series.objects.bulk_create(
            [
                Series(
                    facility_id=facility_id,
                    frequency=Frequency.WEEKLY,
                    interval=1,
                    weekdays=str(GROUP_SLOTS[k[1]][1]),
                    until=dt.date(k[2], 12, 31),
                )
                for k in chunk
            ]
        )
        series_ids.update({k: s.pk for k, s in zip(chunk, rows, strict=True)})
    planned.sort(key=lambda p: p.start)
    for i in range(0, len(planned), BATCH):
        chunk = planned[i : i + BATCH]
        with transaction.atomic():
            _insert_batch(chunk, rng, now, series_ids)
        if progress:
            progress(
                f"events of facility {facility_id}", min(i + BATCH, len(planned)), len(planned)
            )
    return len(planned)


def _insert_batch(chunk: list[_Planned], rng, now, series_ids) -> None:
    events, outcomes = [], []
    for p in chunk:
        past = p.end <= now
        status, reason, report, presence = Status.PLANNED, "", "", Presence.UNKNOWN
        if past:
            draw = rng.random()
            if draw < 0.07:
                status, reason = Status.CANCELLED, rng.choice(CANCEL_REASONS)
            else:
                status = Status.DONE
                presence = Presence.YES
                if rng.random() < 0.3:
                    report = rng.choice(REPORTS)
        elif rng.random() < 0.3:
            status = Status.VALIDATED
        events.append(
            Event(
                facility_id=p.facility_id,
                unit_id=p.unit_id,
                kind=p.kind,
                title=p.title,
                place=p.place,
                start=p.start,
                end=p.end,
                status=status,
                non_realisation_reason=reason,
                report=report,
                serafin_code=rng.choice(SERAFIN) if rng.random() < 0.2 else "",
                series_id=series_ids.get(p.series_key) if p.series_key else None,
            )
        )
        outcomes.append((presence, status))
    bulk_insert(Event, events)
    participants, pros, changes = [], [], []
    for event, p, (presence, status) in zip(events, chunk, outcomes, strict=True):
        cancelled = status == Status.CANCELLED
        for person_id in p.persons:
            present = presence
            if status == Status.DONE and len(p.persons) > 1 and rng.random() < 0.1:
                present = Presence.NO
            participants.append(
                EventParticipant(
                    event_id=event.pk, person_id=person_id, present=present, start=p.start
                )
            )
        for user_id in p.professionals:
            pros.append(
                EventProfessional(
                    event_id=event.pk,
                    user_id=user_id,
                    start=p.start,
                    end=p.end,
                    cancelled=cancelled,
                )
            )
        created_at = min(p.start - dt.timedelta(days=rng.randint(1, 14)), now)
        stamps = [(created_at, ChangeKind.CREATE)]
        if status in (Status.DONE, Status.CANCELLED):
            stamps.append(
                (min(p.end + dt.timedelta(hours=rng.randint(0, 48)), now), ChangeKind.STATUS)
            )
        for when, kind in stamps:
            for person_id in p.persons:
                changes.append(
                    EventChange(
                        person_id=person_id,
                        facility_id=p.facility_id,
                        event_id=event.pk,
                        changed_at=when,
                        kind=kind,
                    )
                )
    bulk_insert(EventParticipant, participants)
    bulk_insert(EventProfessional, pros)
    bulk_insert(EventChange, changes)
