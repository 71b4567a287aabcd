"""The audit hook that keeps the indicator tables (models.py) in step with every write.

`audit.services.record` calls `note_change` for each change event that names persons, in
the transaction of the change, so a write and its indicator rows commit or roll back
together. Cost: one `INSERT … ON CONFLICT DO NOTHING` per write (the person's record
changed today), plus one plain insert for a projet personnalisé write (the version's
status when the version row itself was written, none for a section). Reads never come here.
A write made without a user (Actor.system: jobs, imports, the seed) is flagged `by_job`
and left out by the indicators (definitions.py, "Dossier actif").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import ProjectChange, RecordActivity

PP_APP = "accompaniment"
COPY_FROM = 1000  # rows from which a PostgreSQL insert goes through COPY


def insert_record_activity(rows: Iterable[tuple[int, dt.date, bool]]) -> None:
    """Insert (person id, day, by job) rows, ignoring those already there."""
    table = connection.ops.quote_name(RecordActivity._meta.db_table)
    day = RecordActivity._meta.get_field("day")
    params = [(pk, day.get_db_prep_save(d, connection), job) for pk, d, job in rows]
    if not params:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(params) > COPY_FROM:
            # A loader's rows (the demo seed): COPY into a scratch table, then one INSERT.
            cursor.execute(
                "CREATE TEMPORARY TABLE opendui_activity_rows "
                "(person_id bigint, day date, by_job boolean) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY opendui_activity_rows FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} (person_id, day, by_job) "  # noqa: S608
                "SELECT DISTINCT person_id, day, by_job FROM opendui_activity_rows "
                "ON CONFLICT (person_id, day, by_job) DO NOTHING"
            )
            cursor.execute("DROP TABLE opendui_activity_rows")
            return
        cursor.executemany(
            f"INSERT INTO {table} (person_id, day, by_job) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (person_id, day, by_job) DO NOTHING",
            params,
        )


def project_of(obj: Any) -> tuple[int | None, str | None]:
    """(project id, status) of a PP version; (project id, None) for one of its rows."""
    from opendui.accompaniment.models import PersonalisedProject

    if isinstance(obj, PersonalisedProject):
        return obj.pk, obj.status
    if getattr(obj, "project_id", None):
        return obj.project_id, None
    goal = getattr(obj, "goal", None)  # an action sits under an objective
    return (goal.project_id, None) if goal is not None else (None, None)


def note_change(
    *,
    person_ids: list[int],
    occurred_at: dt.datetime,
    by_job: bool,
    obj: Any = None,
    facility_id: int | None = None,
) -> None:
    """Record that these persons' records changed now; a PP write is also an événement."""
    day = timezone.localdate(occurred_at)
    insert_record_activity((pk, day, by_job) for pk in person_ids)
    if obj is None or obj._meta.app_label != PP_APP or facility_id is None:
        return
    project_id, status = project_of(obj)
    if project_id is None:
        return
    _insert_project_change(project_id, person_ids, facility_id, occurred_at, status, by_job)


def _insert_project_change(
    project_id: int,
    person_ids: list[int],
    facility_id: int,
    at: dt.datetime,
    status: str | None,
    by_job: bool,
) -> None:
    ProjectChange.objects.bulk_create(
        ProjectChange(
            project_id=project_id,
            person_id=pk,
            facility_id=facility_id,
            changed_at=at,
            status=status or "",
            by_job=by_job,
        )
        for pk in person_ids
    )
