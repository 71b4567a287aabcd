"""The stays app's cards on the home page (registered in `StaysConfig.ready`).

- "Contrats de séjour en retard": for those who follow a facility's contracts (the
  secretariat and chefs de service managing stays, directors with the facility
  overview, the directeur général included). With a facility chosen, its first overdue
  contracts (persons the reader sees, audited); without, a link per facility.
- "Mes résidents": for the care and support team (`core.home.accompanies`), the current
  residents of their units or facilities, a page at a time, audited as a list.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.home import Panel, care_facilities, home_facilities
from opendui.core.pagination import page_of
from opendui.persons.services import record_person_access

from .overdue import FOLLOW_CONTRACTS, count_overdue_contracts, overdue_contracts
from .selectors import current_residents, current_stays_of

OVERDUE_ON_HOME = 10
RESIDENTS_PER_PAGE = 10
RESIDENTS_PAGE = "residents"  # the home page's query parameter for the residents' page


def _follows_contracts(request: HttpRequest, facility) -> bool:
    return any(check(request.user, code, facility=facility) for code in FOLLOW_CONTRACTS)


def overdue_contracts_panel(request: HttpRequest) -> Panel | None:
    """The chosen facility's first overdue contracts (two queries: rows, count), or the
    links to each followed facility's list when none is chosen (no query)."""
    facility = request.current_facility
    if facility is None:
        followed = [f for f in home_facilities(request) if _follows_contracts(request, f)]
        if not followed:
            return None
        return Panel("stays/_home_overdue.html", {"facilities": followed})
    if not _follows_contracts(request, facility):
        return None
    today = timezone.localdate()
    rows = overdue_contracts(facility, today, limit=OVERDUE_ON_HOME, reader=request.user)
    count = (
        count_overdue_contracts(facility, today, request.user)
        if len(rows) == OVERDUE_ON_HOME
        else len(rows)
    )
    record_person_access(
        Actor.from_request(request), "contract.overdue_list", [r.stay.person for r in rows]
    )
    return Panel("stays/_home_overdue.html", {"facility": facility, "rows": rows, "count": count})


def my_residents_panel(request: HttpRequest) -> Panel | None:
    """One page of the current residents of the user's teams, with their unit: two
    queries (the page, their current stays) and one access event naming them."""
    facilities = care_facilities(request)
    if not facilities:
        return None
    page = page_of(
        current_residents(request.user, facilities),
        request.GET.get(RESIDENTS_PAGE),
        RESIDENTS_PER_PAGE,
    )
    persons = page.object_list
    stays = current_stays_of([p.pk for p in persons], facilities) if persons else {}
    if persons:
        record_person_access(
            Actor.from_request(request),
            "home.residents",
            persons,
            details={"page": page.number},
        )
    return Panel(
        "stays/_home_residents.html",
        {
            "rows": [(p, stays.get(p.pk)) for p in persons],
            "page": page,
            "param": RESIDENTS_PAGE,
            "several": len(facilities) > 1,
        },
    )
