from django.db import migrations


def create_roles(apps, schema_editor):
    from opendui.accounts.defaults import DEFAULT_ROLES

    Role = apps.get_model("accounts", "Role")
    for spec in DEFAULT_ROLES:
        spec = dict(spec)
        Role.objects.get_or_create(code=spec.pop("code"), defaults={**spec, "is_builtin": True})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
