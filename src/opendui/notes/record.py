"""The notes' part of a person's record (persons.sections): the Transmissions tab and the
latest notes of the synthèse, of the categories the reader may read (notes.selectors
decides). One query, cut in SQL to the LATEST_NOTES latest."""

from __future__ import annotations

from dataclasses import dataclass

from opendui.persons.sections import Block, RecordReading

from .models import Note
from .selectors import categories_for, person_timeline

LATEST_NOTES = 5


@dataclass(frozen=True)
class NotesSection:
    notes: list[Note]


def notes_block(reading: RecordReading) -> Block | None:
    categories = categories_for(reading.user, reading.person)
    if not categories:
        return None
    notes = list(person_timeline(reading.person, categories)[:LATEST_NOTES])
    return Block("notes", "notes/_record_notes.html", NotesSection(notes))
