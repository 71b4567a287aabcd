"""Remove the DMP and MSSanté sendings the demo seed used to invent.

Until this migration the demo wrote `Sharing` rows (external id "DEMO-<channel>-<n>") that
no national service ever accepted, and the dashboard counted them as real sendings. Only
the demo seed wrote such ids (no DMP or MSSanté client exists yet, and a real one stores
the service's own id), so a production database loses nothing; a demo database then shows
what the software really sent: nothing. The kept indicator months are recomputed
(pilotage 0002)."""

from django.db import migrations


def remove_demo_sharings(apps, schema_editor):
    apps.get_model("documents", "Sharing").objects.filter(external_id__startswith="DEMO-").delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(remove_demo_sharings, migrations.RunPython.noop)]
