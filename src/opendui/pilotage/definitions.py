"""The ESMS Numérique usage indicators, defined once, as pure functions over plain data.

Source: programme-esms-numerique.md §1 ("Usage targets"). Nothing here imports Django: the
SQL of `indicators.py` is tested against these functions (tests/pilotage), so the page, the
command and the proof export can never drift from the written definitions.

Decisions where the spec leaves room (also in docs/architecture.md, "Pilotage"):

- **Période de recueil**: a calendar month, `[start, end)`; the first measure of a project
  covers three months (`Period.first_measure`).
- **Personne accompagnée** (in a facility, for a period): at least one stay in the facility
  overlapping the period (a stay ends on its last day, inclusive). Admitted on the 20th or
  discharged on the 3rd of the month: accompanied that month.
- **File active** of a window: the number of distinct persons accompanied in the window.
  Variant denominator "moyenne de la file active sur les 3 dernières années": the mean of
  the file active of the three 12-month windows ending with the period, over the windows
  where the facility had anyone (a facility opened last year is not divided by 3), rounded
  half up to a whole number of persons.
- **Dossier actif** (spec: "relating to a person accompanied during the year AND updated at
  least once during the collection period"): the person is accompanied in the facility
  during the 12 months ending with the period, and their record was changed at least once
  during the period by a professional. Changes made by an automatic job (INSi re-check,
  imports, the demo seed) do not count: the indicator measures professional use of the DUI.
  The record is one per person: a change counts for every facility accompanying the person.
  Because "the year" is wider than the period, a person discharged earlier in the year whose
  record is updated this month counts in the numerator but not in the period's denominator;
  the rate can then exceed 100 %: it is shown as computed, never capped.
- **Événement** (spec: "a change of a DUI datum about a business event, e.g. agenda update,
  … personalised project created/updated"): a creation or update of an agenda event whose
  participant the person is, or of the person's PP (any version, any section), in the
  facility, during the period, by a professional (jobs excluded as above). Cancelling an
  event is an update of it, so an event created then cancelled still counts. Variant
  "agenda": only agenda events (one table of the kit narrows it so).
- **PP en préparation ou actif**: a PP version of a stay in the facility whose status was
  ENPREPARATION or ENCOURS at some point of the period (JDV_J281); ENPAUSE and TERMINE do not
  count. Its status at a time is the last status recorded at or before that time.
- **Personnes pouvant bénéficier d'un projet** (MSSanté/DMP denominator variant): every
  person accompanied in the period (any person accompanied may have a PP).
- **MSSanté**: messages the facility sent and the service accepted, whoever they concern;
  **DMP alimentés**: distinct persons whose DMP received a document sent by the facility.
- **Rates**: percent with one decimal, rounded half up; a zero denominator gives no rate
  (None) and a French explanation, and the target is then not met.
- **Organisation**: the sum of its facilities' numerators and denominators (a person
  accompanied in two facilities counts in each, as the ARS measures each ESSMS).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# --- keys, targets, variants -----------------------------------------------------------------

ACTIVE = "dossiers_actifs"
ACTIVE_PP = "dossiers_actifs_pp"
ACTIVE_EVENT = "dossiers_actifs_evenement"
MSSANTE = "mssante"
DMP = "dmp"
KEYS = (ACTIVE, ACTIVE_PP, ACTIVE_EVENT, MSSANTE, DMP)

LABELS = {
    ACTIVE: "Taux de dossiers actifs",
    ACTIVE_PP: "Taux de dossiers actifs avec un projet personnalisé",
    ACTIVE_EVENT: "Taux de dossiers actifs ayant au moins un événement",
    MSSANTE: "Utilisation de la MSSanté",
    DMP: "Alimentation du DMP",
}

TARGETS = {ACTIVE: 90, ACTIVE_PP: 90, ACTIVE_EVENT: 90, MSSANTE: 70, DMP: 70}

# Variant codes: the first of each indicator is the default (spec: "default to the first one").
ACCOMPANIED = "personnes_accompagnees"
FILE_ACTIVE_3Y = "file_active_3_ans"
ACTIVE_RECORDS = "dossiers_actifs"
ALL_EVENTS = "tous_evenements"
AGENDA_ONLY = "agenda"
ACTIVE_WITH_PP = "dossiers_actifs_avec_pp"
MAY_HAVE_PP = "personnes_pouvant_beneficier_pp"

VARIANTS: dict[str, dict[str, str]] = {
    ACTIVE: {
        ACCOMPANIED: "dénominateur : personnes accompagnées dans la structure sur la période",
        FILE_ACTIVE_3Y: "dénominateur : moyenne de la file active sur les 3 dernières années",
    },
    ACTIVE_PP: {ACTIVE_RECORDS: "dénominateur : dossiers actifs"},
    ACTIVE_EVENT: {
        ALL_EVENTS: "événement : agenda ou projet personnalisé créé ou modifié",
        AGENDA_ONLY: "événement : au moins un événement d'agenda",
    },
    MSSANTE: {
        ACTIVE_WITH_PP: "dénominateur : dossiers actifs avec un projet personnalisé",
        MAY_HAVE_PP: "dénominateur : personnes accompagnées pouvant bénéficier d'un projet",
    },
    DMP: {
        ACTIVE_WITH_PP: "dénominateur : dossiers actifs avec un projet personnalisé",
        MAY_HAVE_PP: "dénominateur : personnes accompagnées pouvant bénéficier d'un projet",
    },
}
DEFAULT_VARIANTS = {key: next(iter(variants)) for key, variants in VARIANTS.items()}

PP_STATUSES_COUNTED = frozenset({"ENPREPARATION", "ENCOURS"})
NO_DENOMINATOR = "Taux non calculable : le dénominateur est nul (aucune personne concernée)."


def resolve_variants(chosen: dict[str, str] | None) -> dict[str, str]:
    """The default variants overridden by `chosen`; an unknown key or code raises ValueError."""
    result = dict(DEFAULT_VARIANTS)
    for key, code in (chosen or {}).items():
        if key not in VARIANTS or code not in VARIANTS[key]:
            raise ValueError(f"Variante inconnue pour {key} : {code}")
        result[key] = code
    return result


# --- periods ---------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after the month of `day` (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A collection period `[start, end)` made of whole months."""

    start: dt.date
    end: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        return cls(start, add_months(start, 1))

    @classmethod
    def first_measure(cls, year: int, month: int) -> Period:
        """The programme's first measure: the three months ending with `month`."""
        end = add_months(dt.date(year, month, 1), 1)
        return cls(add_months(end, -3), end)

    @classmethod
    def last_ended(cls, today: dt.date, months: int = 1) -> Period:
        """The `months` months ending with the month just ended (spec: "fin de mois")."""
        end = dt.date(today.year, today.month, 1)
        return cls(add_months(end, -months), end)

    @property
    def year_start(self) -> dt.date:
        """Start of "the year" of a dossier actif: the 12 months ending with the period."""
        return add_months(self.end, -12)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    @property
    def label(self) -> str:
        last = add_months(self.end, -1)
        if self.months == 1:
            return f"{last:%m/%Y}"
        return f"{self.start:%m/%Y} – {last:%m/%Y}"

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        """Does a stay [start, end] (end inclusive, None: open) meet the period?"""
        return start < self.end and (end is None or end >= self.start)


MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")


def parse_month(value: str, today: dt.date) -> tuple[int, int]:
    """(year, month) of an AAAA-MM text; ValueError with a French message when malformed
    or in the future (a month not begun has no measure)."""
    match = MONTH.match((value or "").strip())
    if not match or not 1 <= int(match["month"]) <= 12 or int(match["year"]) < 2000:
        raise ValueError(f"Mois invalide « {value} » : attendu AAAA-MM, par exemple 2026-03.")
    year, month = int(match["year"]), int(match["month"])
    if (year, month) > (today.year, today.month):
        raise ValueError(f"Le mois {value} est dans le futur : il n'a pas encore de mesure.")
    return year, month


# --- plain data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StayRow:
    person_id: int
    facility_id: int
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True)
class RecordChange:
    """A change of a person's record on a (local) day; `by_job`: made by an automatic job."""

    person_id: int
    day: dt.date
    by_job: bool = False


@dataclass(frozen=True)
class EventRow:
    """A creation/update of an agenda event (agenda=True) or of a PP, for one person."""

    person_id: int
    facility_id: int
    at: dt.datetime
    agenda: bool = True
    by_job: bool = False


@dataclass(frozen=True)
class PPStatusRow:
    """The status a PP version had from `at` on (until its next row)."""

    project_id: int
    person_id: int
    facility_id: int
    at: dt.datetime
    status: str


@dataclass(frozen=True)
class SharingRow:
    """A document or message the DUI sent: channel "DMP" or "MSSANTE", status "sent"/"failed"."""

    channel: str
    facility_id: int
    at: dt.datetime
    person_id: int | None = None
    status: str = "sent"


@dataclass(frozen=True)
class Dataset:
    stays: tuple[StayRow, ...] = ()
    changes: tuple[RecordChange, ...] = ()
    events: tuple[EventRow, ...] = ()
    pp_statuses: tuple[PPStatusRow, ...] = ()
    sharings: tuple[SharingRow, ...] = ()


def _within(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> bool:
    return start <= at < end


# --- the definitions ---------------------------------------------------------------------------


def accompanied(
    stays: Iterable[StayRow], facility_id: int, start: dt.date, end: dt.date
) -> set[int]:
    """Personnes accompagnées: a stay in the facility overlapping `[start, end)`."""
    window = Period(start, end)
    return {
        s.person_id
        for s in stays
        if s.facility_id == facility_id and window.overlaps(s.start, s.end)
    }


def file_active(stays: Iterable[StayRow], facility_id: int, period: Period) -> int:
    """File active of the period: distinct persons accompanied in it."""
    return len(accompanied(stays, facility_id, period.start, period.end))


def file_active_3_years(stays: Iterable[StayRow], facility_id: int, period: Period) -> int:
    """Mean file active of the three 12-month windows ending with the period, over the
    windows with at least one person, rounded half up (0 when none)."""
    stays = list(stays)
    sizes = [
        len(
            accompanied(
                stays,
                facility_id,
                add_months(period.end, -12 * (k + 1)),
                add_months(period.end, -12 * k),
            )
        )
        for k in range(3)
    ]
    counted = [n for n in sizes if n]
    if not counted:
        return 0
    return int((Decimal(sum(counted)) / len(counted)).quantize(Decimal(1), ROUND_HALF_UP))


def updated_records(changes: Iterable[RecordChange], period: Period) -> set[int]:
    """Persons whose record a professional changed during the period (jobs left out)."""
    return {c.person_id for c in changes if not c.by_job and period.start <= c.day < period.end}


def active_records(data: Dataset, facility_id: int, period: Period) -> set[int]:
    """Dossiers actifs: accompanied in the 12 months ending with the period AND updated in it."""
    in_year = accompanied(data.stays, facility_id, period.year_start, period.end)
    return in_year & updated_records(data.changes, period)


def with_event(
    data: Dataset,
    facility_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    agenda_only: bool = False,
) -> set[int]:
    """Persons with at least one événement in the facility in `[start, end)` (jobs left out)."""
    return {
        e.person_id
        for e in data.events
        if e.facility_id == facility_id
        and not e.by_job
        and (e.agenda or not agenda_only)
        and _within(e.at, start, end)
    }


def with_pp(data: Dataset, facility_id: int, start: dt.datetime, end: dt.datetime) -> set[int]:
    """Persons with a PP version ENPREPARATION or ENCOURS at some point of `[start, end)`.

    A status holds from its row until the project's next row: it counts when set during
    the period, or when it is the last one set at or before the period's start."""
    by_project: dict[int, list[PPStatusRow]] = {}
    for row in data.pp_statuses:
        if row.facility_id == facility_id:
            by_project.setdefault(row.project_id, []).append(row)
    persons = set()
    for rows in by_project.values():
        for row in rows:
            replaced_before_start = any(row.at < other.at <= start for other in rows)
            if row.at < end and not replaced_before_start and row.status in PP_STATUSES_COUNTED:
                persons.add(row.person_id)
    return persons


def mssante_messages(data: Dataset, facility_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """Messages sent through MSSanté by the facility (every message counts)."""
    return sum(
        1
        for s in data.sharings
        if s.channel == "MSSANTE"
        and s.status == "sent"
        and s.facility_id == facility_id
        and _within(s.at, start, end)
    )


def dmp_fed(data: Dataset, facility_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """DMP alimentés: persons whose DMP received at least one document sent by the facility."""
    return len(
        {
            s.person_id
            for s in data.sharings
            if s.channel == "DMP"
            and s.status == "sent"
            and s.person_id is not None
            and s.facility_id == facility_id
            and _within(s.at, start, end)
        }
    )


# --- rates and targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Numerator and denominator of each indicator, for one facility (or summed)."""

    values: dict[str, tuple[int, int]]

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            {
                key: (
                    self.values[key][0] + other.values[key][0],
                    self.values[key][1] + other.values[key][1],
                )
                for key in KEYS
            }
        )


def rate(numerator: int, denominator: int) -> Decimal | None:
    """Percent with one decimal, rounded half up; None when the denominator is 0."""
    if denominator <= 0:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def target_met(value: Decimal | None, target: int) -> bool:
    return value is not None and value >= target


def figures(
    data: Dataset,
    facility_id: int,
    period: Period,
    bounds: tuple[dt.datetime, dt.datetime],
    variants: dict[str, str] | None = None,
) -> Figures:
    """The five (numerator, denominator) pairs of a facility; `bounds` are the period's start
    and end as instants (local midnight), for the rows stamped with a time."""
    chosen = resolve_variants(variants)
    start, end = bounds
    actifs = active_records(data, facility_id, period)
    if chosen[ACTIVE] == FILE_ACTIVE_3Y:
        denominator = file_active_3_years(data.stays, facility_id, period)
    else:
        denominator = file_active(data.stays, facility_id, period)
    with_project = actifs & with_pp(data, facility_id, start, end)
    agenda_only = chosen[ACTIVE_EVENT] == AGENDA_ONLY
    with_events = actifs & with_event(data, facility_id, start, end, agenda_only=agenda_only)
    values = {
        ACTIVE: (len(actifs), denominator),
        ACTIVE_PP: (len(with_project), len(actifs)),
        ACTIVE_EVENT: (len(with_events), len(actifs)),
    }
    may_have_pp = file_active(data.stays, facility_id, period)
    for key, numerator in (
        (MSSANTE, mssante_messages(data, facility_id, start, end)),
        (DMP, dmp_fed(data, facility_id, start, end)),
    ):
        base = len(with_project) if chosen[key] == ACTIVE_WITH_PP else may_have_pp
        values[key] = (numerator, base)
    return Figures(values)


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one facility (or organisation) for one period, ready to show."""

    key: str
    label: str
    numerator: int
    denominator: int
    rate: Decimal | None
    target: int
    variant: str
    variant_label: str
    met: bool
    explanation: str = ""


def results(values: Figures, variants: dict[str, str] | None = None) -> list[IndicatorResult]:
    """The five results, in the spec's order, from their numerators and denominators."""
    chosen = resolve_variants(variants)
    out = []
    for key in KEYS:
        numerator, denominator = values.values[key]
        value = rate(numerator, denominator)
        out.append(
            IndicatorResult(
                key=key,
                label=LABELS[key],
                numerator=numerator,
                denominator=denominator,
                rate=value,
                target=TARGETS[key],
                variant=chosen[key],
                variant_label=VARIANTS[key][chosen[key]],
                met=target_met(value, TARGETS[key]),
                explanation=NO_DENOMINATOR if value is None else "",
            )
        )
    return out
