"""Status changes (rules in agenda.rules), presence of each person, and the report."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from opendui.core.actor import Actor

from .access import require_write
from .audit import locked, save_event, snapshot_of
from .changes import record_event_changes
from .models import ChangeKind, Event, EventParticipant
from .rules import Presence, Status, status_problem
from .services import Scope, _following, sync_copies


def _participants(event: Event) -> dict[int, EventParticipant]:
    return {p.person_id: p for p in EventParticipant.objects.filter(event=event)}


def change_status(
    actor: Actor,
    event: Event,
    target: str,
    *,
    reason: str = "",
    expected_version: int | None,
    scope: str = Scope.ONE,
) -> list[Event]:
    """Move the event to `target`. With Scope.FOLLOWING (cancellation of a series from
    this occurrence on), the later open occurrences get the same status and reason."""
    reason = (reason or "").strip()
    with transaction.atomic():
        current = locked(event, expected_version)
        participants = _participants(current)
        require_write(actor.user, current.facility, participants, current.category)
        problem = status_problem(
            current.status, target, reason, [p.present for p in participants.values()]
        )
        if problem:
            raise ValidationError(problem)
        others = []
        if scope == Scope.FOLLOWING:
            if target != Status.CANCELLED:
                raise ValidationError("Seule l'annulation s'applique aux occurrences suivantes.")
            others = _following(current)
        changed = []
        for item in [current, *others]:
            persons = (
                participants
                if item is current
                else set(item.participants.values_list("person_id", flat=True))
            )
            if item is not current:
                require_write(actor.user, item.facility, persons, item.category)
            before = snapshot_of(item)
            old = item.status
            item.status = target
            if reason:
                item.non_realisation_reason = reason
            save_event(
                actor, item, "event.status", before, sorted(persons), {"from": old, "to": target}
            )
            changed.append((item, persons))
        sync_copies([e.pk for e, _ in changed])
        record_event_changes(actor, changed, ChangeKind.STATUS)
    return [e for e, _ in changed]


PRESENCE_LABELS = {Presence.YES: "présent(e)", Presence.NO: "absent(e)", Presence.UNKNOWN: "?"}


def record_presence(
    actor: Actor, event: Event, presences: Mapping[int, str], *, expected_version: int | None
) -> Event:
    """Record whether each participant was there ("usager présent", TDDUI)."""
    with transaction.atomic():
        current = locked(event, expected_version)
        participants = _participants(current)
        require_write(actor.user, current.facility, participants, current.category)
        if current.status == Status.CANCELLED:
            raise ValidationError("L'événement est annulé : la présence ne s'enregistre pas.")
        unknown = set(presences) - set(participants)
        if unknown:
            raise ValidationError("Une des personnes indiquées ne participe pas à cet événement.")
        changes = {}
        for person_id, value in presences.items():
            if value not in {p.value for p in Presence}:
                raise ValidationError("Valeur de présence inconnue.")
            row = participants[person_id]
            if row.present != value:
                changes[str(person_id)] = [row.present, value]
                row.present = value
        if not changes:
            return current
        EventParticipant.objects.bulk_update(
            [participants[int(pk)] for pk in changes], ["present"], batch_size=500
        )
        save_event(
            actor,
            current,
            "event.presence",
            snapshot_of(current),
            sorted(participants),
            {"presence": changes},
        )
        record_event_changes(actor, [(current, participants)], ChangeKind.UPDATE)
    return current


def record_report(
    actor: Actor, event: Event, report: str, *, expected_version: int | None
) -> Event:
    """Write the short report (compte rendu); its data category is the event's."""
    with transaction.atomic():
        current = locked(event, expected_version)
        participants = _participants(current)
        require_write(actor.user, current.facility, participants, current.category)
        if current.status == Status.CANCELLED:
            raise ValidationError("L'événement est annulé : il n'a pas de compte rendu.")
        before = snapshot_of(current)
        current.report = (report or "").strip()
        save_event(actor, current, "event.report", before, sorted(participants))
        record_event_changes(actor, [(current, participants)], ChangeKind.UPDATE)
    return current
