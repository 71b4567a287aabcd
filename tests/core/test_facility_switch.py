"""The facility switcher refuses facilities outside the user's assignments, audited."""

from __future__ import annotations

from opendui.audit.models import AuditEvent


def test_a_refused_facility_switch_is_audited(world, login):
    """(Review finding A16.) A facility outside the user's assignments is refused with an
    audit row, like every other refusal."""
    user = world.user("educateur", facility=world.ime)
    client = login(user)
    response = client.post(
        "/etablissement/choisir/", {"facility": str(world.other.pk), "next": "/"}
    )
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert event.user_id == user.pk
    assert event.details["permission"] == "facility.switch"
    assert client.session.get("current_facility_id") != world.other.pk
