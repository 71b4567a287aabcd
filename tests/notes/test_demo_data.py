"""Demo notes: deterministic, within the stays and the window, never in the future."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from opendui.notes.demo_data import seed_notes
from opendui.notes.models import Note
from opendui.stays.models import Stay


def test_seed_notes(world, team):
    today = timezone.localdate()
    Stay.objects.filter(person=world.bruno).update(start_date=today - dt.timedelta(days=3))
    authors = {
        "care": [team["infirmier"], team["aide-soignant"]],
        "social": [team["educateur"]],
        "psychological": [team["psychologue"]],
    }
    stays = Stay.objects.filter(facility=world.ehpad)
    created = seed_notes(stays, random.Random(1), authors, today, per_person_per_week=7)
    assert created == Note.objects.count() > 14
    assert set(Note.objects.values_list("category", flat=True)) <= set(authors)
    assert not Note.objects.filter(written_at__gt=timezone.now()).exists()
    assert Note.objects.filter(person=world.bruno, kind="macrocible").count() == 1
    assert not Note.objects.filter(
        written_at__lt=timezone.now() - dt.timedelta(weeks=2, days=1)
    ).exists()
    for note in Note.objects.all():
        note.full_clean()
