"""The ESMS Numérique usage indicators, defined once, as pure functions over plain data.

Source: programme-esms-numerique.md §1 ("Usage targets"). Nothing here imports Django: the
SQL of `indicators.py` is tested against these functions (tests/pilotage), so the page, the
command and the proof export can never drift from the written definitions.

**A rate is a proportion.** Every numerator is computed as a part of its denominator's
population (`populations`): the persons it counts are persons of the denominator who also
meet the numerator's condition, so no rate can exceed 100 % whatever the data and the
variant (property-tested). Decisions where the spec leaves room (also in
docs/architecture.md, "Pilotage"):

- **Période de recueil**: a calendar month, `[start, end)`; the first measure of a project
  covers three months (`Period.first_measure`).
- **Personne accompagnée** (in a facility, for a period): at least one stay in the facility
  overlapping the period (a stay ends on its last day, inclusive). Admitted on the 20th or
  discharged on the 3rd of the month: accompanied that month.
- **File active** of a window: the number of distinct persons accompanied in the window.
  Variant denominator "moyenne de la file active sur les 3 dernières années": the mean of
  the file active of the three 12-month windows ending with the period, over the windows
  where the facility had anyone (a facility opened last year is not divided by 3), rounded
  half up to a whole number of persons. The mean is a number, not a set of persons: the
  denominator is the larger of that mean and the persons accompanied in the period, whose
  records the numerator counts, so a growing facility is not measured above 100 %.
- **Dossier actif** (spec: "relating to a person accompanied during the year AND updated at
  least once during the collection period"): the record of a person accompanied in the
  facility during the period (hence during the year) and changed at least once during the
  period by a professional. Changes made by an automatic job (INSi re-check, imports, the
  demo seed) do not count: the indicator measures professional use of the DUI. The record
  is one per person: a change counts for every facility accompanying the person. A person
  discharged before the period whose record is updated (a discharge letter, a late note)
  is not in the period's denominator, so not in its numerator either.
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
- **MSSanté**: the spec divides "messages sent" by "DUI actifs avec un PP" with a 70 %
  target. A count of messages is not a part of a count of records (one person's thirty
  messages would make 3 000 %), so the rate is read as the share of the denominator's
  persons concerned by at least one message the facility sent and the service accepted
  during the period. "All messages count, whatever person or record" is kept in two ways:
  any message about such a person counts, whatever its subject; and the number of all
  messages accepted in the period (about nobody in particular included) is given beside
  the rate (`Figures.sent`), for information, not in it.
- **DMP alimentés**: the persons of the denominator whose DMP received at least one
  document the facility sent and the service accepted during the period.
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

#: Bumped whenever a definition changes: kept months (pilotage.MonthlyMeasure) computed
#: under another version are never reused (cache.py puts it in their key).
#: 1: numerators could count persons outside the denominator; 2: they cannot.
DEFINITIONS_VERSION = 2

#: Channels of the sharings (documents.Sharing) and what is said when none was sent.
SHARING_CHANNELS = {MSSANTE: "MSSANTE", DMP: "DMP"}
NO_SENDING = {
    MSSANTE: "Pas encore d'envoi : aucun message MSSanté accepté sur la période. Seuls les "
    "envois réels sont comptés.",
    DMP: "Pas encore d'envoi : aucun document accepté par le DMP sur la période. Seuls les "
    "envois réels sont comptés.",
}

_ACTIVE_NUMERATOR = (
    "Numérateur : dossiers actifs, c'est-à-dire les personnes accompagnées pendant la période "
    "dont le dossier a été modifié au moins une fois pendant la période par un professionnel "
    "(les traitements automatiques ne comptent pas)."
)
_ONCE = (
    " Une personne compte une fois, quel que soit le nombre d'envois ; les personnes comptées "
    "font partie du dénominateur, le taux ne peut donc pas dépasser 100 %."
)
_WITH_PP_BASE = (
    " Dénominateur : dossiers actifs dont la personne a un projet personnalisé en préparation "
    "ou en cours pendant la période."
)
_MAY_HAVE_PP_BASE = (
    " Dénominateur : personnes accompagnées pendant la période (toutes peuvent bénéficier "
    "d'un projet)."
)

#: What each figure counts, in French, by indicator and variant (shown under each figure
#: and in the ARS proof).
EXPLANATIONS: dict[str, dict[str, str]] = {
    ACTIVE: {
        ACCOMPANIED: _ACTIVE_NUMERATOR
        + " Dénominateur : personnes accompagnées dans l'établissement pendant la période (au "
        "moins un jour de séjour). Les dossiers comptés sont ceux des personnes du "
        "dénominateur : le taux ne peut pas dépasser 100 %.",
        FILE_ACTIVE_3Y: _ACTIVE_NUMERATOR
        + " Dénominateur : moyenne de la file active (personnes accompagnées) des trois "
        "périodes de 12 mois se terminant avec la période mesurée, sans compter celles où "
        "l'établissement n'accompagnait personne, arrondie à l'unité ; si les personnes "
        "accompagnées pendant la période sont plus nombreuses que cette moyenne, c'est leur "
        "nombre, car ce sont leurs dossiers qui sont comptés.",
    },
    ACTIVE_PP: {
        ACTIVE_RECORDS: "Numérateur : dossiers actifs dont la personne a, dans "
        "l'établissement, un projet personnalisé en préparation ou en cours (statut "
        "ENPREPARATION ou ENCOURS) à un moment de la période ; en pause ou terminé ne compte "
        "pas. Dénominateur : dossiers actifs.",
    },
    ACTIVE_EVENT: {
        ALL_EVENTS: "Numérateur : dossiers actifs ayant au moins un événement dans "
        "l'établissement pendant la période : un rendez-vous d'agenda de la personne créé ou "
        "modifié (annulation comprise) ou son projet personnalisé créé ou modifié, par un "
        "professionnel. Dénominateur : dossiers actifs.",
        AGENDA_ONLY: "Numérateur : dossiers actifs ayant au moins un rendez-vous d'agenda de "
        "la personne créé ou modifié (annulation comprise) dans l'établissement pendant la "
        "période, par un professionnel. Dénominateur : dossiers actifs.",
    },
    MSSANTE: {
        ACTIVE_WITH_PP: "Numérateur : personnes du dénominateur concernées par au moins un "
        "message MSSanté envoyé par l'établissement et accepté par le service pendant la "
        "période." + _WITH_PP_BASE + _ONCE + " Le nombre de tous les messages acceptés (y "
        "compris ceux qui ne concernent aucune personne) est donné à titre d'information.",
        MAY_HAVE_PP: "Numérateur : personnes du dénominateur concernées par au moins un "
        "message MSSanté envoyé par l'établissement et accepté par le service pendant la "
        "période." + _MAY_HAVE_PP_BASE + _ONCE + " Le nombre de tous les messages acceptés (y "
        "compris ceux qui ne concernent aucune personne) est donné à titre d'information.",
    },
    DMP: {
        ACTIVE_WITH_PP: "Numérateur : personnes du dénominateur dont le DMP a reçu au moins "
        "un document envoyé par l'établissement et accepté pendant la période."
        + _WITH_PP_BASE
        + _ONCE,
        MAY_HAVE_PP: "Numérateur : personnes du dénominateur dont le DMP a reçu au moins un "
        "document envoyé par l'établissement et accepté pendant la période."
        + _MAY_HAVE_PP_BASE
        + _ONCE,
    },
}

#: The terms the figures use, in French (the ARS proof's "Définitions appliquées").
TERMS = [
    (
        "Personne accompagnée",
        "personne ayant au moins un jour de séjour dans l'établissement pendant le mois mesuré.",
    ),
    (
        "Dossier actif",
        "dossier d'une personne accompagnée dans l'établissement pendant le mois mesuré et "
        "modifié au moins une fois pendant ce mois par un professionnel (les traitements "
        "automatiques ne comptent pas).",
    ),
    (
        "Événement",
        "création ou modification d'un rendez-vous d'agenda de la personne (annulation "
        "comprise) ou de son projet personnalisé, dans l'établissement, pendant le mois.",
    ),
    (
        "Projet personnalisé en préparation ou actif",
        "version au statut ENPREPARATION ou ENCOURS à un moment du mois (ENPAUSE et TERMINE "
        "exclus).",
    ),
    (
        "MSSanté et DMP",
        "personnes du dénominateur concernées par au moins un message MSSanté, ou dont le DMP "
        "a reçu au moins un document, envoyé par l'établissement et accepté par le service "
        "pendant le mois ; seuls les envois réellement faits sont comptés.",
    ),
    (
        "Numérateur et dénominateur",
        "les personnes comptées au numérateur font toujours partie de celles du dénominateur : "
        "aucun taux ne dépasse 100 %.",
    ),
]


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


MONTH = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})$")


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
    """Dossiers actifs: persons accompanied in the facility during the period (the
    denominator's population) whose record a professional changed during the period."""
    in_period = accompanied(data.stays, facility_id, period.start, period.end)
    return in_period & updated_records(data.changes, period)


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


def _accepted(
    data: Dataset, channel: str, facility_id: int, start: dt.datetime, end: dt.datetime
) -> list[SharingRow]:
    return [
        s
        for s in data.sharings
        if s.channel == channel
        and s.status == "sent"
        and s.facility_id == facility_id
        and _within(s.at, start, end)
    ]


def reached(
    data: Dataset, channel: str, facility_id: int, start: dt.datetime, end: dt.datetime
) -> set[int]:
    """Persons concerned by at least one message (MSSANTE) or document (DMP) the facility
    sent and the service accepted in `[start, end)`."""
    return {
        s.person_id
        for s in _accepted(data, channel, facility_id, start, end)
        if s.person_id is not None
    }


def sent(data: Dataset, facility_id: int, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(MSSanté messages, DMP documents) the facility sent and the service accepted in
    `[start, end)`, whoever they concern: shown beside the rates, never in them."""
    return (
        len(_accepted(data, "MSSANTE", facility_id, start, end)),
        len(_accepted(data, "DMP", facility_id, start, end)),
    )


# --- populations: each numerator a part of its denominator ---------------------------------------


@dataclass(frozen=True)
class Population:
    """The persons an indicator counts. `numerator` must be a part of `denominator`: the
    constructor refuses anything else, so a rate above 100 % cannot be built.

    `denominator_size` is the denominator when it is a number wider than the set (the
    3-year mean file active); never smaller than the set."""

    numerator: frozenset[int]
    denominator: frozenset[int]
    denominator_size: int | None = None

    def __post_init__(self) -> None:
        if not self.numerator <= self.denominator:
            raise ValueError("Le numérateur doit être une partie du dénominateur.")
        if self.denominator_size is not None and self.denominator_size < len(self.denominator):
            raise ValueError("Le dénominateur ne peut pas être plus petit que sa population.")

    @property
    def counts(self) -> tuple[int, int]:
        size = len(self.denominator) if self.denominator_size is None else self.denominator_size
        return len(self.numerator), size


def populations(
    data: Dataset,
    facility_id: int,
    period: Period,
    bounds: tuple[dt.datetime, dt.datetime],
    variants: dict[str, str] | None = None,
) -> dict[str, Population]:
    """The five populations of a facility, each numerator drawn from its denominator.

    `bounds` are the period's start and end as instants (local midnight), for the rows
    stamped with a time."""
    chosen = resolve_variants(variants)
    start, end = bounds
    in_period = frozenset(accompanied(data.stays, facility_id, period.start, period.end))
    actifs = frozenset(in_period & updated_records(data.changes, period))
    with_project = actifs & with_pp(data, facility_id, start, end)
    agenda_only = chosen[ACTIVE_EVENT] == AGENDA_ONLY
    with_events = actifs & with_event(data, facility_id, start, end, agenda_only=agenda_only)
    size = None
    if chosen[ACTIVE] == FILE_ACTIVE_3Y:
        size = max(file_active_3_years(data.stays, facility_id, period), len(in_period))
    result = {
        ACTIVE: Population(actifs, in_period, size),
        ACTIVE_PP: Population(with_project, actifs),
        ACTIVE_EVENT: Population(with_events, actifs),
    }
    for key, channel in SHARING_CHANNELS.items():
        base = with_project if chosen[key] == ACTIVE_WITH_PP else in_period
        result[key] = Population(base & reached(data, channel, facility_id, start, end), base)
    return result


# --- rates and targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Numerator and denominator of each indicator, for one facility (or summed), and the
    (MSSanté messages, DMP documents) accepted in the period, for information."""

    values: dict[str, tuple[int, int]]
    sent: tuple[int, int] = (0, 0)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            {
                key: (
                    self.values[key][0] + other.values[key][0],
                    self.values[key][1] + other.values[key][1],
                )
                for key in KEYS
            },
            (self.sent[0] + other.sent[0], self.sent[1] + other.sent[1]),
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
    """The five (numerator, denominator) pairs of a facility, from its populations."""
    counted = populations(data, facility_id, period, bounds, variants)
    return Figures({key: counted[key].counts for key in KEYS}, sent(data, facility_id, *bounds))


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one facility (or organisation) for one period, ready to show.

    `sent`: for MSSanté and DMP, the messages or documents accepted in the period (all,
    whoever they concern); None for the three record indicators."""

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
    definition: str = ""
    sent: int | None = None

    @property
    def no_sending(self) -> str:
        """The French "pas encore d'envoi" note when nothing was sent (else empty)."""
        return NO_SENDING[self.key] if self.sent == 0 else ""


def results(values: Figures, variants: dict[str, str] | None = None) -> list[IndicatorResult]:
    """The five results, in the spec's order, from their numerators and denominators."""
    chosen = resolve_variants(variants)
    sent_by_key = {MSSANTE: values.sent[0], DMP: values.sent[1]}
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
                definition=EXPLANATIONS[key][chosen[key]],
                sent=sent_by_key.get(key),
            )
        )
    return out
