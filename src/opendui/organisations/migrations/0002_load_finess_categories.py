from django.db import migrations


def load(apps, schema_editor):
    from opendui.organisations.categories import load_categories

    load_categories(apps.get_model("organisations", "FinessCategory"))


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
