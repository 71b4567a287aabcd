"""Writing the audit trail. Every service that shows or changes a person's data calls it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from opendui.core.actor import Actor

from .models import AuditEvent, AuditEventPerson, EventKind

# Functions called, in the write's transaction, for every change event that names persons:
# modules that keep a derived view of record activity (the usage indicators of
# pilotage) register here from their AppConfig.ready(), so the audit depends on none.
CHANGE_LISTENERS: list[Callable[..., None]] = []


def on_person_change(listener: Callable[..., None]) -> None:
    """Register `listener(person_ids=, occurred_at=, by_job=, obj=, facility_id=)`."""
    if listener not in CHANGE_LISTENERS:
        CHANGE_LISTENERS.append(listener)


# Fields whose values never enter the trail.
SECRET_FIELDS = frozenset({"password", "totp_secret", "totp_last_counter"})


def _json_float(text: str) -> float | int:
    """A float as a JSON column gives it back: PostgreSQL's jsonb writes 1e+16 as an integer
    and has no negative zero, so such values are stored in that form from the start."""
    number = float(text)
    if number == 0:
        return 0.0
    if abs(number) >= 1e16 and math.isfinite(number):
        return int(number)
    return number


def json_safe(value: Any) -> Any:
    """Turn dates, decimals and UUIDs into the strings they round-trip as in JSON columns."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder), parse_float=_json_float)


def _stored_address(address: str | None) -> str | None:
    """The address as the database gives it back (e.g. '::ffff:1.2.3.4' for an IPv4-mapped
    IPv6 address), so that the hash computed here matches the row read back by `verify`."""
    if not address:
        return None
    return AuditEvent._meta.get_field("address").get_prep_value(address)


def record(
    actor: Actor,
    kind: EventKind | str,
    action: str,
    *,
    person_ids: Iterable[int] = (),
    obj: models.Model | None = None,
    details: Mapping[str, Any] | None = None,
    organisation_id: int | None = None,
    facility_id: int | None = None,
    break_glass: bool = False,
    reason: str = "",
) -> AuditEvent | None:
    """Append one event, in the caller's transaction when there is one.

    No lock is taken: concurrent requests insert their events side by side, and
    the sealer (`sealing.seal_pending`) links them into the keyed chain once
    their transactions have ended. The event is written before the caller goes
    on (a page is rendered only after its access event is written; a change
    commits with its event, or neither does).
    """
    if not settings.AUDIT_ENABLED:
        return None
    persons = sorted({int(pk) for pk in person_ids})
    with transaction.atomic():
        event = AuditEvent(
            occurred_at=timezone.now(),
            kind=str(kind),
            action=action,
            user_id=actor.user_id,
            user_label=actor.label or (actor.user.email if actor.user else ""),
            address=_stored_address(actor.address),
            organisation_id=organisation_id,
            facility_id=facility_id if facility_id is not None else actor.facility_id,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            person_ids=persons,
            details=json_safe(dict(details or {})),
            break_glass=break_glass,
            reason=reason,
        )
        if connection.vendor == "postgresql":
            _insert_in_one_statement(event, persons)
        else:
            # SQLite: the transaction holds the database's single write lock (IMMEDIATE),
            # so the next number cannot be taken by another writer meanwhile.
            newest = AuditEvent.objects.aggregate(newest=models.Max("seq"))["newest"]
            event.seq = (newest or 0) + 1
            event.save(force_insert=True)
            if persons:
                _insert_person_links(event.pk, persons)
        if event.kind == EventKind.CHANGE and persons:
            for listener in CHANGE_LISTENERS:
                listener(
                    person_ids=persons,
                    occurred_at=event.occurred_at,
                    by_job=actor.user is None,
                    obj=obj,
                    facility_id=event.facility_id,
                )
    return event


# PostgreSQL sequence of event numbers (migration 0004): taken without a lock; a rolled
# back transaction leaves its number unused, which `audit verify` does not report (the
# keyed chain, not the numbering, proves that no sealed event is missing).
EVENT_NUMBERS = "audit_auditevent_number"
_UNSET = ("seq", "txid", "prev_hash", "hash")


def _insert_in_one_statement(event: AuditEvent, person_ids: list[int]) -> None:
    """PostgreSQL: insert the event and its person index in one round trip (a
    data-modifying CTE). The number comes from a sequence and the transaction id from
    the column default: nothing here waits for another request."""
    quote = connection.ops.quote_name
    fields = [
        f for f in AuditEvent._meta.concrete_fields if not f.primary_key and f.attname not in _UNSET
    ]
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    sql = (
        f"WITH ev AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608
        f"(seq, prev_hash, hash, {columns}) "
        f"VALUES (nextval('{EVENT_NUMBERS}'), '', '', {placeholders}) RETURNING id, seq, txid), "
        f"links AS (INSERT INTO {quote(AuditEventPerson._meta.db_table)} (event_id, person_id) "
        "SELECT ev.id, unnest(%s::bigint[]) FROM ev) "
        "SELECT id, seq, txid FROM ev"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, person_ids])
        event.pk, event.seq, event.txid = cursor.fetchone()
    event.prev_hash = event.hash = ""
    event._state.adding = False
    event._state.db = connection.alias


def _insert_person_links(event_id: int, person_ids: list[int]) -> None:
    """One plain INSERT for the person index of an event (a list page names 50 persons):
    building 50 model instances for bulk_create costs more than the statement itself."""
    table = connection.ops.quote_name(AuditEventPerson._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (event_id, person_id) VALUES (%s, %s)",  # noqa: S608
            [(event_id, pk) for pk in person_ids],
        )


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The audited values of a row: concrete fields, foreign keys as ids, secrets left out."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.name in {"created_at", "updated_at"}:
            continue
        values[field.attname] = getattr(instance, field.attname)
    return json_safe(values)


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed (old is None on creation)."""
    before = before or {}
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if name not in before or before[name] != value
    }


def record_change(
    actor: Actor,
    action: str,
    instance: models.Model,
    before: Mapping[str, Any] | None,
    *,
    person_ids: Iterable[int] = (),
    organisation_id: int | None = None,
    facility_id: int | None = None,
    break_glass: bool = False,
) -> AuditEvent | None:
    """Record a create (before=None) or update with the before/after values of each changed field."""
    changes = diff(before, snapshot(instance))
    return record(
        actor,
        EventKind.CHANGE,
        action,
        obj=instance,
        person_ids=person_ids,
        details={"changes": changes, "created": before is None},
        organisation_id=organisation_id,
        facility_id=facility_id,
        break_glass=break_glass,
    )
