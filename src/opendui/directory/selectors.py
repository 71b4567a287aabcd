"""Reads of the directory and of a person's professionals, permission-checked.

`professionals_of(user, person)` is the one entry point other apps use (the
administrative file page includes `directory/_person_professionals.html` with its
result). It checks `person.view_administrative` but does NOT write the access event:
the page that shows the result writes its own (`persons.services.record_person_access`),
once for everything it displays, as every record page does.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from opendui.accounts.access import require
from opendui.core.identifiers import normalise_identifier
from opendui.core.text import search_key

from .models import ExternalProfessional, ExternalStructure, PersonProfessional

VIEW = "directory.view"
PERSON_VIEW = "person.view_administrative"


def professionals_of(user: Any, person, *, include_ended: bool = False) -> list[PersonProfessional]:
    """The person's professionals and structures (current ones, médecin traitant first;
    with `include_ended`, the ended ones after them), in one query.

    Raises PermissionDenied unless `user` may read the person's administrative record.
    Writes nothing: the including page records the access.
    """
    require(user, PERSON_VIEW, person=person)
    links = PersonProfessional.objects.filter(person=person).select_related(
        "professional__structure", "structure"
    )
    if not include_ended:
        links = links.filter(end_date__isnull=True)
    rows = list(links)
    rows.sort(
        key=lambda link: (
            link.end_date is not None,
            link.role != "medecin_traitant",
            link.role,
            -(link.end_date or link.start_date).toordinal(),
            link.pk,
        )
    )
    return rows


def _search_q(query: str, *, names: str = "name_key") -> Q | None:
    """Name words (each a prefix of a word of the name), or an identifier (prefix)."""
    query = (query or "").strip()[:100]
    if not query:
        return None
    compact = normalise_identifier(query)
    if re.fullmatch(r"[0-9]{5,14}|2[AB][0-9]{3,7}", compact):
        return None  # identifiers: the caller adds its own columns
    condition = Q()
    # A directory holds hundreds to a few thousand entries per organisation: a scan of
    # the organisation's rows is cheap, and startswith/contains on the accent-free key
    # behaves the same on SQLite and PostgreSQL whatever the collation.
    for word in search_key(query).split():
        condition &= Q(**{f"{names}__startswith": word}) | Q(**{f"{names}__contains": " " + word})
    return condition


def search_professionals(
    organisation_id: int,
    *,
    query: str = "",
    city: str = "",
    profession: str = "",
    include_inactive: bool = False,
) -> QuerySet[ExternalProfessional]:
    """The organisation's professionals matching a name, an RPPS/ADELI number (prefix),
    a city (prefix) and a profession code; ordered by name. Callers check `directory.view`."""
    rows = ExternalProfessional.objects.filter(organisation_id=organisation_id).select_related(
        "structure"
    )
    if not include_inactive:
        rows = rows.filter(active=True)
    compact = normalise_identifier(query)
    if query.strip():
        names = _search_q(query)
        if names is None:
            rows = rows.filter(
                Q(rpps__startswith=compact)
                | Q(adeli__startswith=compact)
                | Q(idnat_ps__startswith=compact)
            )
        else:
            rows = rows.filter(names)
    if city.strip():
        rows = rows.filter(city_key__startswith=search_key(city)[:100])
    if profession:
        rows = rows.filter(profession_code=profession)
    return rows.order_by("name_key", "id")


def search_structures(
    organisation_id: int,
    *,
    query: str = "",
    city: str = "",
    kind: str = "",
    include_inactive: bool = False,
) -> QuerySet[ExternalStructure]:
    """The organisation's structures matching a name, a FINESS/SIRET (prefix), a city, a kind."""
    rows = ExternalStructure.objects.filter(organisation_id=organisation_id)
    if not include_inactive:
        rows = rows.filter(active=True)
    if query.strip():
        names = _search_q(query)
        compact = normalise_identifier(query)
        rows = rows.filter(
            names
            if names is not None
            else Q(finess__startswith=compact) | Q(siret__startswith=compact)
        )
    if city.strip():
        rows = rows.filter(city_key__startswith=search_key(city)[:100])
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("name_key", "id")


def annuaire_entries_to_refresh(
    organisation_id: int, *, checked_before, limit: int = 500
) -> QuerySet[ExternalProfessional]:
    """Active professionals that came from the Annuaire Santé and were last checked
    before `checked_before`, the least recently checked first: what the nightly refresh
    hands to `services.upsert_from_annuaire`, a batch at a time."""
    return ExternalProfessional.objects.filter(
        organisation_id=organisation_id,
        active=True,
        source="annuaire",
        synced_at__lt=checked_before,
    ).order_by("synced_at", "id")[:limit]
