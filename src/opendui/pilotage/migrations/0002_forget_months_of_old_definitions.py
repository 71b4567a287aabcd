"""Kept months computed with the first definitions counted, in some numerators, persons
outside the denominator (rates above 100 %). They are derived data: drop them all, the
pages and the nightly task compute them again with the current definitions (whose version
is now part of a kept row's key, cache.py)."""

from django.db import migrations


def forget_kept_months(apps, schema_editor):
    apps.get_model("pilotage", "MonthlyMeasure").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("pilotage", "0001_initial")]

    operations = [migrations.RunPython(forget_kept_months, migrations.RunPython.noop)]
