from __future__ import annotations

from opendui.audit.models import AuditEvent


def test_educator_sees_only_persons_of_their_facility(world, login):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    response = client.get("/personnes/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "PETIT Chloé" in body
    assert "MARTIN" not in body and "DURAND" not in body


def test_list_display_is_audited_with_the_persons_shown(world, login):
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    client.get("/personnes/")
    event = AuditEvent.objects.filter(action="person.list").latest("seq")
    assert sorted(event.person_ids) == sorted([world.anne.pk, world.bruno.pk])
    assert event.user_id == nurse.pk


def test_search_is_accent_and_case_insensitive(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    body = client.get("/personnes/", {"q": "lefevre"}).content.decode()
    assert "LEFÈVRE Bruno" in body
    assert "MARTIN" not in body
