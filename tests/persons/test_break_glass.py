from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.accounts.models import BreakGlassGrant
from opendui.audit.models import AuditEvent

REASON = "Remplacement de nuit, chute signalée par l'IME"


def test_out_of_scope_record_is_refused_and_audited(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    response = client.get(f"/personnes/{world.chloe.pk}/")
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert denied.person_ids == [world.chloe.pk]
    assert denied.details["permission"] == "person.view_identity"


def test_break_glass_opens_a_time_limited_flagged_access(world, login):
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    found = client.get(
        "/personnes/acces-exceptionnel/", {"birth_name": "petit", "birth_date": "2012-03-04"}
    )
    assert "PETIT Chloé" in found.content.decode()

    response = client.post(f"/personnes/{world.chloe.pk}/acces-exceptionnel/", {"reason": REASON})
    assert response.status_code == 302
    grant = BreakGlassGrant.objects.get(user=nurse, person=world.chloe)
    assert grant.expires_at > timezone.now()

    page = client.get(f"/personnes/{world.chloe.pk}/")
    assert page.status_code == 200
    assert "Accès exceptionnel" in page.content.decode()
    view = AuditEvent.objects.filter(action="person.view").latest("seq")
    assert view.break_glass is True and view.reason == REASON

    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(f"/personnes/{world.chloe.pk}/").status_code == 403


def test_reason_is_mandatory(world, login):
    client = login(world.user("medecin", facility=world.ehpad))
    client.post(f"/personnes/{world.chloe.pk}/acces-exceptionnel/", {"reason": "urgence"})
    assert not BreakGlassGrant.objects.exists()
    assert client.get(f"/personnes/{world.chloe.pk}/").status_code == 403


def test_roles_without_break_glass_and_other_organisations_are_refused(world, login):
    educator_client = login(world.user("educateur", facility=world.ime))
    assert educator_client.get("/personnes/acces-exceptionnel/").status_code == 403
    assert (
        educator_client.post(
            f"/personnes/{world.anne.pk}/acces-exceptionnel/", {"reason": REASON}
        ).status_code
        == 403
    )
    nurse_client = login(world.user("infirmier", facility=world.ehpad))
    response = nurse_client.post(
        f"/personnes/{world.denis.pk}/acces-exceptionnel/", {"reason": REASON}
    )
    assert response.status_code == 403
    assert not BreakGlassGrant.objects.exists()
