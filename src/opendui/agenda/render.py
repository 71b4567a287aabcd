"""One event as a line of HTML, for plannings and agendas.

Built in Python rather than with a template `{% include %}` per event: a planning page
shows up to 300 events, and an include per event cost about half of the page's time
(docs/benchmarks.md, agenda section). Every value goes through `escape`.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import EventStatus

_PK = 987654321  # placeholder replaced by each event's id (one reverse() per page)


def _plural(n: int) -> str:
    return "s" if n > 1 else ""


class EventLines:
    """Renders the rows of one page (the URL pattern and labels are looked up once)."""

    def __init__(self) -> None:
        self.url = reverse("agenda:detail", kwargs={"pk": _PK}).replace(str(_PK), "{}")
        self.tz = timezone.get_current_timezone()
        self.status = {value: str(label) for value, label in EventStatus.choices}

    def _hm(self, value) -> str:
        return f"{value.astimezone(self.tz):%H:%M}"

    def __call__(self, row: dict[str, Any]) -> SafeString:
        event = row["event"]
        parts = [
            f'<a href="{self.url.format(event.pk)}">{self._hm(event.start)}–'
            f"{self._hm(event.end)} {escape(event.title)}</a>"
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
