"""Give the built-in roles the permissions on withdrawn transmissions.

Same procedure as 0004 (accounts.role_upgrades): each built-in role gets those of the new permissions its
default definition holds (the chef de service: withdraw another professional's note
written in the wrong record, see withdrawn notes); other edits an administrator made
are kept.
"""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_login_throttles_and_recovery")]
    operations = [give_default_permissions("note.withdraw", "note.view_withdrawn")]
