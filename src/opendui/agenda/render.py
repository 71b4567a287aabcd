"""One event as a line of HTML, for plannings and agendas.

Built in Python rather than with a template `{% include %}` per event: a planning page
shows up to 300 events, and an include per event cost about half of the page's time
(docs/benchmarks.md, agenda section). Every value goes through `escape`.

An event may span several days (an outing, an overnight stay: up to MAX_DURATION). In a
planning it is shown on every day it covers, its times clipped to the day ("00:00" and
"24:00" at the cut) and a badge saying which day of how many it is ("suite" on the
following days), so nobody reads a three-day outing as a morning activity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import EventStatus

_PK = 987654321  # placeholder replaced by each event's id (one reverse() per page)


def _plural(n: int) -> str:
    return "s" if n > 1 else ""


def covered_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local day of an event (local datetimes); ending at midnight does
    not cover the next day."""
    last = end - dt.timedelta(microseconds=1) if end > start else start
    return start.date(), last.date()


class EventLines:
    """Renders the rows of one page (the URL pattern and labels are looked up once)."""

    def __init__(self) -> None:
        self.url = reverse("agenda:detail", kwargs={"pk": _PK}).replace(str(_PK), "{}")
        self.tz = timezone.get_current_timezone()
        self.status = {value: str(label) for value, label in EventStatus.choices}

    def _hm(self, value) -> str:
        return f"{value.astimezone(self.tz):%H:%M}"

    def days(self, event) -> tuple[dt.date, dt.date]:
        """The first and last local days the event covers."""
        return covered_days(event.start.astimezone(self.tz), event.end.astimezone(self.tz))

    def _span(self, event, day: dt.date | None) -> tuple[str, str, str]:
        """(start, end, badge) of the event as shown on `day` (None: the whole event)."""
        first, last = self.days(event)
        if day is None or first == last:
            return self._hm(event.start), self._hm(event.end), ""
        start = self._hm(event.start) if day == first else "00:00"
        end = self._hm(event.end) if day == last else "24:00"
        n, total = (day - first).days + 1, (last - first).days + 1
        if day == first:
            badge = f"jour 1 sur {total}, jusqu'au {last:%d/%m}"
        else:
            badge = f"suite, jour {n} sur {total}"
        return start, end, f' <span class="badge">{badge}</span>'

    def __call__(self, row: dict[str, Any], day: dt.date | None = None) -> SafeString:
        """The event's line; with `day`, as shown on that day of a planning."""
        event = row["event"]
        start, end, badge = self._span(event, day)
        parts = [
            f'<a href="{self.url.format(event.pk)}">{start}–{end} {escape(event.title)}</a>',
            badge,
        ]
        if event.status != EventStatus.PLANNED:
            parts.append(f' <span class="badge">{escape(self.status[event.status])}</span>')
        names = [p.person.display_name for p in row["participants"]]
        if row["hidden"]:
            n = row["hidden"]
            names.append(f"{n} autre{_plural(n)} personne{_plural(n)}")
        if names:
            parts.append(f"<br><small>{escape(', '.join(names))}</small>")
        if row["professionals"]:
            who = ", ".join(p.full_name for p in row["professionals"])
            parts.append(f"<br><small>Avec : {escape(who)}</small>")
        day = event.start.astimezone(self.tz).date()
        for c in row["conflicts"]:
            conflict = c["conflict"]
            other = conflict.other_start.astimezone(self.tz)
            on = f" le {other:%d/%m}" if other.date() != day else ""
            parts.append(
                f'<br><span class="badge badge-alert">Conflit : {escape(c["who"])} est aussi '
                f"pris(e) de {self._hm(conflict.other_start)} à {self._hm(conflict.other_end)}"
                f"{on}</span>"
            )
        return mark_safe("".join(parts))  # noqa: S308 - values escaped above
