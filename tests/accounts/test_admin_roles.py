"""Roles as data: functional permissions and the data-category matrix, edited by the admin."""

from __future__ import annotations

import html
import re

import pytest

from opendui.accounts import services_admin
from opendui.accounts.access import check
from opendui.accounts.models import Role, User
from opendui.accounts.permissions import DATA_CATEGORY_LABELS
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor

from .test_admin_support import approve_pending, form_token, role_data


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


def edit(client, role: Role, **overrides):
    return client.post(f"/roles/{role.pk}/modifier/", role_data(role, **overrides))


# --------------------------------------------------------------------------- the list


# The matrix as the administrator reads it on the page (defaults of a new installation).
EXPECTED_MATRIX = """
Accueil / secrétariat               | Lecture et écriture | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès
Administrateur de l'organisme       | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès
Aide-soignant                       | Lecture             | Lecture             | Lecture et écriture | Aucun accès         | Aucun accès
Chef de service                     | Lecture et écriture | Lecture et écriture | Lecture             | Aucun accès         | Aucun accès
Directeur                           | Lecture             | Lecture             | Aucun accès         | Aucun accès         | Aucun accès
Délégué à la protection des données | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès
Infirmier                           | Lecture             | Lecture             | Lecture et écriture | Lecture             | Aucun accès
Infirmier extérieur (infirmier libéral) | Lecture         | Lecture             | Lecture et écriture | Lecture             | Aucun accès
Masseur-kinésithérapeute extérieur  | Lecture             | Aucun accès         | Lecture et écriture | Aucun accès         | Aucun accès
Médecin                             | Lecture             | Lecture             | Lecture et écriture | Lecture et écriture | Lecture
Médecin extérieur (médecin traitant) | Lecture            | Lecture             | Lecture et écriture | Lecture et écriture | Lecture
Psychologue                         | Lecture             | Lecture             | Aucun accès         | Aucun accès         | Lecture et écriture
Référent identitovigilance          | Lecture             | Aucun accès         | Aucun accès         | Aucun accès         | Aucun accès
Éducateur                           | Lecture             | Lecture et écriture | Aucun accès         | Aucun accès         | Aucun accès
"""


def matrix_rows(body: str) -> dict[str, list[str]]:
    table = re.search(r'<table class="matrix">(.*?)</table>', body, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S):
        name, cells = row
        values = [html.unescape(c).strip() for c in re.findall(r"<td>(.*?)</td>", cells, re.S)]
        rows[html.unescape(name)] = values[:-1]  # last cell: the action link
    return rows


def test_role_list_shows_the_data_category_matrix_as_a_table(world, admin_client):
    body = admin_client.get("/roles/").content.decode()
    assert "<caption>Matrice des accès par catégorie de données</caption>" in body
    for label in DATA_CATEGORY_LABELS.values():
        assert f'<th scope="col">{label}</th>' in body
    expected = {
        name.strip(): [cell.strip() for cell in cells.split("|")]
        for name, cells in (line.split("|", 1) for line in EXPECTED_MATRIX.strip().splitlines())
    }
    assert matrix_rows(body) == expected


def test_role_list_shows_functional_permissions(world, admin_client):
    body = admin_client.get("/roles/").content.decode()
    assert "<caption>Permissions fonctionnelles par rôle</caption>" in body
    assert "Gérer les rôles et la matrice des habilitations" in body
    assert "Rechercher dans le journal d&#x27;audit" in body


def test_role_pages_are_refused_to_an_educator(world, login):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    role = Role.objects.get(code="educateur")
    for path in ("/roles/", "/roles/nouveau/", f"/roles/{role.pk}/modifier/"):
        assert client.get(path).status_code == 403
    assert edit(client, role, access_medical="write").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=educator.pk).count() == 4
    assert Role.objects.get(code="educateur").level_for("medical") == "none"


def test_role_list_queries_are_bounded(world, admin_client, django_assert_max_num_queries):
    for i in range(5):
        Role.objects.create(code=f"custom-{i}", name=f"Rôle {i}")
    with django_assert_max_num_queries(10):
        assert admin_client.get("/roles/").status_code == 200


# --------------------------------------------------------------------------- editing


def test_edit_form_has_one_radio_group_per_category(world, admin_client):
    role = Role.objects.get(code="educateur")
    body = admin_client.get(f"/roles/{role.pk}/modifier/").content.decode()
    for category, label in DATA_CATEGORY_LABELS.items():
        assert f"<legend>{label}" in body
        assert body.count(f'name="access_{category}"') == 3
    assert 'type="checkbox" name="permissions" value="person.view_identity"' in body
    assert 'name="permissions" value="person.view_medical"' not in body  # matrix, not a box
    checked = re.search(r'<input type="radio" name="access_social" value="write"[^>]*>', body)
    assert "checked" in checked.group(0)
    assert 'name="code"' not in body  # built-in role: code fixed


def test_matrix_change_changes_what_check_answers(world, admin_client, admin):
    educator = world.user("educateur", facility=world.ime)
    assert not check(educator, "person.view_medical", person=world.chloe)
    role = Role.objects.get(code="educateur")
    response = edit(admin_client, role, access_medical="read")
    assert response.status_code == 302
    # A widening waits for the directeur général.
    assert not check(User.objects.get(pk=educator.pk), "person.view_medical", person=world.chloe)
    approve_pending(world)
    educator = User.objects.get(pk=educator.pk)  # the next request loads fresh grants
    assert check(educator, "person.view_medical", person=world.chloe)
    assert not check(educator, "person.edit_medical", person=world.chloe)
    event = AuditEvent.objects.get(action="role.widen", object_id=str(role.pk))
    assert event.organisation_id == world.og.pk
    before, after = event.details["changes"]["data_access"]
    assert (before["medical"], after["medical"]) == ("none", "read")
    assert "version" in event.details["changes"]
    request = AuditEvent.objects.get(action="grant.request")
    assert request.user_id == admin.pk and request.organisation_id == world.og.pk


def test_functional_permissions_and_totp_are_saved(world, admin_client):
    role = Role.objects.get(code="educateur")
    edit(
        admin_client,
        role,
        name="Éducateur spécialisé",
        permissions=["person.view_identity", "person.export"],
        requires_totp="on",
    )
    role.refresh_from_db()
    # The name and the second factor now; the export permission (persons' data) once approved.
    assert role.name == "Éducateur spécialisé"
    assert role.permissions == ["person.view_identity"]
    assert role.requires_totp and role.version == 2
    approve_pending(world)
    role.refresh_from_db()
    assert role.permissions == ["person.view_identity", "person.export"]
    assert role.version == 3


@pytest.mark.parametrize(
    "field,value",
    [
        ("permissions", ["person.view_identity", "person.launch_missiles"]),
        ("permissions", ["person.view_medical"]),  # decided by the matrix, not a tick box
        ("access_medical", "admin"),
    ],
)
def test_unknown_codes_are_refused_and_nothing_changes(world, admin_client, field, value):
    role = Role.objects.get(code="educateur")
    response = edit(admin_client, role, **{field: value})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in " ".join(response.context["form"].errors[field])
    stored = Role.objects.get(pk=role.pk)
    assert (stored.permissions, stored.data_access, stored.version) == (
        role.permissions,
        role.data_access,
        role.version,
    )
    assert not AuditEvent.objects.filter(action="role.update").exists()


def test_service_refuses_unknown_permissions(world, admin):
    role = Role.objects.get(code="educateur")
    with pytest.raises(services_admin.AdminRefused, match=r"person\.launch_missiles"):
        services_admin.update_role(
            Actor(user=admin), role, {"permissions": ["person.launch_missiles"]}, role.version
        )
    with pytest.raises(services_admin.AdminRefused):
        services_admin.update_role(
            Actor(user=admin), role, {"data_access": {"medical": "all"}}, role.version
        )
    assert Role.objects.get(pk=role.pk).version == role.version


def test_stale_version_is_refused_and_nothing_changes(world, admin_client):
    role = Role.objects.get(code="educateur")
    stale = role_data(role, access_medical="write")
    Role.objects.filter(pk=role.pk).update(version=role.version + 1)
    response = admin_client.post(f"/roles/{role.pk}/modifier/", stale)
    assert response.status_code == 409
    assert "a été modifié par quelqu" in response.content.decode()
    assert Role.objects.get(pk=role.pk).level_for("medical") == "none"


def test_code_of_a_builtin_role_cannot_be_changed(world, admin_client):
    role = Role.objects.get(code="educateur")
    edit(admin_client, role, code="pirate", name="Éducateur (modifié)")
    role.refresh_from_db()
    assert (role.code, role.name) == ("educateur", "Éducateur (modifié)")


def test_admin_cannot_remove_their_own_administration_rights(world, admin_client):
    role = Role.objects.get(code="admin")
    response = edit(admin_client, role, permissions=["organisation.manage", "accounts.manage"])
    assert response.status_code == 200
    assert "propre rôle" in " ".join(response.context["form"].errors["permissions"])
    assert "roles.manage" in Role.objects.get(pk=role.pk).permissions


def test_a_role_used_in_another_organisation_cannot_be_changed_from_here(world, client, login):
    world.user("educateur", facility=world.ime)  # educateur is used in world.og
    other_admin = world.user("admin", organisation=world.other_og)
    login(other_admin)
    assert client.get("/roles/").status_code == 200  # roles are shared data: visible
    role = Role.objects.get(code="educateur")
    assert client.get(f"/roles/{role.pk}/modifier/").status_code == 403
    assert edit(client, role, access_medical="write").status_code == 403
    assert Role.objects.get(pk=role.pk).level_for("medical") == "none"
    denied = AuditEvent.objects.filter(action="access.denied", user_id=other_admin.pk)
    assert denied.count() == 2
    assert denied.first().details["permission"] == "roles.manage"


def test_unknown_role_is_404(admin_client):
    assert admin_client.get("/roles/999999/modifier/").status_code == 404
    assert admin_client.post("/roles/999999/modifier/").status_code == 404


# --------------------------------------------------------------------------- creation


def new_role_data(token: str, **overrides) -> dict:
    data = {
        "form_token": token,
        "code": "maitresse-de-maison",
        "name": "Maîtresse de maison",
        "description": "Vie quotidienne de l'unité.",
        "permissions": ["person.view_identity"],
        "access_administrative": "read",
        "access_social": "read",
        "access_care": "none",
        "access_medical": "none",
        "access_psychological": "none",
    }
    data.update(overrides)
    return data


def test_create_custom_role(world, admin_client, admin):
    token = form_token(admin_client.get("/roles/nouveau/"))
    response = admin_client.post("/roles/nouveau/", new_role_data(token))
    assert response.status_code == 302
    role = Role.objects.get(code="maitresse-de-maison")
    assert not role.is_builtin and role.permissions == ["person.view_identity"]
    assert role.data_access == {
        "administrative": "read",
        "social": "read",
        "care": "none",
        "medical": "none",
        "psychological": "none",
    }
    event = AuditEvent.objects.get(action="role.create")
    assert event.details["created"] is True and event.user_id == admin.pk
    assert "Maîtresse de maison" in admin_client.get("/roles/").content.decode()


def test_custom_role_code_can_be_changed(world, admin_client):
    token = form_token(admin_client.get("/roles/nouveau/"))
    admin_client.post("/roles/nouveau/", new_role_data(token))
    role = Role.objects.get(code="maitresse-de-maison")
    assert 'name="code"' in admin_client.get(f"/roles/{role.pk}/modifier/").content.decode()
    edit(admin_client, role, code="maitre-de-maison")
    role.refresh_from_db()
    assert role.code == "maitre-de-maison"


@pytest.mark.parametrize(
    "code,message",
    [("educateur", "existe déjà"), ("Pas un code !", "lettres"), ("", "obligatoire")],
)
def test_invalid_or_duplicate_code_is_refused(world, admin_client, code, message):
    roles = Role.objects.count()
    token = form_token(admin_client.get("/roles/nouveau/"))
    response = admin_client.post("/roles/nouveau/", new_role_data(token, code=code))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["code"])
    assert Role.objects.count() == roles


def test_double_submission_creates_one_role(world, admin_client):
    token = form_token(admin_client.get("/roles/nouveau/"))
    data = new_role_data(token)
    admin_client.post("/roles/nouveau/", data)
    second = admin_client.post("/roles/nouveau/", data)
    assert second.status_code == 302
    assert Role.objects.filter(code="maitresse-de-maison").count() == 1
    assert AuditEvent.objects.filter(action="role.create").count() == 1
