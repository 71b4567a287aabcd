"""accounts.role_upgrades: the data migrations giving built-in roles a new permission."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps

from opendui.accounts.defaults import DEFAULT_ROLES
from opendui.accounts.models import Role
from opendui.accounts.role_upgrades import give_default_permissions

UPGRADES = [
    "0007_note_withdrawal_permissions",
    "0009_grants_approve_permission",
    "0011_export_permission",
    "0012_view_archived_permission",
    "0013_admission_decide_permission",
]


@pytest.mark.parametrize("name", UPGRADES)
def test_each_upgrade_is_one_role_upgrade_operation(name):
    module = importlib.import_module(f"opendui.accounts.migrations.{name}")
    (operation,) = module.Migration.operations
    assert operation.code.__qualname__.startswith("give_default_permissions")
    assert operation.reversible


def test_only_roles_whose_default_holds_it_get_it_and_edits_are_kept(db):
    defaults = {spec["code"]: set(spec["permissions"]) for spec in DEFAULT_ROLES}
    for role in Role.objects.filter(is_builtin=True):
        role.permissions = [p for p in role.permissions if p != "person.view_archived"]
        role.save()
    medecin = Role.objects.get(code="medecin")
    medecin.permissions = [p for p in medecin.permissions if p != "person.break_glass"]
    medecin.save()  # an administrator's edit
    custom = Role.objects.create(
        code="maison", name="Rôle maison", permissions=[], data_access={}, is_builtin=False
    )
    upgrade = give_default_permissions("person.view_archived")

    upgrade.code(global_apps, None)
    upgrade.code(global_apps, None)  # twice: still once

    holders = {r.code for r in Role.objects.all() if "person.view_archived" in r.permissions}
    assert holders == {c for c, perms in defaults.items() if "person.view_archived" in perms}
    medecin.refresh_from_db()
    assert "person.break_glass" not in medecin.permissions
    assert medecin.permissions.count("person.view_archived") == 1
    custom.refresh_from_db()
    assert custom.permissions == []

    upgrade.reverse_code(global_apps, None)
    assert not any("person.view_archived" in r.permissions for r in Role.objects.all())


def test_an_upgrade_limited_to_some_roles_leaves_the_others(db):
    chef = Role.objects.get(code="chef-de-service")
    chef.permissions = [p for p in chef.permissions if p != "person.export"]
    chef.save()  # removed on purpose by an administrator
    dpo = Role.objects.get(code="dpo")
    dpo.permissions = [p for p in dpo.permissions if p != "person.export"]
    dpo.save()
    upgrade = give_default_permissions("person.export", roles=("dpo",))

    upgrade.code(global_apps, None)

    chef.refresh_from_db()
    dpo.refresh_from_db()
    assert "person.export" not in chef.permissions
    assert "person.export" in dpo.permissions
    accueil = Role.objects.get(code="accueil")
    upgrade.reverse_code(global_apps, None)
    accueil.refresh_from_db()
    dpo.refresh_from_db()
    assert "person.export" in accueil.permissions  # outside the limited roles
    assert "person.export" not in dpo.permissions
