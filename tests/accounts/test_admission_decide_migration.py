"""Migration accounts/0013: the built-in roles that decide on admissions get the right."""

from __future__ import annotations

import importlib

from django.apps import apps as global_apps

from opendui.accounts.models import Role

migration = importlib.import_module("opendui.accounts.migrations.0013_admission_decide_permission")
(upgrade,) = migration.Migration.operations  # accounts.role_upgrades


def test_builtin_deciding_roles_get_the_permission_and_keep_their_edits(db):
    for role in Role.objects.filter(is_builtin=True):
        role.permissions = [p for p in role.permissions if p != "admission.decide"]
        role.save()
    chief = Role.objects.get(code="chef-de-service")
    chief.permissions = [p for p in chief.permissions if p != "pilotage.view"]  # an admin's edit
    chief.save()
    custom = Role.objects.create(
        code="commission", name="Commission", permissions=[], data_access={}, is_builtin=False
    )

    upgrade.code(global_apps, None)

    holders = {r.code for r in Role.objects.all() if "admission.decide" in r.permissions}
    assert holders == {"chef-de-service", "directeur"}
    chief.refresh_from_db()
    assert "pilotage.view" not in chief.permissions  # the administrator's edit is kept
    custom.refresh_from_db()
    assert custom.permissions == []

    upgrade.reverse_code(global_apps, None)
    assert not any("admission.decide" in r.permissions for r in Role.objects.all())
