"""What the record banner and the synthèse take from the administrative file.

`photo_url(user, person)` and `rights_alerts(user, person, today)` are plain functions
for the record's registry to call; they check the reader's permission themselves and
write nothing (the page that shows them writes its access event).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from opendui.accounts.access import check
from opendui.persons.models import Person

from . import rules
from .models import Photo
from .selectors import VIEW, mdph_decisions, right_facts, rights


def photo_url(user: Any, person: Person) -> str | None:
    """The address of the person's current photo, or None when the reader may not see
    the administrative file, there is no photo, or its consent was withdrawn.

    One indexed query (`photo_current`) beyond the permission check, whose placements
    are cached on the person instance (the banner has already checked).
    """
    if not check(user, VIEW, person=person):
        return None
    pk = (
        Photo.objects.filter(
            person_id=person.pk, superseded_at__isnull=True, consent__withdrawn_on__isnull=True
        )
        .values_list("pk", flat=True)
        .first()
    )
    return reverse("administrative:photo", kwargs={"photo_pk": pk}) if pk else None


def rights_alerts(user: Any, person: Person, today: dt.date) -> list[str]:
    """French renewal alerts for the person's rights and MDPH orientations ending within
    60 days or expired (not renewed); [] when the reader may not see them. Two queries."""
    if not check(user, VIEW, person=person):
        return []
    facts = right_facts(rights(person), mdph_decisions(person))
    return [alert.message for alert in rules.alerts(facts, today)]
