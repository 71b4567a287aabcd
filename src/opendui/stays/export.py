"""The stays' section of the record export (documents.record_export): administrative
data (`person.view_administrative`, as the Séjours tab): every stay with its discharge,
absences, contracts, and every admission request.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.persons.sections import (
    ExportSection,
    ExportTable,
    RecordReading,
    export_date,
    export_period,
)

from .models import Absence, AdmissionRequest, Contract, Stay

VIEW = "person.view_administrative"


def stays_section(reading: RecordReading) -> ExportSection | None:
    if not reading.allowed(VIEW):
        return None
    person = reading.person
    stays = Stay.objects.filter(person=person).select_related("facility", "unit")
    absences = Absence.objects.filter(stay__person=person).select_related("stay__facility")
    contracts = Contract.objects.filter(stay__person=person).select_related("stay__facility")
    requests = AdmissionRequest.objects.filter(person=person).select_related("facility")
    return ExportSection(
        _("Séjours"),
        tables=(
            ExportTable(
                _("Séjours"),
                (
                    _("Établissement"),
                    _("Unité"),
                    _("Chambre"),
                    _("Période"),
                    _("Mode"),
                    _("Sortie"),
                ),
                (
                    (
                        s.facility.name,
                        s.unit.name if s.unit_id else "–",
                        s.room or "–",
                        export_period(s.start_date, s.end_date),
                        str(s.get_mode_display()) or "–",
                        " – ".join(
                            x
                            for x in (
                                str(s.get_discharge_reason_display()),
                                str(s.get_discharge_destination_display()),
                            )
                            if x
                        )
                        or "–",
                    )
                    for s in stays.order_by("start_date", "pk").iterator(chunk_size=500)
                ),
                empty=_("Aucun séjour."),
            ),
            ExportTable(
                _("Absences"),
                (_("Établissement"), _("Type"), _("Période"), _("Commentaire")),
                (
                    (
                        a.stay.facility.name,
                        str(a.get_kind_display()),
                        export_period(a.start_date, a.end_date),
                        a.comment or "–",
                    )
                    for a in absences.order_by("start_date", "pk").iterator(chunk_size=500)
                ),
                empty=_("Aucune absence."),
            ),
            ExportTable(
                _("Contrats de séjour et documents individuels de prise en charge"),
                (_("Établissement"), _("Nature"), _("Remis le"), _("Signé le")),
                (
                    (
                        c.stay.facility.name,
                        str(c.get_kind_display()),
                        export_date(c.handed_on),
                        export_date(c.signed_on),
                    )
                    for c in contracts.order_by("pk").iterator(chunk_size=500)
                ),
                empty=_("Aucun contrat."),
            ),
            ExportTable(
                _("Demandes d'admission"),
                (_("Établissement"), _("Reçue le"), _("État"), _("Motifs")),
                (
                    (
                        r.facility.name,
                        export_date(r.received_on),
                        str(r.get_status_display()),
                        r.reasons or "–",
                    )
                    for r in requests.order_by("received_on", "pk").iterator(chunk_size=500)
                ),
                empty=_("Aucune demande d'admission."),
            ),
        ),
    )
