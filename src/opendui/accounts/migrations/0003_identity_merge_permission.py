"""The identity-vigilance referent: the `identity.merge` permission and its role.

New installations get both from `accounts.defaults` through 0002; installations
migrated before they existed get them here: the built-in "directeur" role gains the
permission (it holds only for an organisation-wide assignment) and the built-in
"identitovigilance" role is created. A role an administrator has edited keeps its
other permissions; a non-built-in role is never touched.
"""

from django.db import migrations

PERMISSION = "identity.merge"
REFERENT = "identitovigilance"


def add_permission(apps, schema_editor):
    from opendui.accounts.defaults import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code="directeur", is_builtin=True):
        if PERMISSION not in role.permissions:
            role.permissions = [*role.permissions, PERMISSION]
            role.version += 1
            role.save(update_fields=["permissions", "version"])
    spec = dict(next(r for r in DEFAULT_ROLES if r["code"] == REFERENT))
    Role.objects.get_or_create(code=spec.pop("code"), defaults={**spec, "is_builtin": True})


def remove_permission(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Role.objects.filter(code=REFERENT, is_builtin=True, assignment__isnull=True).delete()
    for role in Role.objects.filter(code="directeur", is_builtin=True):
        if PERMISSION in role.permissions:
            role.permissions = [p for p in role.permissions if p != PERMISSION]
            role.version += 1
            role.save(update_fields=["permissions", "version"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_default_roles")]
    operations = [migrations.RunPython(add_permission, remove_permission)]
