from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.audit.models import AuditEvent
from opendui.stays.models import Stay


def test_unknown_person_is_404_not_500(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    assert client.get("/personnes/999999/").status_code == 404
    assert client.get("/personnes/0/").status_code == 404


def test_record_page_is_audited(world, login):
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    response = client.get(f"/personnes/{world.anne.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert event.person_ids == [world.anne.pk] and event.user_id == nurse.pk
    assert event.break_glass is False


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_record_page_query_count_does_not_grow_with_history(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    url = f"/personnes/{world.anne.pk}/"
    few = queries_for(client, url)
    Stay.objects.bulk_create(
        Stay(
            person=world.anne,
            facility=world.ehpad,
            unit=world.lilas,
            start_date=dt.date(2000 + n, 1, 1),
            end_date=dt.date(2000 + n, 6, 1),
        )
        for n in range(20)
    )
    assert queries_for(client, url) == few
