"""The facility's yearly activity report, computed in SQL aggregates.

`activity_report(facility, year)` runs a fixed number of queries (seven) whatever the
number of persons: each figure is a COUNT or a SUM over date arithmetic that follows
the conventions of `activity_rules` (a test compares both on random datasets). The
result is one frozen dataclass shared by the page, the CSV, the PDF and the command;
it holds aggregates only, never a person.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from opendui.evaluations.selectors import FacilityGmp, facility_gmp
from opendui.incidents.models import Incident
from opendui.incidents.rules import CATEGORY_LABELS, Category
from opendui.organisations.models import Facility
from opendui.persons.models import Person, Sex
from opendui.stays.models import (
    Absence,
    AbsenceKind,
    DischargeDestination,
    DischargeReason,
    Stay,
    StayMode,
)

from . import activity_rules as rules
from .activity_rules import Period

#: The facility's capacity field for each stay mode; other modes have no recorded capacity.
CAPACITY_FIELDS: dict[str, str] = {
    StayMode.PERMANENT: "capacity_permanent",
    StayMode.TEMPORARY: "capacity_temporary",
    StayMode.DAY: "capacity_day_care",
    StayMode.HOME: "capacity_service",
}
UNSPECIFIED = "non renseigné"
SEXES = (Sex.FEMALE.value, Sex.MALE.value, Sex.UNKNOWN.value)
ZERO = dt.timedelta(0)


@dataclass(frozen=True)
class ModeRow:
    """One stay mode (or the total): capacity, flows and days of the period."""

    code: str
    label: str
    capacity: int | None  # None: capacité non renseignée
    persons: int = 0
    admissions: int = 0
    discharges: int = 0
    stay_days: int = 0
    absence_days: int = 0
    occupation: Decimal | None = None
    ended_length: Decimal | None = None  # durée moyenne des séjours terminés

    @property
    def presence_days(self) -> int:
        return self.stay_days - self.absence_days


@dataclass(frozen=True)
class CountRow:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class AgeRow:
    label: str
    by_sex: tuple[int, int, int]  # féminin, masculin, indéterminé

    @property
    def total(self) -> int:
        return sum(self.by_sex)


@dataclass(frozen=True)
class ActivityReport:
    facility: Facility
    year: int
    period: Period
    file_active: int
    modes: list[ModeRow]
    total: ModeRow
    discharge_reasons: list[CountRow]
    discharge_destinations: list[CountRow]
    absences: list[CountRow]  # days per kind
    average_length: Decimal | None  # of the stays ended in the period
    ended_stays: int
    average_seniority: Decimal | None  # of the stays running on the reference date
    present_stays: int
    ages: list[AgeRow]
    gmp: FacilityGmp
    incidents_total: int
    incidents: list[CountRow] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return rules.in_progress(self.period)

    @property
    def ages_total(self) -> AgeRow:
        columns = zip(*(row.by_sex for row in self.ages), strict=True) if self.ages else ()
        totals = tuple(sum(column) for column in columns) or (0, 0, 0)
        return AgeRow("Total", totals)  # type: ignore[arg-type]


# ------------------------------------------------------------------ SQL expressions


def _date(value: dt.date) -> Value:
    return Value(value, output_field=DateField())


def _days(end, start) -> ExpressionWrapper:
    return ExpressionWrapper(end - start, output_field=DurationField())


def _stay_days(period: Period) -> Case:
    """rules.stay_days in SQL, for stays already known to overlap the period."""
    after = _date(period.after)
    clipped = _days(
        Least(Coalesce("end_date", after), after), Greatest("start_date", _date(period.start))
    )
    return Case(
        When(end_date=F("start_date"), then=Value(rules.ONE_DAY)),
        default=clipped,
        output_field=DurationField(),
    )


def _length(stop) -> Greatest:
    """rules.stay_length in SQL: at least one day."""
    return Greatest(
        _days(stop, F("start_date")), Value(rules.ONE_DAY), output_field=DurationField()
    )


def _absence_days(period: Period) -> Greatest:
    """rules.absence_days in SQL: clipped to the absence, its stay and the period."""
    after = _date(period.after)
    stop = Least(
        Coalesce("end_date", after),
        Coalesce("stay__end_date", after),
        after,
        output_field=DateField(),
    )
    return Greatest(
        _days(stop, Greatest("start_date", _date(period.start))),
        Value(ZERO),
        output_field=DurationField(),
    )


def _overlapping(prefix: str, period: Period) -> Q:
    return Q(**{f"{prefix}start_date__lte": period.end}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": period.start})
    )


def _whole_days(value: dt.timedelta | None) -> int:
    return value.days if value else 0


# ------------------------------------------------------------------ the report


def activity_report(facility: Facility, year: int, today: dt.date | None = None) -> ActivityReport:
    """The activity of `facility` in `year` (up to `today` for the year in progress).

    Raises rules.PeriodError for a year that has not begun.
    """
    today = today or timezone.localdate()
    period = rules.year_period(year, today)
    stays = Stay.objects.filter(facility=facility).filter(_overlapping("", period)).order_by()
    ended = Q(end_date__isnull=False, end_date__lte=period.end)
    running = Q(end_date__isnull=True) | Q(end_date__gte=period.end)

    per_mode = stays.values("mode").annotate(
        persons=Count("person_id", distinct=True),
        admissions=Count("pk", filter=Q(start_date__gte=period.start)),
        discharges=Count("pk", filter=ended),
        days=Sum(_stay_days(period)),
        ended_days=Sum(_length(F("end_date")), filter=ended),
    )
    totals = stays.aggregate(
        file_active=Count("person_id", distinct=True),
        ended=Count("pk", filter=ended),
        ended_days=Sum(_length(F("end_date")), filter=ended),
        present=Count("pk", filter=running),
        seniority=Sum(
            _length(Least(Coalesce("end_date", _date(period.after)), _date(period.after))),
            filter=running,
        ),
    )
    discharges = Counter()
    destinations = Counter()
    for reason, destination, count in (
        stays.filter(ended)
        .values_list("discharge_reason", "discharge_destination")
        .annotate(n=Count("pk"))
    ):
        discharges[reason] += count
        destinations[destination] += count
    absences = (
        Absence.objects.filter(stay__facility=facility)
        .filter(_overlapping("stay__", period), _overlapping("", period))
        .order_by()
        .values_list("stay__mode", "kind")
        .annotate(days=Sum(_absence_days(period)))
    )
    absence_by_mode: Counter[str] = Counter()
    absence_by_kind: Counter[str] = Counter()
    for mode, kind, days in absences:
        absence_by_mode[mode] += _whole_days(days)
        absence_by_kind[kind] += _whole_days(days)

    modes = _mode_rows(facility, period, per_mode, absence_by_mode)
    total_capacity = facility.total_capacity or None
    total_days = sum(row.stay_days for row in modes)
    total = ModeRow(
        code="total",
        label="Total",
        capacity=total_capacity,
        persons=totals["file_active"],
        admissions=sum(row.admissions for row in modes),
        discharges=sum(row.discharges for row in modes),
        stay_days=total_days,
        absence_days=sum(row.absence_days for row in modes),
        occupation=rules.occupation_rate(total_days, total_capacity, period),
        ended_length=rules.average(_whole_days(totals["ended_days"]), totals["ended"]),
    )
    incidents_total, incidents = _incidents(facility, period)
    return ActivityReport(
        facility=facility,
        year=year,
        period=period,
        file_active=totals["file_active"],
        modes=modes,
        total=total,
        discharge_reasons=_count_rows(discharges, DischargeReason),
        discharge_destinations=_count_rows(destinations, DischargeDestination),
        absences=[
            CountRow(k.value, str(k.label), absence_by_kind.get(k.value, 0)) for k in AbsenceKind
        ],
        average_length=total.ended_length,
        ended_stays=totals["ended"],
        average_seniority=rules.average(_whole_days(totals["seniority"]), totals["present"]),
        present_stays=totals["present"],
        ages=_ages(facility, period.end),
        gmp=facility_gmp(facility, period.end),
        incidents_total=incidents_total,
        incidents=incidents,
    )


def _mode_rows(facility, period, per_mode, absence_by_mode) -> list[ModeRow]:
    """One row per mode with activity or a recorded capacity, in StayMode order."""
    found = {row["mode"]: row for row in per_mode}
    rows = []
    for code, label in [*StayMode.choices, ("", UNSPECIFIED)]:
        capacity = getattr(facility, CAPACITY_FIELDS[code]) if code in CAPACITY_FIELDS else 0
        row = found.get(code)
        if row is None and not capacity:
            continue
        row = row or {}
        days = _whole_days(row.get("days"))
        rows.append(
            ModeRow(
                code=code or "non_renseigne",
                label=str(label),
                capacity=capacity or None,
                persons=row.get("persons", 0),
                admissions=row.get("admissions", 0),
                discharges=row.get("discharges", 0),
                stay_days=days,
                absence_days=absence_by_mode.get(code, 0),
                occupation=rules.occupation_rate(days, capacity, period),
                ended_length=rules.average(
                    _whole_days(row.get("ended_days")), row.get("discharges", 0)
                ),
            )
        )
    return rows


def _count_rows(counts: Counter, choices) -> list[CountRow]:
    """Every choice (zeros included) and, last, the stays without a recorded value."""
    rows = [CountRow(value, str(label), counts.get(value, 0)) for value, label in choices.choices]
    if counts.get(""):
        rows.append(CountRow("non_renseigne", UNSPECIFIED, counts[""]))
    return rows


def _ages(facility: Facility, on: dt.date) -> list[AgeRow]:
    """Persons present on `on`, by age bracket and sex, in one query on birth-date ranges."""
    bounds = rules.age_brackets(facility.couloir)
    present = Stay.objects.filter(
        facility=facility, person_id=OuterRef("pk"), start_date__lte=on
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
    ranges = []
    for index in range(len(bounds)):
        q = Q()
        if index > 0:
            q &= Q(birth_date__lte=rules.latest_birth_for_age(on, bounds[index]))
        if index + 1 < len(bounds):
            q &= Q(birth_date__gt=rules.latest_birth_for_age(on, bounds[index + 1]))
        ranges.append(q)
    counts = Person.objects.filter(Exists(present)).aggregate(
        **{
            f"b{index}_{sex}": Count("pk", filter=q & Q(sex=sex))
            for index, q in enumerate(ranges)
            for sex in SEXES
        }
    )
    return [
        AgeRow(label, tuple(counts[f"b{index}_{sex}"] for sex in SEXES))  # type: ignore[arg-type]
        for index, label in enumerate(rules.bracket_labels(bounds))
    ]


def _incidents(facility: Facility, period: Period) -> tuple[int, list[CountRow]]:
    """Incidents that occurred in the period (local days), by category of the arrêté.

    An incident may fall in several categories, so the rows may add up to more than the
    total. The categories are a JSON list, read per incident (a facility declares a few
    dozen a year): JSON containment is not portable to SQLite.
    """
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=zone)
    stop = dt.datetime.combine(period.after, dt.time.min, tzinfo=zone)
    lists = Incident.objects.filter(
        facility=facility, occurred_at__gte=start, occurred_at__lt=stop
    ).values_list("categories", flat=True)
    counted: Counter[str] = Counter()
    total = 0
    for categories in lists:
        total += 1
        counted.update(set(categories or ()))
    return total, [CountRow(c.value, CATEGORY_LABELS[c], counted.get(c.value, 0)) for c in Category]
