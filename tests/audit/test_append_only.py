"""The audit tables refuse changes: in the model layer, and in the database itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from opendui.audit.models import AppendOnlyError, AuditEvent, AuditEventPerson

from .conftest import sql, tampering


@pytest.fixture
def event(trail):
    return trail(3)[0]  # concerns persons 101 and 102


def test_saving_an_existing_event_is_refused(event):
    event.user_label = "quelqu'un d'autre"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).user_label == "test"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("model", [AuditEvent, AuditEventPerson])
def test_queryset_update_and_delete_are_refused(event, model):
    with pytest.raises(AppendOnlyError):
        model.objects.all().update(pk=0)
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update(list(model.objects.all()), ["pk"])
    assert model.objects.count() == (3 if model is AuditEvent else 2)


def test_index_rows_refuse_save_and_delete(event):
    link = AuditEventPerson.objects.filter(event=event).first()
    link.person_id = 999
    with pytest.raises(AppendOnlyError):
        link.save()
    with pytest.raises(AppendOnlyError):
        link.delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET user_label = 'x' WHERE id = {event.pk}",
        "DELETE FROM audit_auditevent WHERE id > {event.pk}",
        "UPDATE audit_auditeventperson SET person_id = 999",
        "DELETE FROM audit_auditeventperson",
    ],
)
def test_database_triggers_refuse_raw_update_and_delete(event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(event=event))
    assert AuditEvent.objects.get(pk=event.pk).user_label == "test"
    assert AuditEvent.objects.count() == 3
    assert sorted(AuditEventPerson.objects.values_list("person_id", flat=True)) == [101, 102]


def test_tampering_helper_lifts_the_triggers_then_puts_them_back(event):
    with tampering():
        sql("UPDATE audit_auditevent SET user_label = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).user_label == "x"
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("UPDATE audit_auditevent SET user_label = 'y' WHERE id = %s", [event.pk])


def test_the_whole_trail_cannot_be_wiped_at_once(world):
    """TRUNCATE on PostgreSQL (row triggers do not see it), an unfiltered DELETE on SQLite."""
    from opendui.audit.services import record
    from opendui.core.actor import Actor

    record(Actor.system("test"), "system", "test.event")
    statement = (
        "TRUNCATE audit_auditevent CASCADE"
        if connection.vendor == "postgresql"
        else "DELETE FROM audit_auditevent"
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.event").exists()
