"""Give the built-in roles the admission decision permission (chef de service, directeur).

Same procedure as 0004: each built-in role gets the new permission if its default
definition holds it; other edits an administrator made are kept. The accueil /
secrétariat role does not get it: it files and follows requests, others decide.
"""

from django.db import migrations

NEW = ("admission.decide",)


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
    dependencies = [("accounts", "0012_view_archived_permission")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
