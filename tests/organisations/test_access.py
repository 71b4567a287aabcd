"""Who may open the administration pages: the OG's administrators, nobody else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opendui.audit.models import AuditEvent

# (url name, attribute of `world` giving the object whose pk is in the URL, or None)
PAGES = [
    ("og_edit", "og"),
    ("facility_create", "og"),
    ("facility_detail", "ehpad"),
    ("facility_edit", "ehpad"),
    ("unit_create", "ehpad"),
    ("unit_edit", "glycines"),
]
ALL_PAGES = [("admin_home", None), ("og_create", None), *PAGES]


def url_of(world, name, attribute):
    args = [getattr(world, attribute).pk] if attribute else []
    return reverse(f"organisations:{name}", args=args)


@pytest.mark.parametrize(("name", "attribute"), ALL_PAGES)
def test_each_page_renders_for_the_administrator(world, admin_client, name, attribute):
    response = admin_client.get(url_of(world, name, attribute))
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


@pytest.mark.parametrize(("name", "attribute"), PAGES)
def test_administrator_of_another_organisation_is_refused_and_audited(
    world, login, name, attribute
):
    client = login(world.user("admin", organisation=world.other_og))
    url = url_of(world, name, attribute)
    response = client.get(url)
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert denied.details == {"permission": "organisation.manage", "path": url}


@pytest.mark.parametrize(("name", "attribute"), PAGES)
def test_administrator_of_another_organisation_cannot_post_either(world, login, name, attribute):
    client = login(world.user("admin", organisation=world.other_og))
    response = client.post(url_of(world, name, attribute), {"name": "Piratage"})
    assert response.status_code == 403
    world.og.refresh_from_db()
    world.ehpad.refresh_from_db()
    world.glycines.refresh_from_db()
    assert "Piratage" not in {world.og.name, world.ehpad.name, world.glycines.name}
    assert not world.ehpad.units.filter(name="Piratage").exists()


@pytest.mark.parametrize(("name", "attribute"), ALL_PAGES)
def test_educator_is_refused(world, login, name, attribute):
    client = login(world.user("educateur", facility=world.ehpad))
    assert client.get(url_of(world, name, attribute)).status_code == 403


@pytest.mark.parametrize(("name", "attribute"), ALL_PAGES)
def test_facility_wide_administrator_is_refused(world, login, name, attribute):
    """Organisation management needs an organisation-wide assignment."""
    client = login(world.user("admin", facility=world.ehpad))
    assert client.get(url_of(world, name, attribute)).status_code == 403


@pytest.mark.parametrize("name", [name for name, _ in PAGES])
def test_unknown_id_is_404(admin_client, name):
    assert admin_client.get(reverse(f"organisations:{name}", args=[999999])).status_code == 404


def test_unknown_id_is_refused_to_users_who_manage_nothing(world, login):
    client = login(world.user("educateur", facility=world.ehpad))
    assert client.get(reverse("organisations:facility_edit", args=[999999])).status_code == 403


def test_anonymous_user_is_sent_to_the_login_page(world, client):
    response = client.get(reverse("organisations:admin_home"))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_other_administrator_sees_only_their_organisation(world, login):
    client = login(world.user("admin", organisation=world.other_og))
    body = client.get(reverse("organisations:admin_home")).content.decode()
    assert "Fondation Autre" in body and "EHPAD Ailleurs" in body
    assert "Association Test" not in body and "EHPAD Les Tilleuls" not in body
