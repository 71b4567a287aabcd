"""Give the built-in roles the permissions of the accompaniment modules.

New installations get them from `accounts.defaults` through 0002; installations
migrated before these permissions existed get, for each built-in role, those of the
new permissions its default definition holds. Permissions an administrator removed
from a role before are not at stake (they did not exist); other edits are kept.
"""

from django.db import migrations

NEW = ("pp.validate", "incident.declare", "incident.manage", "evaluation.manage_models")


def add_permissions(apps, schema_editor):
    from opendui.accounts.defaults import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    defaults = {spec["code"]: set(spec["permissions"]) for spec in DEFAULT_ROLES}
    for role in Role.objects.filter(is_builtin=True, code__in=defaults):
        missing = [p for p in NEW if p in defaults[role.code] and p not in role.permissions]
        if missing:
            role.permissions = [*role.permissions, *missing]
            role.version += 1
            role.save(update_fields=["permissions", "version"])


def remove_permissions(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(is_builtin=True):
        kept = [p for p in role.permissions if p not in NEW]
        if kept != role.permissions:
            role.permissions = kept
            role.version += 1
            role.save(update_fields=["permissions", "version"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_identity_merge_permission")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
