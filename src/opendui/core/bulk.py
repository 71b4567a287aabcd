"""Loading many rows at once: `bulk_insert`, bulk_create's fast path for loaders.

On PostgreSQL, Django's bulk_create sends each batch as one INSERT whose values are
quoted into the SQL text by psycopg in Python, then parsed back by the server: for the
demo seed's 100 000 persons and their stays that was most of the client's time. Here
the rows go through `COPY … FROM STDIN` (psycopg's C dumpers, no SQL to parse) after
the primary keys are taken from the table's sequence, so that the caller gets its
instances back with their `pk` set, as from bulk_create. The values are the ones
bulk_create would write: each field's `pre_save` (auto_now dates) then
`get_db_prep_save`. Triggers fire as for an INSERT (COPY runs row and statement
triggers, transition tables included: stays.Placement stays right).

Other databases (SQLite) use bulk_create itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Model
from django.utils import timezone

#: Rows per COPY: bounds the memory of one statement's transition tables.
COPY_ROWS = 20_000


def bulk_insert(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert `objects` (new instances of `model`) and set their primary keys."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=5000)
        return
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup per use
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    pk = meta.pk
    quote = conn.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(meta.db_table)
    now = timezone.now()
    readers = [_reader(field, conn, now) for field in fields]
    with conn.cursor() as cursor:
        missing = [obj for obj in objects if obj.pk is None]
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
        for start in range(0, len(objects), COPY_ROWS):
            chunk = objects[start : start + COPY_ROWS]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in chunk:
                    values = obj.__dict__
                    copy.write_row([read(obj, values) for read in readers])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = conn.alias


# Fields whose Python value psycopg writes as Django would: no conversion needed.
_PLAIN = (
    models.CharField,  # TextField, EmailField… are CharField or TextField
    models.TextField,
    models.IntegerField,  # the small, big and positive ones too
    models.BooleanField,
    models.DecimalField,
    models.FloatField,
)


def _reader(field: Any, conn: Any, now: dt.datetime) -> Callable[[Model, dict], Any]:
    """How to read `field`'s database value from an instance (and its __dict__)."""
    name = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        stamp = now if isinstance(field, models.DateTimeField) else now.date()
        value = field.get_db_prep_save(stamp, conn)

        def auto(obj: Model, values: dict) -> Any:
            values[name] = stamp  # as pre_save leaves it on the instance
            return value

        return auto
    if isinstance(field, models.ForeignKey):

        def related(obj: Model, values: dict) -> Any:
            value = values.get(name)
            if value is None:  # the related object may have got its key after assignment
                target = field.get_cached_value(obj, None)
                if target is not None and target.pk is not None:
                    value = values[name] = target.pk
            return value

        return related
    if isinstance(field, _PLAIN) or type(field) is models.DateField:
        return lambda obj, values: values.get(name)
    return lambda obj, values: field.get_db_prep_save(field.pre_save(obj, True), conn)
