"""Give existing installations the built-in roles of external professionals (médecin,
infirmier, kinésithérapeute extérieurs), as 0002 does for a new one; an existing role of
the same code is kept as the administrator left it."""

from django.db import migrations


def create_external_roles(apps, schema_editor):
    from opendui.accounts.defaults import DEFAULT_ROLES, EXTERNAL_ROLE_CODES

    Role = apps.get_model("accounts", "Role")
    for spec in DEFAULT_ROLES:
        if spec["code"] not in EXTERNAL_ROLE_CODES:
            continue
        spec = dict(spec)
        Role.objects.get_or_create(code=spec.pop("code"), defaults={**spec, "is_builtin": True})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0015_linked_persons_assignment")]
    operations = [migrations.RunPython(create_external_roles, migrations.RunPython.noop)]
