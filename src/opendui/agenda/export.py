"""The agenda's section of the record export (documents.record_export): every event of
the person, past and upcoming, as the Agenda tab lists them (`person.view_identity`):
date, nature, title, place, status and presence. Never the report (it needs the data
category's permission on every participant: agenda.access), not even loaded.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_date

from .models import EventParticipant

VIEW = "person.view_identity"


def agenda_section(reading: RecordReading) -> ExportSection | None:
    if not reading.allowed(VIEW):
        return None
    rows = (
        EventParticipant.objects.filter(person_id=reading.person.pk)
        .select_related("event", "event__facility")
        .defer("event__report", "event__non_realisation_reason")
        .order_by("start", "event_id")
    )
    return ExportSection(
        _("Agenda"),
        note=_("Les comptes rendus des événements ne figurent pas dans cet export."),
        tables=(
            ExportTable(
                _("Événements"),
                (_("Début"), _("Nature"), _("Intitulé"), _("Lieu"), _("État")),
                (
                    (
                        export_date(row.event.start),
                        str(row.event.get_kind_display()),
                        row.event.title,
                        row.event.place or row.event.facility.name,
                        str(row.event.get_status_display()),
                    )
                    for row in rows.iterator(chunk_size=500)
                ),
                empty=_("Aucun événement."),
            ),
        ),
    )
