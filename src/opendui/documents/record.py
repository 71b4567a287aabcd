"""The documents app's part of the synthèse: the record export's action."""

from __future__ import annotations

from opendui.persons.sections import Block, RecordReading


def export_block(reading: RecordReading) -> Block | None:
    """The "Exporter le dossier" button, for the readers who may export the record
    (`person.export`, the permission every export view checks again)."""
    if not reading.allowed("person.export"):
        return None
    return Block("export", "documents/_record_export.html")
