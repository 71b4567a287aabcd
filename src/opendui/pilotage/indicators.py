"""The five ESMS Numérique indicators computed in SQL (definitions.py says what they mean).

Per (set of facilities, period): one aggregate over the population query below, one over
the sharings' totals (documents.selectors), and one more for the "file active sur 3 ans"
variant when asked. Nothing loops over persons in Python. The population query has one row
per person accompanied in the period, the population of every denominator; each numerator
sums a condition over those rows, so it is a part of its denominator by construction. It
is also the source of the drill-down lists (`person_ids_sql`), so a list and the figure
above it always agree.
tests/pilotage/test_indicators_sql.py checks the SQL against the pure definitions on random
data sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from opendui.agenda.models import EventChange
from opendui.documents.selectors import persons_reached, sharing_counts
from opendui.organisations.models import Facility, ManagingOrganisation
from opendui.stays.models import Stay

from . import definitions as d
from .definitions import IndicatorResult, Period
from .models import ProjectChange, RecordActivity

#: Drill-down lists: which records a team should look at.
NOT_ACTIVE = "non-actifs"
WITHOUT_PP = "sans-pp"
WITHOUT_EVENT = "sans-evenement"
DRILLDOWNS = {
    NOT_ACTIVE: "Dossiers non actifs (personnes accompagnées sans mise à jour sur la période)",
    WITHOUT_PP: "Dossiers actifs sans projet personnalisé en préparation ou en cours",
    WITHOUT_EVENT: "Dossiers actifs sans événement sur la période",
}
_DRILLDOWN_WHERE = {
    NOT_ACTIVE: "active = 0",
    WITHOUT_PP: "active = 1 AND has_pp = 0",
    WITHOUT_EVENT: "active = 1 AND has_event = 0",
}


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period's start and end as instants: local midnight (Europe/Paris)."""
    return tuple(  # type: ignore[return-value]
        timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        for day in (period.start, period.end)
    )


def _q(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _instant(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _reached(
    facility_ids: Sequence[int], start: dt.datetime, end: dt.datetime, channel: str
) -> tuple[str, list[Any]]:
    """SQL of the distinct (facility_id, person_id) an accepted sharing of `channel`
    concerned in `[start, end)` (documents.selectors builds it: the one reader of Sharing)."""
    sql, params = persons_reached(facility_ids, start, end, channel).query.sql_with_params()
    return sql, list(params)


def _population(
    facility_ids: Sequence[int], period: Period, agenda_only: bool = False
) -> tuple[str, list[Any]]:
    """SQL of one row per (facility, person accompanied in the period) — every
    denominator's population — with 0/1 columns active, has_pp, has_event, has_mss,
    has_dmp. Each numerator is a sum over these rows, so it is a part of its denominator."""
    start, end = bounds(period)
    ids = ", ".join(["%s"] * len(facility_ids)) or "NULL"
    pp_counted = ", ".join(["%s"] * len(d.PP_STATUSES_COUNTED))
    pp_events = ""
    if not agenda_only:
        pp_events = (
            f"UNION SELECT facility_id, person_id FROM {_q(ProjectChange)} "  # noqa: S608
            f"WHERE facility_id IN ({ids}) AND changed_at >= %s AND changed_at < %s "
            "AND by_job = %s"
        )
    mss_sql, mss_params = _reached(facility_ids, start, end, d.SHARING_CHANNELS[d.MSSANTE])
    dmp_sql, dmp_params = _reached(facility_ids, start, end, d.SHARING_CHANNELS[d.DMP])
    sql = f"""
    WITH st AS (
        SELECT DISTINCT facility_id, person_id
        FROM {_q(Stay)}
        WHERE facility_id IN ({ids}) AND start_date < %s
          AND (end_date IS NULL OR end_date >= %s)
    ), ev AS (
        SELECT DISTINCT facility_id, person_id FROM {_q(EventChange)}
        WHERE facility_id IN ({ids}) AND changed_at >= %s AND changed_at < %s AND by_job = %s
        {pp_events}
    ), pp AS (
        SELECT DISTINCT facility_id, person_id FROM {_q(ProjectChange)} c
        WHERE facility_id IN ({ids}) AND status IN ({pp_counted}) AND changed_at < %s
          AND NOT EXISTS (
              SELECT 1 FROM {_q(ProjectChange)} n
              WHERE n.project_id = c.project_id AND n.changed_at > c.changed_at
                AND n.changed_at <= %s AND n.status <> '')
    ), mss AS ({mss_sql}), dmp AS ({dmp_sql})
    SELECT st.facility_id, st.person_id,
           CASE WHEN EXISTS (SELECT 1 FROM {_q(RecordActivity)} ra
                             WHERE ra.person_id = st.person_id AND ra.day >= %s
                               AND ra.day < %s AND ra.by_job = %s) THEN 1 ELSE 0 END AS active,
           CASE WHEN pp.person_id IS NULL THEN 0 ELSE 1 END AS has_pp,
           CASE WHEN ev.person_id IS NULL THEN 0 ELSE 1 END AS has_event,
           CASE WHEN mss.person_id IS NULL THEN 0 ELSE 1 END AS has_mss,
           CASE WHEN dmp.person_id IS NULL THEN 0 ELSE 1 END AS has_dmp
    FROM st
    LEFT JOIN pp ON pp.facility_id = st.facility_id AND pp.person_id = st.person_id
    LEFT JOIN ev ON ev.facility_id = st.facility_id AND ev.person_id = st.person_id
    LEFT JOIN mss ON mss.facility_id = st.facility_id AND mss.person_id = st.person_id
    LEFT JOIN dmp ON dmp.facility_id = st.facility_id AND dmp.person_id = st.person_id
    """  # noqa: S608  (table names from the models, values as parameters)
    e, s = _date(period.end), _date(period.start)
    params: list[Any] = [*facility_ids, e, s]
    params += [*facility_ids, _instant(start), _instant(end), False]
    if not agenda_only:
        params += [*facility_ids, _instant(start), _instant(end), False]
    params += [*facility_ids, *sorted(d.PP_STATUSES_COUNTED), _instant(end), _instant(start)]
    params += [*mss_params, *dmp_params]
    params += [s, e, False]  # the record changed in the period (one index probe per person)
    return sql, params


def person_ids_sql(
    facility: Facility, period: Period, drilldown: str, agenda_only: bool = False
) -> tuple[str, list[Any]]:
    """SQL selecting the ids of the persons of a drill-down list (for `pk__in=RawSQL(...)`)."""
    population, params = _population([facility.pk], period, agenda_only)
    where = _DRILLDOWN_WHERE[drilldown]
    return f"SELECT person_id FROM ({population}) p WHERE {where}", params  # noqa: S608


def _three_year_file_active(facility_ids: Sequence[int], period: Period) -> dict[int, int]:
    """Mean file active over the three 12-month windows ending with the period (one query)."""
    edges = [d.add_months(period.end, -12 * k) for k in range(4)]  # end, -1y, -2y, -3y
    ids = ", ".join(["%s"] * len(facility_ids))
    windows, params = [], []
    for k in range(3):
        windows.append(
            "COUNT(DISTINCT CASE WHEN start_date < %s AND (end_date IS NULL OR end_date >= %s) "
            "THEN person_id END)"
        )
        params += [_date(edges[k]), _date(edges[k + 1])]
    sql = (
        f"SELECT facility_id, {', '.join(windows)} FROM {_q(Stay)} "  # noqa: S608
        f"WHERE facility_id IN ({ids}) AND start_date < %s "
        "AND (end_date IS NULL OR end_date >= %s) GROUP BY facility_id"
    )
    params += [*facility_ids, _date(edges[0]), _date(edges[3])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {}
    for facility_id, *sizes in rows:
        counted = [n for n in sizes if n]
        mean = d.Decimal(sum(counted)) / len(counted) if counted else d.Decimal(0)
        result[facility_id] = int(mean.quantize(d.Decimal(1), d.ROUND_HALF_UP))
    return result


def compute_figures(
    facility_ids: Sequence[int], period: Period, variants: dict[str, str] | None = None
) -> dict[int, d.Figures]:
    """{facility id: Figures} for the facilities, in 2 or 3 queries whatever their number."""
    chosen = d.resolve_variants(variants)
    facility_ids = sorted(set(facility_ids))
    if not facility_ids:
        return {}
    agenda_only = chosen[d.ACTIVE_EVENT] == d.AGENDA_ONLY
    population, params = _population(facility_ids, period, agenda_only)
    sql = (
        "SELECT facility_id, COUNT(*), SUM(active), SUM(active * has_pp), "  # noqa: S608
        "SUM(active * has_event), SUM(active * has_pp * has_mss), "
        "SUM(active * has_pp * has_dmp), SUM(has_mss), SUM(has_dmp) "
        f"FROM ({population}) p GROUP BY facility_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted = {row[0]: [int(v or 0) for v in row[1:]] for row in cursor.fetchall()}
    three_years = (
        _three_year_file_active(facility_ids, period)
        if chosen[d.ACTIVE] == d.FILE_ACTIVE_3Y
        else {}
    )
    sent = sharing_counts(facility_ids, *bounds(period))
    out = {}
    for facility_id in facility_ids:
        accompanied, actifs, with_pp, with_event, *reached = counted.get(facility_id, [0] * 8)
        pp_mss, pp_dmp, all_mss, all_dmp = reached
        denominator = accompanied
        if chosen[d.ACTIVE] == d.FILE_ACTIVE_3Y:  # the mean, never below the population
            denominator = max(three_years.get(facility_id, 0), accompanied)
        values = {
            d.ACTIVE: (actifs, denominator),
            d.ACTIVE_PP: (with_pp, actifs),
            d.ACTIVE_EVENT: (with_event, actifs),
        }
        for key, in_pp, in_all in ((d.MSSANTE, pp_mss, all_mss), (d.DMP, pp_dmp, all_dmp)):
            with_project = chosen[key] == d.ACTIVE_WITH_PP
            values[key] = (in_pp, with_pp) if with_project else (in_all, accompanied)
        out[facility_id] = d.Figures(values, sent.get(facility_id, (0, 0)))
    return out


def total(figures: Iterable[d.Figures]) -> d.Figures:
    total = d.Figures({key: (0, 0) for key in d.KEYS})
    for item in figures:
        total = total + item
    return total


# --- public interface --------------------------------------------------------------------------


def compute_facility(
    facility: Facility, period: Period, variants: dict[str, str] | None = None
) -> list[IndicatorResult]:
    """The five indicators of one facility (FINESS géographique) for the period."""
    return d.results(compute_figures([facility.pk], period, variants)[facility.pk], variants)


def compute_facilities(
    facilities: Iterable[Facility], period: Period, variants: dict[str, str] | None = None
) -> dict[int, list[IndicatorResult]]:
    """{facility id: its five indicators}, in the same few queries for any number."""
    figures = compute_figures([f.pk for f in facilities], period, variants)
    return {pk: d.results(values, variants) for pk, values in figures.items()}


def compute_organisation(
    organisation: ManagingOrganisation, period: Period, variants: dict[str, str] | None = None
) -> list[IndicatorResult]:
    """The organisation's indicators: sums of its facilities' numerators and denominators."""
    ids = list(Facility.objects.filter(organisation=organisation).values_list("pk", flat=True))
    return d.results(total(compute_figures(ids, period, variants).values()), variants)


def monthly_series(
    facility_or_org: Facility | ManagingOrganisation,
    months: int = 12,
    *,
    last: Period | None = None,
    variants: dict[str, str] | None = None,
) -> list[tuple[Period, list[IndicatorResult]]]:
    """The indicators of each of the `months` months ending with `last` (default: the month
    just ended), oldest first."""
    if isinstance(facility_or_org, Facility):
        ids = [facility_or_org.pk]
    else:
        ids = list(
            Facility.objects.filter(organisation=facility_or_org).values_list("pk", flat=True)
        )
    return series_for(ids, months, last=last, variants=variants)


def series_for(
    facility_ids: Sequence[int],
    months: int = 12,
    *,
    last: Period | None = None,
    variants: dict[str, str] | None = None,
) -> list[tuple[Period, list[IndicatorResult]]]:
    """Monthly indicators of a set of facilities (summed), oldest month first; closed
    months come from the kept figures (cache.py)."""
    from .cache import figures_by_month

    last = last or Period.last_ended(timezone.localdate())
    periods = []
    for back in range(months - 1, -1, -1):
        start = d.add_months(last.end, -back - 1)
        periods.append(Period(start, d.add_months(start, 1)))
    by_month = figures_by_month(facility_ids, periods, variants)
    return [(p, d.results(total(by_month[p].values()), variants)) for p in periods]
