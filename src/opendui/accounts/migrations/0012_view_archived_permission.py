"""Records of persons gone from a facility for more than OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS
are archived for it (accounts.access); `person.view_archived` still opens them. Give it to
the built-in roles whose default holds it (secrétariat, médecin, directeur).

Same procedure as 0004, 0005, 0007, 0009 and 0011: other edits an administrator made are kept.
"""

from django.db import migrations

NEW = ("person.view_archived",)


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
    dependencies = [("accounts", "0011_export_permission")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
