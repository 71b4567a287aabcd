"""The agenda's card on the home page (registered in `AgendaConfig.ready`).

For the care and support team (`core.home.accompanies`): today's events of each of
their facilities, in time order, as the day planning lists them for the reader (a unit
professional sees the events of the persons they see and the team meetings, through
`selectors.events_between`). Titles, times and units only, no participant named (the
planning, one click away, names them and records the access): two queries a facility.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone

from opendui.core.home import Panel, care_facilities

from .selectors import events_between
from .views_common import local_midnight

SHOWN = 8


def today_events_panel(request: HttpRequest) -> Panel | None:
    facilities = care_facilities(request)
    if not facilities:
        return None
    today = timezone.localdate()
    start, end = local_midnight(today), local_midnight(today + dt.timedelta(days=1))
    blocks = []
    for facility in facilities:
        events, more = events_between(request.user, facility, start, end, limit=SHOWN)
        blocks.append({"facility": facility, "events": events, "more": more})
    return Panel("agenda/_home_today.html", {"blocks": blocks, "today": today})
