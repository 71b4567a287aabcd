"""`person.export` is now checked on every export (core.exports): give it to the DPO's
built-in role, whose default now holds it for the audit extracts.

Same procedure as 0004, 0005, 0007 and 0009: each built-in role gets the new permission when its
default definition holds it; other edits an administrator made are kept.
"""

from django.db import migrations

NEW = ("person.export",)
ROLES = ("dpo",)


def add_permissions(apps, schema_editor):
    from opendui.accounts.defaults import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    defaults = {spec["code"]: set(spec["permissions"]) for spec in DEFAULT_ROLES}
    for role in Role.objects.filter(is_builtin=True, code__in=ROLES):
        missing = [p for p in NEW if p in defaults[role.code] and p not in role.permissions]
        if missing:
            role.permissions = [*role.permissions, *missing]
            role.version += 1
            role.save(update_fields=["permissions", "version"])


def remove_permissions(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(is_builtin=True, code__in=ROLES):
        kept = [p for p in role.permissions if p not in NEW]
        if kept != role.permissions:
            role.permissions = kept
            role.version += 1
            role.save(update_fields=["permissions", "version"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_login_email_change")]
    operations = [migrations.RunPython(add_permissions, remove_permissions)]
