"""Give the built-in roles the permission to approve grants (accounts.grants).

Same procedure as 0004, 0005 and 0007: each built-in role gets those of the new permissions
its default definition holds (the director); other edits an administrator made are
kept. Written directly, not as a role change to approve: a migration is the
installation's own upgrade, made by whoever deploys it.
"""

from django.db import migrations

NEW = ("grants.approve",)


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
    dependencies = [("accounts", "0008_grant_requests")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
