"""Give the built-in roles the permission to approve grants (accounts.grants).

Same procedure as 0004 (accounts.role_upgrades): each built-in role gets those of the new permissions
its default definition holds (the director); other edits an administrator made are
kept. Written directly, not as a role change to approve: a migration is the
installation's own upgrade, made by whoever deploys it.
"""

from django.db import migrations

from opendui.accounts.role_upgrades import give_default_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_grant_requests")]
    operations = [give_default_permissions("grants.approve")]
