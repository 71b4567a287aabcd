"""The persons an external professional's account may reach (accounts.linked_persons).

A person is followed while a link of the directory (médecin traitant, infirmier
libéral…) to the professional's entry is current on the day: started, not ended. The
entry must be active and tied to the account (ExternalProfessional.account, set by
directory.external_access), with the same national identifier, and the person must belong to the entry's
organisation: an entry of one organisation never opens another's records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q

from .models import PersonProfessional


def current_links_q(day: dt.date) -> Q:
    """Links current on `day`: start <= day <= end, or no end."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))


def followed_persons(user: Any, day: dt.date) -> Q:
    """A Q over Person: the persons `user` follows on `day` through the directory.

    The entry's national identifier must still be the account's: a later correction of
    either (the directory's RPPS, the account's) closes the access at once, rather than
    leave an account reaching the patients of another professional."""
    national_id = getattr(user, "national_id", "")
    if not national_id:
        return Q(pk__in=[])
    links = PersonProfessional.objects.filter(
        current_links_q(day),
        person=OuterRef("pk"),
        professional__account_id=user.pk,
        professional__active=True,
        professional__idnat_ps=national_id,
        professional__organisation_id=OuterRef("organisation_id"),
    )
    return Q(Exists(links))
