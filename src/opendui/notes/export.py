"""The notes' section of the record export (documents.record_export): every transmission
and observation in force of the categories the reader may read (`categories_for`, as the
Transmissions tab), oldest first, read in chunks. Withdrawn notes are left out, as the
tab shows them to their author and to `note.view_withdrawn` only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_date

from .models import Note
from .selectors import categories_for, person_timeline


def note_content(note: Note) -> str:
    """The note's text as the tab shows it: target, DAR parts, observation, MTVED items."""
    parts = [
        (_("Cible"), note.target),
        (_("Données"), note.data),
        (_("Actions"), note.actions),
        (_("Résultats"), note.results),
    ]
    lines = [f"{label} : {text}" for label, text in parts if text]
    if note.text:
        lines.append(note.text)
    lines.extend(f"{label} : {text}" for label, text in note.mtved)
    return "\n".join(lines) or "–"


def notes_section(reading: RecordReading) -> ExportSection | None:
    categories = categories_for(reading.user, reading.person)
    if not categories:
        return None
    notes = person_timeline(reading.person, categories).order_by("written_at", "pk")
    return ExportSection(
        _("Transmissions et observations"),
        note=_("Toutes les transmissions en vigueur des catégories que vous pouvez lire."),
        tables=(
            ExportTable(
                _("Transmissions"),
                (_("Date"), _("Type"), _("Catégorie"), _("Auteur"), _("Contenu")),
                (
                    (
                        export_date(n.written_at),
                        str(n.get_kind_display()),
                        str(DATA_CATEGORY_LABELS[DataCategory(n.category)]),
                        n.author.get_full_name() or n.author.email,
                        note_content(n),
                    )
                    for n in notes.iterator(chunk_size=500)
                ),
                empty=_("Aucune transmission."),
            ),
        ),
    )
