"""Give the built-in roles the directory permissions their default definition holds
(accounts.role_upgrades): directory.view to the roles that write records,
directory.manage to the secretariat and the chief of service."""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("accounts", "0013_admission_decide_permission"),
    ]
    operations = [give_default_permissions("directory.view", "directory.manage")]
