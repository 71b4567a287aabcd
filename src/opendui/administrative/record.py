"""What the record banner takes from the administrative file: the photo and the rights'
renewal alerts, as providers of the record's registry (persons.sections, registered in
apps.py). They check the reader's permission themselves and write nothing (the page that
shows them writes its access event).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import ngettext

from opendui.persons.models import Person
from opendui.persons.sections import BannerPart

from . import rules
from .models import Photo
from .selectors import VIEW, mdph_decisions, right_facts, rights


def _current_photo_url(person: Person) -> str | None:
    pk = (
        Photo.objects.filter(
            person_id=person.pk, superseded_at__isnull=True, consent__withdrawn_on__isnull=True
        )
        .values_list("pk", flat=True)
        .first()
    )
    return reverse("administrative:photo", kwargs={"photo_pk": pk}) if pk else None


def banner_photo(reading: Any) -> str | None:
    """The banner's photo: the current one, when the reader may see the administrative
    file; None without a photo or once its consent is withdrawn. One indexed query
    (`photo_current`) beyond the permission check."""
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
