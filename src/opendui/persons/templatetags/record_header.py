"""`{% record_header person %}`: the banner and the tabs on top of every page of a record.

Record pages extend `persons/record_base.html`, which calls this tag; a page passes its
`person` and may name its tab (`record_tab` in its context) when the view name does not
tell it. The synthèse passes its `record`, another page may pass its `record_reading`
(a RecordReading of the person), so that the banner reuses what the page has read.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..sections import RecordReading, header_context

register = template.Library()


@register.inclusion_tag("persons/_record_header.html", takes_context=True)
def record_header(context: template.Context, person: Any, active: str = "") -> dict[str, Any]:
    request = context["request"]
    record = context.get("record")
    reading = context.get("record_reading") or getattr(record, "reading", None)
    if not isinstance(reading, RecordReading) or reading.person.pk != person.pk:
        reading = RecordReading(request.user, person)
    match = getattr(request, "resolver_match", None)
    return {
        "person": person,
        **header_context(reading, match.view_name if match else None, active or None),
    }
