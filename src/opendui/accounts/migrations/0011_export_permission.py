"""`person.export` is now checked on every export (core.exports): give it to the DPO's
built-in role, whose default now holds it for the audit extracts.

Same procedure as 0004 (accounts.role_upgrades): each built-in role gets the new permission when its
default definition holds it; other edits an administrator made are kept.
"""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_login_email_change")]
    operations = [give_default_permissions("person.export", roles=("dpo",))]
