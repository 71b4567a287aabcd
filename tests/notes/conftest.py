"""Helpers for the notes tests: professionals of world.ehpad and a note factory."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.notes.services import write_note


@pytest.fixture
def team(world):
    """One professional per role, assigned to world.ehpad."""
    roles = ["educateur", "aide-soignant", "infirmier", "medecin", "psychologue", "accueil"]
    return {role: world.user(role, facility=world.ehpad) for role in roles}


@pytest.fixture
def note_of():
    """note_of(user, person, category="social", **fields): a transmission written now."""

    def _write(user, person, category="social", *, kind="transmission", **fields):
        content = {"target": "Sommeil", "data": "Réveillée plusieurs fois."}
        if kind == "observation":
            content = {"text": "Calme, a bien mangé."}
        content.update(fields)
        written_at = content.pop("written_at", timezone.now() - dt.timedelta(minutes=5))
        return write_note(
            Actor(user), person, kind=kind, category=category, written_at=written_at, **content
        )

    return _write
