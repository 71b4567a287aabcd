"""Grant requests of a new kind: the change of the login e-mail of an account with
sensitive access, which waits for a second person's approval (accounts.grants)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_grants_approve_permission"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="grantrequest",
            name="grant_request_has_its_object",
        ),
        migrations.AddField(
            model_name="grantrequest",
            name="new_email",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="nouvelle adresse de connexion"
            ),
        ),
        migrations.AddField(
            model_name="grantrequest",
            name="old_email",
            field=models.EmailField(
                blank=True, max_length=254, verbose_name="adresse de connexion actuelle"
            ),
        ),
        migrations.AlterField(
            model_name="grantrequest",
            name="kind",
            field=models.CharField(
                choices=[
                    ("assignment", "nouvelle affectation"),
                    ("role_change", "élargissement d'un rôle"),
                    ("reactivation", "réactivation d'un compte"),
                    ("login_email", "changement d'adresse de connexion"),
                ],
                max_length=20,
                verbose_name="nature",
            ),
        ),
        migrations.AddConstraint(
            model_name="grantrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("assignment__isnull", False),
                        ("grantee__isnull", False),
                        ("kind", "assignment"),
                    ),
                    models.Q(("kind", "role_change"), ("role__isnull", False)),
                    models.Q(("grantee__isnull", False), ("kind", "reactivation")),
                    models.Q(
                        ("grantee__isnull", False),
                        ("kind", "login_email"),
                        models.Q(("old_email", ""), _negated=True),
                        models.Q(("new_email", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="grant_request_has_its_object",
            ),
        ),
        migrations.AddConstraint(
            model_name="grantrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "login_email"), ("status", "pending")),
                fields=("grantee",),
                name="grant_one_pending_login_email",
            ),
        ),
    ]
