"""Building blocks shared by every app's models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionedModel(models.Model):
    """A row edited through forms: `version` detects concurrent edits.

    Services compare the version the user loaded with the stored one and refuse
    the save when someone else saved in between (see core.services.save_versioned).
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


def ends_after_start(name: str) -> models.CheckConstraint:
    """Database rule for periods: an open period, or one that ends on or after its start."""
    return models.CheckConstraint(
        condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
        name=name,
    )


class FormToken(models.Model):
    """A one-time token of a creation form shown to one user, not used yet.

    Why a row and not only the session: parallel submissions of the same form
    all read the same session, so the session cannot tell which one came first.
    A single `DELETE` of this row decides instead (core.forms): the database lets
    one request delete it and the others find nothing, even at the same instant.
    `owner` binds the token to the user (or the anonymous session) it was shown
    to: another user's token is a replay. Rows left unused are pruned nightly.
    """

    token = models.CharField(_("jeton"), max_length=64, unique=True)
    owner = models.CharField(_("détenteur"), max_length=80)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("jeton de formulaire")
        verbose_name_plural = _("jetons de formulaire")

    def __str__(self) -> str:
        return f"{self.owner} {self.created_at:%Y-%m-%d %H:%M}"
