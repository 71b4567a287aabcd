"""Give the built-in roles the admission decision permission (chef de service, directeur).

Same procedure as 0004 (accounts.role_upgrades): each built-in role gets the new permission if its default
definition holds it; other edits an administrator made are kept. The accueil /
secrétariat role does not get it: it files and follows requests, others decide.
"""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_view_archived_permission")]
    operations = [give_default_permissions("admission.decide")]
