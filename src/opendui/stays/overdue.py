"""Overdue steps of the contrat de séjour / DIPC, selected in SQL.

The legal due dates are counted from each stay's admission date (and from the signature
or last update for the yearly update), so "is this step overdue today?" becomes a
comparison of a stored date with a threshold that depends on `today` only:

    step overdue  ⟺  due(date) < today  ⟺  date ≤ last_overdue(today)

because every due-date function (`date + 15 days`, `rules.add_months(date, n)`) is
non-decreasing. The thresholds are computed once in Python with the very functions of
`rules`, so month ends (31 January + 1 month = 28 February…) behave exactly as the pure
`rules.overdue_items`; the database only compares dates, whatever their number.

The latest contract of each stay (newest `created_at`, then highest id) is read through
correlated sub-queries. The items shown for a row come from the pure rule applied to
the row's annotated dates, so the list and the rule can never disagree
(tests/stays/test_overdue_sql.py checks it with random stays).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from opendui.accounts.access import scope_for
from opendui.core.pagination import Page, page_of
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from .models import Contract, Stay
from .rules import HANDOVER_DAYS, ContractFacts, add_months, overdue_items


def last_overdue(today: dt.date, months: int) -> dt.date:
    """The latest date d such that add_months(d, months) < today.

    add_months is non-decreasing and adds at most 31 days a month, so d = today − (31·m + 1)
    days is overdue and today is not: a binary search between them finds the boundary.
    """
    low = today - dt.timedelta(days=31 * months + 1)  # overdue
    high = today  # not overdue (months ≥ 1)
    while (high - low).days > 1:
        middle = low + (high - low) // 2
        if add_months(middle, months) < today:
            low = middle
        else:
            high = middle
    return low


@dataclass(frozen=True)
class Thresholds:
    """Latest admission (or signature/update) dates whose step is overdue on `today`."""

    handover: dt.date
    signature: dt.date
    objectives_amendment: dt.date
    yearly_update: dt.date

    @classmethod
    def on(cls, today: dt.date) -> Thresholds:
        return cls(
            handover=today - dt.timedelta(days=HANDOVER_DAYS + 1),
            signature=last_overdue(today, 1),
            objectives_amendment=last_overdue(today, 6),
            yearly_update=last_overdue(today, 12),
        )


#: Who follows a facility's overdue contracts: those who manage its stays (secretariat,
#: chef de service) and its direction (facility directors and the directeur général,
#: whose roles hold the facility overview but not the management of stays).
FOLLOW_CONTRACTS = ("person.create", "facility.view_overview")
#: The persons a reader sees in the list: those of their scope for the administrative
#: data the contract belongs to (a unit-level reader sees their unit).
READ = "person.view_administrative"

_CONTRACT_FIELDS = ("kind", "handed_on", "signed_on", "objectives_amendment_on", "last_update_on")


def _latest(field: str) -> Subquery:
    return Subquery(
        Contract.objects.filter(stay=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values(field)[:1]
    )


def with_latest_contract(stays: QuerySet[Stay]) -> QuerySet[Stay]:
    """`stays` annotated with their latest contract's id and dates (`c_<field>`), as
    `describe_contract` expects: the person page reads its stays' contracts this way too."""
    return stays.annotate(
        latest_contract_id=_latest("pk"),
        **{f"c_{name}": _latest(name) for name in _CONTRACT_FIELDS},
    )


def _running(facility: Facility, today: dt.date, reader: Any = None) -> QuerySet[Stay]:
    stays = Stay.objects.filter(facility=facility, start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    if reader is not None:
        scope = scope_for(reader, READ)
        if not scope.covers_facility(facility):
            return stays.none()
        seen = Person.objects.filter(scope.persons_filter(facility), pk=OuterRef("person_id"))
        stays = stays.filter(Exists(seen))
    return stays


def overdue_stays(facility: Facility, today: dt.date, reader: Any = None) -> QuerySet[Stay]:
    """Stays running on `today` in the facility with at least one overdue contract step,
    of the persons `reader` sees (`READ` scope) when a reader is given.

    Annotated with the latest contract's id and dates (`c_<field>`); oldest admissions first.
    """
    limits = Thresholds.on(today)
    return (
        with_latest_contract(_running(facility, today, reader))
        .annotate(c_reference=Greatest("c_signed_on", Coalesce("c_last_update_on", "c_signed_on")))
        .filter(
            Q(c_handed_on__isnull=True, start_date__lte=limits.handover)
            | Q(c_signed_on__isnull=True, start_date__lte=limits.signature)
            | Q(c_objectives_amendment_on__isnull=True, start_date__lte=limits.objectives_amendment)
            # Due only once signed. GREATEST skips NULLs on PostgreSQL (not on SQLite):
            # an update date on an unsigned contract must not make it due.
            | Q(c_signed_on__isnull=False, c_reference__lte=limits.yearly_update)
        )
        .select_related("person", "unit")
        .order_by("start_date", "pk")
    )


@dataclass(frozen=True)
class OverdueContract:
    stay: Stay
    contract_id: int | None
    facts: ContractFacts
    items: list[tuple[str, dt.date]]


def describe_contract(stay: Stay, today: dt.date) -> OverdueContract:
    """The overdue items of one row annotated by `with_latest_contract`, by the pure rule."""
    contract_id = stay.latest_contract_id
    facts = ContractFacts(
        admission_date=stay.start_date,
        **(
            {name: getattr(stay, f"c_{name}") for name in _CONTRACT_FIELDS}
            if contract_id is not None
            else {}
        ),
    )
    return OverdueContract(stay, contract_id, facts, overdue_items(facts, today))


def overdue_contracts(
    facility: Facility, today: dt.date, *, limit: int | None = None, reader: Any = None
) -> list[OverdueContract]:
    """The overdue stays (all, or the first `limit`), each with its items: one query."""
    stays = overdue_stays(facility, today, reader)
    if limit is not None:
        stays = stays[:limit]
    return [describe_contract(stay, today) for stay in stays]


def count_overdue_contracts(facility: Facility, today: dt.date, reader: Any = None) -> int:
    return overdue_stays(facility, today, reader).count()


def overdue_page(
    facility: Facility, today: dt.date, page: str | None, size: int, *, reader: Any = None
) -> Page:
    """One page of overdue stays (one query, no count), rows described by the pure rule."""
    result = page_of(overdue_stays(facility, today, reader), page, size)
    result.object_list = [describe_contract(stay, today) for stay in result.object_list]
    return result
