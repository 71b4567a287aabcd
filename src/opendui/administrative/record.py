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
from opendui.stays.models import AdmissionRequest

from . import rules
from .models import Photo, Right
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


RIGHTS = "administrative.rights"


def rights_and_decisions(reading: Any) -> tuple[list[Right], list[AdmissionRequest]]:
    """The person's rights and MDPH orientation decisions, read once per reading (two
    queries): the administrative page lists them and the banner counts their alerts.
    The caller has checked `person.view_administrative`."""
    person = reading.person
    return reading.shared(RIGHTS, lambda: (rights(person), mdph_decisions(person)))


def rights_banner(reading: Any) -> BannerPart | None:
    """A banner alert when rights or MDPH orientations end within 60 days (or have ended)."""
    if not reading.allowed(VIEW):
        return None
    expiring = rules.alerts(right_facts(*rights_and_decisions(reading)), reading.today)
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
