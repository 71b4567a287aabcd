"""Writes and audited reads of a person's record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import Decision, grants_of, require
from opendui.accounts.models import BreakGlassGrant
from opendui.accounts.permissions import get_permission
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.text import search_key

from .break_glass import reason_problem
from .listing import PersonRow
from .models import Person


def record_person_access(
    actor: Actor,
    action: str,
    persons: Iterable[Person | PersonRow],
    decision: Decision | None = None,
    details: dict | None = None,
) -> None:
    """An access event for each display or export of persons' data (one event per page)."""
    persons = list(persons)
    if not persons:
        return
    single = persons[0] if len(persons) == 1 else None
    if single is not None and not isinstance(single, Person):
        # A list row (persons.listing.PersonRow): the event names the record all the same.
        single = Person(pk=single.pk, organisation_id=single.organisation_id)
    record(
        actor,
        EventKind.ACCESS,
        action,
        person_ids=[p.pk for p in persons],
        obj=single,
        organisation_id=persons[0].organisation_id,
        details=details or {},
        break_glass=bool(decision and decision.break_glass),
        reason=decision.reason if decision else "",
    )


class BreakGlassRefused(Exception):
    """The request for exceptional access is not acceptable (French message)."""


BREAK_GLASS = "person.break_glass"
MAX_BREAK_GLASS_RESULTS = 10
# A search result's token is good for this long: the reason is typed on the results page.
BREAK_GLASS_TOKEN_MAX_AGE = 30 * 60
_TOKEN_SALT = "opendui.persons.break_glass"  # noqa: S105 - a signing namespace, not a secret


def break_glass_organisations(user: Any) -> set[int]:
    """Organisations where the user's role grants break-the-glass: it reaches records of
    the organisations the user works for with that right, nothing beyond."""
    permission = get_permission(BREAK_GLASS)
    return {g.organisation_id for g in grants_of(user) if g.allows(permission)}


def break_glass_matches(user: Any, birth_name: str, birth_date: dt.date) -> list[Person]:
    """The records an exceptional access may open: the exact birth name (accents and case
    aside) and birth date, in the user's break-the-glass organisations, merged ones aside.

    The search is the safeguard: a professional reaches a record outside their scope only
    by knowing who they look for, never by browsing. It is run again when the access is
    granted, so a person it does not find cannot be opened.
    """
    key = search_key(birth_name or "")
    organisations = break_glass_organisations(user)
    if not key or birth_date is None or not organisations:
        return []
    return list(
        Person.objects.filter(
            organisation_id__in=organisations,
            birth_name_key=key,
            birth_date=birth_date,
            merged_into=None,
        ).order_by("birth_name_key", "first_name", "pk")[:MAX_BREAK_GLASS_RESULTS]
    )


def break_glass_token(user: Any, person: Person) -> str:
    """The token a search result's form carries instead of the record's id: signed, bound
    to the user and short-lived, so it cannot be made up, passed on or kept."""
    return signing.dumps(person.pk, salt=f"{_TOKEN_SALT}:{user.pk}")


def _token_person_id(user: Any, token: str) -> int | None:
    try:
        value = signing.loads(
            token or "", salt=f"{_TOKEN_SALT}:{user.pk}", max_age=BREAK_GLASS_TOKEN_MAX_AGE
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    return value if isinstance(value, int) else None


def open_break_glass(
    actor: Actor, *, birth_name: str, birth_date: dt.date, token: str, reason: str
) -> BreakGlassGrant:
    """Grant time-limited access to a record outside the user's scope.

    The request carries the search (exact birth name and birth date) and the chosen
    result's token, never a raw id: the search is run again here and a record it does
    not find is refused, whatever the page sent. The reason must hold at least
    MIN_REASON_SIGNIFICANT letters or digits (persons.break_glass).
    """
    user = actor.user
    require(user, BREAK_GLASS)
    reason = (reason or "").strip()
    problem = reason_problem(reason)
    if problem:
        raise BreakGlassRefused(problem)
    person_id = _token_person_id(user, token)
    if person_id is None:
        raise BreakGlassRefused(
            "La sélection du dossier n'est plus valable : refaites la recherche puis "
            "choisissez le dossier."
        )
    person = next(
        (p for p in break_glass_matches(user, birth_name, birth_date) if p.pk == person_id), None
    )
    if person is None:
        raise BreakGlassRefused(
            "Ce dossier ne correspond pas à la recherche par nom de naissance et date de "
            "naissance : refaites la recherche."
        )
    require(user, BREAK_GLASS, organisation=person.organisation)
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user,
            person=person,
            reason=reason,
            expires_at=timezone.now() + dt.timedelta(seconds=settings.BREAK_GLASS_DURATION),
        )
        record(
            actor,
            EventKind.ACCESS,
            "person.break_glass",
            person_ids=[person.pk],
            obj=person,
            organisation_id=person.organisation_id,
            details={"expires_at": grant.expires_at.isoformat()},
            break_glass=True,
            reason=reason,
        )
    user.__dict__.pop(f"_opendui_bg_{person.pk}", None)
    return grant
