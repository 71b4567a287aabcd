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
