"""Records of persons gone from a facility for more than OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS
are archived for it (accounts.access); `person.view_archived` still opens them. Give it to
the built-in roles whose default holds it (secrétariat, médecin, directeur).

Same procedure as 0004 (accounts.role_upgrades): other edits an administrator made are kept.
"""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0011_export_permission")]
    operations = [give_default_permissions("person.view_archived")]
