"""Give the built-in roles whose default holds it (accounts.defaults) the permission of
the facility's DMP failures list: secretariat, chief of service, director."""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("dmp", "0001_initial"),
        ("accounts", "0017_linked_access_approval"),
    ]
    operations = [give_default_permissions("dmp.manage_failures")]
