"""The incidents' section of the record export (documents.record_export): the
événements indésirables concerning the person that the reader may open, by the rule of
the incident page: its declarer, or a holder of `incident.manage` on its facility
(asked once per facility). Shown only when there is one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.accounts.access import check
from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_date

from .models import Incident
from .services import MANAGE


def readable_incidents(reading: RecordReading) -> list[Incident]:
    """The person's incidents the reader may open, oldest first."""
    rows = (
        Incident.objects.filter(persons=reading.person)
        .select_related("facility")
        .order_by("occurred_at", "pk")
    )
    managed: dict[int, bool] = {}
    kept = []
    for incident in rows.iterator(chunk_size=200):
        if incident.facility_id not in managed:
            managed[incident.facility_id] = bool(
                check(reading.user, MANAGE, facility=incident.facility)
            )
        if incident.declared_by_id == reading.user.pk or managed[incident.facility_id]:
            kept.append(incident)
    return kept


def incidents_section(reading: RecordReading) -> ExportSection | None:
    incidents = readable_incidents(reading)
    if not incidents:
        return None
    return ExportSection(
        _("Événements indésirables"),
        tables=(
            ExportTable(
                _("Événements indésirables concernant la personne"),
                (_("Survenu le"), _("Établissement"), _("Gravité"), _("État"), _("Faits")),
                [
                    (
                        export_date(i.occurred_at),
                        i.facility.name,
                        str(i.get_severity_display()),
                        str(i.get_status_display()),
                        i.description,
                    )
                    for i in incidents
                ],
            ),
        ),
    )
