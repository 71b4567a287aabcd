"""What the record banner and the synthèse take from the administrative file.

`photo_url(user, person)` and `rights_alerts(user, person, today)` are plain functions
for the record's registry to call; they check the reader's permission themselves and
write nothing (the page that shows them writes its access event).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import ngettext

from opendui.accounts.access import check
from opendui.persons.models import Person
from opendui.persons.sections import BannerPart

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
    return _current_photo_url(person)


def _current_photo_url(person: Person) -> str | None:
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


# --- record registry providers (persons.sections, registered in apps.py) -----------------


def banner_photo(reading: Any) -> str | None:
    """The banner's photo: the current one, when the reader may see the administrative file."""
    if not reading.allowed(VIEW):
        return None
    return _current_photo_url(reading.person)


def rights_banner(reading: Any) -> BannerPart | None:
    """A banner alert when rights or MDPH orientations end within 60 days (or have ended)."""
    if not reading.allowed(VIEW):
        return None
    facts = right_facts(rights(reading.person), mdph_decisions(reading.person))
    expiring = rules.alerts(facts, reading.today)
    if not expiring:
        return None
    return BannerPart(
        alerts=(
            ngettext(
                "Un droit à renouveler",
                "%(n)d droits à renouveler",
                len(expiring),
            )
            % {"n": len(expiring)},
        )
    )
