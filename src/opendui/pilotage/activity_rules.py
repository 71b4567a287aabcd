"""The counting conventions of the facility's yearly activity report, over plain data.

No Django import: the SQL in `activity_report` follows these rules and a test checks
that both agree on random datasets. The conventions (also in docs/architecture.md):

- **Period.** A calendar year, 1 January to 31 December inclusive; for the year in
  progress, 1 January to the reference date (today) inclusive. A future year has no
  activity and is refused.
- **Journées de séjour ("journées réalisées").** The usual convention of ESSMS billing
  and of the ANAP performance dashboard: the admission day counts, the discharge day
  does not (a day is a night spent under the stay), except that a stay that begins and
  ends on the same day counts one day. A stay still open counts up to the end of the
  period inclusive. Only the days inside the period count, so a stay spanning two
  years is split between them and the sum over the years is the stay's length.
- **Absences** (hospitalisation, holidays, other) are not deducted from the journées
  de séjour: the place stays held, which is what the occupation rate measures. They are
  reported separately, by kind, with the same convention (leaving day counted, return
  day not: an absence that starts and ends on the same day counts zero), clipped to the
  stay and to the period. Journées de présence effective = séjour − absences. The
  absences of one stay never overlap (the stays service refuses it), so they add up.
- **Taux d'occupation** = journées de séjour / (capacity × days of the period), per
  mode whose capacity is recorded on the facility; "capacité non renseignée" otherwise.
  Calendar days: the model holds no opening calendar.
- **File active**: distinct persons with a stay overlapping the period, bounds
  included (a person discharged on 1 January is in that year's file active).
- **Durée moyenne de séjour**: of the stays ended in the period, whole length (not
  clipped), same day convention. **Ancienneté moyenne**: of the stays running on the
  reference date (bounds included, as the GMP counts residents), length from admission
  to the reference date, that night included.
- **Ages** at the reference date, in completed years (a person born on 29 February
  gains a year on 1 March in common years); brackets by the facility's couloir.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_DAY = dt.timedelta(days=1)
RATE_QUANTUM = Decimal("0.1")
EARLIEST_YEAR = 1900

#: Lower bounds of the age brackets (the last one is open). Elderly-care facilities
#: follow the usual EHPAD brackets; the others cover childhood to old age.
ELDERLY_BRACKETS: tuple[int, ...] = (0, 60, 75, 85, 95)
GENERAL_BRACKETS: tuple[int, ...] = (0, 6, 12, 16, 20, 30, 45, 60)
ELDERLY_COULOIR = "PA"


class PeriodError(ValueError):
    """A year that cannot be reported; the message is a French sentence."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive: the reference date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def after(self) -> dt.date:
        """The day after the period: the exclusive bound of the day counts."""
        return self.end + ONE_DAY


def parse_year(text: str | int | None, today: dt.date) -> int:
    """A report year from user input; French error for a malformed or future year."""
    raw = str(text).strip() if text is not None else ""
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        raise PeriodError(f"Année invalide : « {raw} ». Indiquez une année sur quatre chiffres.")
    year = int(raw)
    if year > today.year:
        raise PeriodError(
            f"L'année {year} n'a pas commencé : le rapport porte sur {today.year} au plus tard."
        )
    if year < EARLIEST_YEAR:
        raise PeriodError(f"Année invalide : {year} (au plus tôt {EARLIEST_YEAR}).")
    return year


def default_year(today: dt.date) -> int:
    """The last complete year."""
    return today.year - 1


def year_period(year: int, today: dt.date) -> Period:
    """The period of `year`: the whole year, or up to `today` for the year in progress."""
    if year > today.year:
        raise PeriodError(f"L'année {year} n'a pas commencé.")
    end = dt.date(year, 12, 31)
    return Period(dt.date(year, 1, 1), min(end, today))


def in_progress(period: Period) -> bool:
    return period.end != dt.date(period.start.year, 12, 31)


def _span(start: dt.date, end_exclusive: dt.date) -> int:
    return max(0, (end_exclusive - start).days)


def stay_days(start: dt.date, end: dt.date | None, period: Period) -> int:
    """Journées de séjour of a stay inside the period (discharge day excluded, same-day = 1)."""
    if end is not None and end == start:
        return 1 if period.start <= start <= period.end else 0
    stop = period.after if end is None else min(end, period.after)
    return _span(max(start, period.start), stop)


def absence_days(
    start: dt.date,
    end: dt.date | None,
    stay_end: dt.date | None,
    period: Period,
) -> int:
    """Days of an absence inside the period and its stay (return day excluded)."""
    stop = period.after
    for bound in (end, stay_end):
        if bound is not None:
            stop = min(stop, bound)
    return _span(max(start, period.start), stop)


def stay_length(start: dt.date, end: dt.date) -> int:
    """Whole length of an ended stay, in journées (same-day = 1)."""
    return max(1, (end - start).days)


def seniority(start: dt.date, end: dt.date | None, on: dt.date) -> int:
    """Days from admission to `on`, the night of `on` included when the stay goes on."""
    stop = on + ONE_DAY if end is None else min(end, on + ONE_DAY)
    return stay_length(start, stop)


def overlaps(start: dt.date, end: dt.date | None, period: Period) -> bool:
    """Whether a stay belongs to the period's file active (bounds included)."""
    return start <= period.end and (end is None or end >= period.start)


def runs_on(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    """Whether a stay is running on `on` (bounds included, as for the GMP)."""
    return start <= on and (end is None or end >= on)


def file_active(stays: Iterable[tuple[object, dt.date, dt.date | None]], period: Period) -> int:
    """Distinct persons of (person, start, end) stays overlapping the period."""
    return len({person for person, start, end in stays if overlaps(start, end, period)})


def occupation_rate(days: int, capacity: int | None, period: Period) -> Decimal | None:
    """Percent, one decimal, half up; None when the capacity is not recorded (0 or None)."""
    if not capacity:
        return None
    return percent(days, capacity * period.days)


def percent(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(RATE_QUANTUM, ROUND_HALF_UP)


def average(total: int, count: int) -> Decimal | None:
    """Mean in days, one decimal, half up; None without any item."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(RATE_QUANTUM, ROUND_HALF_UP)


def age_at(birth: dt.date, on: dt.date) -> int:
    """Completed years on `on`."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def latest_birth_for_age(on: dt.date, age: int) -> dt.date:
    """The latest birth date of a person aged `age` or more on `on`.

    age_at(b, on) >= age  ⟺  b <= latest_birth_for_age(on, age): the SQL groups
    persons by birth-date ranges, so no age is computed row by row.
    """
    year = on.year - age
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February → a common year: born on the 28th is old enough
        return dt.date(year, 2, 28)


def age_brackets(couloir: str) -> tuple[int, ...]:
    return ELDERLY_BRACKETS if couloir == ELDERLY_COULOIR else GENERAL_BRACKETS


def bracket_labels(bounds: Sequence[int]) -> list[str]:
    """French labels: "moins de 60 ans", "60 à 74 ans", …, "95 ans et plus"."""
    labels = []
    for index, lower in enumerate(bounds):
        upper = bounds[index + 1] - 1 if index + 1 < len(bounds) else None
        if upper is None:
            labels.append(f"{lower} ans et plus")
        elif lower == 0:
            labels.append(f"moins de {upper + 1} ans")
        else:
            labels.append(f"{lower} à {upper} ans")
    return labels


def bracket_of(age: int, bounds: Sequence[int]) -> int:
    """Index of the bracket holding `age` (a negative age, a data error, goes first)."""
    index = 0
    for position, lower in enumerate(bounds):
        if age >= lower:
            index = position
    return index


def age_distribution(births: Iterable[dt.date], on: dt.date, bounds: Sequence[int]) -> list[int]:
    """Persons per bracket, in the order of `bounds`."""
    counts = [0] * len(bounds)
    for birth in births:
        counts[bracket_of(age_at(birth, on), bounds)] += 1
    return counts


def gir_distribution(girs: Iterable[int]) -> dict[int, int]:
    """Persons per GIR 1 to 6, zeros included."""
    counted = Counter(girs)
    return {gir: counted.get(gir, 0) for gir in range(1, 7)}
