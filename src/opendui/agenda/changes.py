"""The ESMS Numérique "événement": one EventChange row per participant for every write.

Decisions (programme-esms-numerique.md §1: an événement is "a change of a DUI datum
about a business event, e.g. an agenda update"):

- creation, any update (period, title, participants, presence, report) and any status
  change count, cancellation included: cancelling is an agenda update recorded in the
  person's file, and professionals did use the DUI to do it;
- each occurrence of a series created at once counts (one row per occurrence and person);
- an event without participants (team meeting) is about no record and writes no row;
- a write made by an automatic job (no user: Actor.system) is flagged `by_job`, so that
  the indicator can leave out what nobody typed (agenda.selectors.persons_with_events
  does by default).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from opendui.core.actor import Actor

from .models import ChangeKind, Event, EventChange


def record_event_changes(
    actor: Actor, events: Iterable[tuple[Event, Iterable[int]]], kind: ChangeKind | str
) -> int:
    """Append the rows for (event, participant ids) pairs; call inside the write's transaction."""
    now = timezone.now()
    by_job = actor.user is None
    rows = [
        EventChange(
            person_id=person_id,
            facility_id=event.facility_id,
            event_id=event.pk,
            changed_at=now,
            kind=str(kind),
            by_job=by_job,
        )
        for event, person_ids in events
        for person_id in sorted(set(person_ids))
    ]
    EventChange.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
