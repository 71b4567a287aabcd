"""The directory's section of the record export (documents.record_export): the person's
professionals and structures (médecin traitant first), ended links included, read with
`professionals_of` like the Administratif tab (`person.view_administrative`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_period

from .selectors import PERSON_VIEW, professionals_of


def professionals_section(reading: RecordReading) -> ExportSection | None:
    if not reading.allowed(PERSON_VIEW):
        return None
    links = professionals_of(reading.user, reading.person, include_ended=True)

    def who(link) -> str:
        entry = link.professional or link.structure
        return str(entry) if entry is not None else "–"

    def contact(link) -> str:
        entry = link.professional or link.structure
        if entry is None:
            return "–"
        return (
            " – ".join(x for x in (entry.address, entry.postal_code, entry.city, entry.phone) if x)
            or "–"
        )

    return ExportSection(
        _("Médecin traitant et professionnels"),
        tables=(
            ExportTable(
                _("Professionnels et structures qui suivent la personne"),
                (_("Rôle"), _("Professionnel ou structure"), _("Coordonnées"), _("Période")),
                [
                    (
                        str(link.get_role_display()),
                        who(link),
                        contact(link),
                        export_period(link.start_date, link.end_date),
                    )
                    for link in links
                ],
                empty=_("Aucun professionnel extérieur."),
            ),
        ),
    )
