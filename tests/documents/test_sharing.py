"""Sharing records: the interface the DMP/MSSanté indicators read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from opendui.documents.models import Sharing
from opendui.documents.selectors import persons_reached, sharing_counts, sharings_in_period

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def make(world, channel, when, person=None, status="sent", facility=None):
    return Sharing.objects.create(
        channel=channel,
        facility=facility or world.ehpad,
        person=person,
        sent_at=when,
        status=status,
    )


@pytest.mark.django_db
def test_a_dmp_document_always_has_a_person_and_values_are_known(world):
    for bad in ({"channel": "DMP"}, {"channel": "FAX"}, {"channel": "DMP", "status": "?"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Sharing.objects.create(facility=world.ehpad, sent_at=START, **bad)
    make(world, "MSSANTE", START)  # a message about nobody is fine


@pytest.mark.django_db
def test_period_facility_and_status_filters(world):
    inside = make(world, "MSSANTE", START)
    make(world, "MSSANTE", END)  # end excluded
    make(world, "MSSANTE", START, status="failed")
    make(world, "MSSANTE", START, facility=world.ime)
    dmp = make(world, "DMP", START, person=world.anne)
    make(world, "DMP", START + dt.timedelta(days=2), person=world.anne)
    make(world, "DMP", START, person=world.bruno, status="failed")
    rows = sharings_in_period([world.ehpad.pk], START, END)
    assert set(rows) == {inside, dmp, *Sharing.objects.filter(person=world.anne)}
    assert list(sharings_in_period([world.ehpad.pk], START, END, channel="MSSANTE")) == [inside]
    assert sharings_in_period([world.ehpad.pk], START, END, sent_only=False).count() == 5
    # (messages, documents) accepted, whoever they concern: Anne's two documents count two.
    assert sharing_counts([world.ehpad.pk, world.ime.pk], START, END) == {
        world.ehpad.pk: (1, 2),
        world.ime.pk: (1, 0),
    }
    # The persons reached: each once, accepted sendings only, a person needed.
    assert list(persons_reached([world.ehpad.pk], START, END, "DMP")) == [
        (world.ehpad.pk, world.anne.pk)
    ]
    assert list(persons_reached([world.ehpad.pk], START, END, "MSSANTE")) == []


@pytest.mark.django_db
def test_record_sharing_validates_audits_and_counts(world):
    from django.core.exceptions import ValidationError

    from opendui.audit.models import AuditEvent
    from opendui.core.actor import Actor
    from opendui.documents.services import record_sharing

    job = Actor.system("dmp")
    with pytest.raises(ValidationError, match="concerne toujours une personne"):
        record_sharing(job, channel="DMP", facility=world.ehpad, sent_at=START)
    with pytest.raises(ValidationError, match="organisme"):
        record_sharing(job, channel="DMP", facility=world.ehpad, sent_at=START, person=world.denis)
    with pytest.raises(ValidationError, match="Canal inconnu"):
        record_sharing(job, channel="FAX", facility=world.ehpad, sent_at=START)
    assert not Sharing.objects.exists()
    row = record_sharing(
        job,
        channel="DMP",
        facility=world.ehpad,
        sent_at=START,
        person=world.anne,
        external_id="X1",
        document_reference="Projet personnalisé v2",
    )
    event = AuditEvent.objects.get(action="sharing.dmp")
    assert event.person_ids == [world.anne.pk] and event.object_id == str(row.pk)
    assert sharing_counts([world.ehpad.pk], START, END) == {world.ehpad.pk: (0, 1)}
