"""Writes and audited reads of a person's record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import Decision
from opendui.accounts.models import BreakGlassGrant
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor

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


MIN_REASON_LENGTH = 15


def open_break_glass(actor: Actor, person: Person, reason: str) -> BreakGlassGrant:
    """Grant time-limited access to a record outside the user's scope, with a mandatory reason."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise BreakGlassRefused(
            f"Indiquez le motif de l'accès exceptionnel ({MIN_REASON_LENGTH} caractères au moins)."
        )
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=actor.user,
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
    actor.user.__dict__.pop(f"_opendui_bg_{person.pk}", None)
    return grant
