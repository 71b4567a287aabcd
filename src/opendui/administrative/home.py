"""The "Droits à renouveler" card of the home page (registered in AdministrativeConfig).

Audience: who writes the administrative file in the facility (`person.edit_administrative`,
the secretariat and the chefs de service by default). With a facility chosen (or only
one), the first rights ending within 60 days of the persons the reader sees, not renewed:
two queries (the rows, the count when there are more) and one access event naming the
persons shown. With several facilities and none chosen, a hint, no query.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.home import Panel, home_facilities
from opendui.persons.services import record_person_access

from . import rules
from .selectors import expiring_rights
from .services import EDIT

ON_HOME = 10


def expiring_rights_panel(request: HttpRequest) -> Panel | None:
    facilities = [f for f in home_facilities(request) if check(request.user, EDIT, facility=f)]
    if not facilities:
        return None
    if len(facilities) > 1:
        return Panel("administrative/_home_rights.html", {"choose": True})
    facility = facilities[0]
    today = timezone.localdate()
    query = expiring_rights(facility, request.user, today)
    rows = list(query[: ON_HOME + 1])
    count = query.count() if len(rows) > ON_HOME else len(rows)
    rows = rows[:ON_HOME]
    persons = list({r.person_id: r.person for r in rows}.values())
    record_person_access(Actor.from_request(request), "administrative.rights_home", persons)
    return Panel(
        "administrative/_home_rights.html",
        {
            "facility": facility,
            "rows": rows,
            "count": count,
            "days": rules.ALERT_DAYS,
        },
    )
