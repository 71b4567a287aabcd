"""Expansion of a recurrence rule into occurrences (pure: no Django import).

A series is expanded into Event rows when it is created, so every occurrence is an
ordinary event: it has its own status, presence and report, shows in plannings with a
plain range query, and can be changed alone ("cette occurrence") or with the ones after
it ("cette occurrence et les suivantes").

Occurrences keep the local wall-clock time in the facility's time zone: an activity at
14:00 stays at 14:00 after the change to summer or winter time (its UTC time moves).
A local time that does not exist on the day clocks go forward (02:30 in Europe/Paris on
the last Sunday of March) is read with the offset in force before the change, as
`zoneinfo` does (fold=0): it becomes 03:30 summer time. An ambiguous time (the repeated
hour in October) takes its first occurrence (fold=0).

Rules: daily, weekly on chosen weekdays (Monday = 0), monthly on the start's day of the
month (months without that day, e.g. the 31st, are skipped, as RFC 5545 does), every
`interval` periods, until a date (inclusive) or for `count` occurrences. A series is
bounded: 366 occurrences and one year (366 days) after its first day at most, so that a
mistake cannot create thousands of rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 366
MAX_SPAN = dt.timedelta(days=366)


class Frequency(StrEnum):
    DAILY = "quotidienne"
    WEEKLY = "hebdomadaire"
    MONTHLY = "mensuelle"


class RecurrenceError(ValueError):
    """The rule is not acceptable; the message is French and shown to the user."""


@dataclass(frozen=True)
class Rule:
    frequency: Frequency
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # weekly only; empty means the start's weekday
    until: dt.date | None = None
    count: int | None = None


def rule_problem(rule: Rule, first_day: dt.date) -> str | None:
    """None when the rule is acceptable for a series starting on `first_day`."""
    if rule.interval < 1 or rule.interval > 52:
        return "L'intervalle de répétition doit être compris entre 1 et 52."
    if (rule.until is None) == (rule.count is None):
        return "Indiquez soit une date de fin de répétition, soit un nombre d'occurrences."
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        return f"Le nombre d'occurrences doit être compris entre 1 et {MAX_OCCURRENCES}."
    if rule.until is not None:
        if rule.until < first_day:
            return "La date de fin de répétition précède le premier événement."
        if rule.until - first_day > MAX_SPAN:
            return "Une répétition dure un an au plus : choisissez une date de fin plus proche."
    if any(not 0 <= d <= 6 for d in rule.weekdays):
        return "Jour de la semaine inconnu."
    if rule.weekdays and rule.frequency != Frequency.WEEKLY:
        return "Les jours de la semaine ne s'appliquent qu'à une répétition hebdomadaire."
    return None


def _days(rule: Rule, first: dt.date):
    """Candidate days in order (unbounded; the caller stops)."""
    if rule.frequency == Frequency.DAILY:
        day = first
        while True:
            yield day
            day += dt.timedelta(days=rule.interval)
    elif rule.frequency == Frequency.WEEKLY:
        weekdays = sorted(set(rule.weekdays)) or [first.weekday()]
        monday = first - dt.timedelta(days=first.weekday())
        while True:
            for weekday in weekdays:
                day = monday + dt.timedelta(days=weekday)
                if day >= first:
                    yield day
            monday += dt.timedelta(weeks=rule.interval)
    else:
        year, month = first.year, first.month
        while True:
            if first.day <= calendar.monthrange(year, month)[1]:
                yield dt.date(year, month, first.day)  # else no such day (31st, 29 February…)
            month += rule.interval
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1


def occurrences(
    start: dt.datetime, end: dt.datetime, rule: Rule, tz: ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of each occurrence, aware datetimes in `tz`, from `start`'s day on.

    `start` and `end` are aware; the duration is kept in wall-clock terms (an event
    14:00–16:00 stays 14:00–16:00 on every day). The first occurrence is `start` itself
    unless a weekly rule's weekdays leave its day out. When the wall-clock end falls in
    the hour skipped in spring and would come before the start, the occurrence keeps
    the elapsed duration instead.
    """
    local_start = start.astimezone(tz).replace(tzinfo=None)
    local_end = end.astimezone(tz).replace(tzinfo=None)
    problem = rule_problem(rule, local_start.date())
    if problem:
        raise RecurrenceError(problem)
    wall_duration = local_end - local_start
    last_day = rule.until or (local_start.date() + MAX_SPAN)
    limit = min(rule.count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    result: list[tuple[dt.datetime, dt.datetime]] = []
    for day in _days(rule, local_start.date()):
        if day > last_day or len(result) >= limit:
            break
        naive = dt.datetime.combine(day, local_start.time())
        occurrence_start = naive.replace(tzinfo=tz)
        occurrence_end = (naive + wall_duration).replace(tzinfo=tz)
        if occurrence_end <= occurrence_start:  # aware comparison: in UTC
            occurrence_end = occurrence_start + wall_duration
        result.append((occurrence_start, occurrence_end))
    return result
