"""Narrow append-only tables the usage indicators read (definitions.py says what they mean).

Both are written by the audit hook (`pilotage.usage_hook.note_change`, registered with
`audit.services.on_person_change` and called by `audit.services.record` for every change
naming persons), in the transaction of the change, and backfilled from the audit trail by
`opendui indicateurs_rattrapage`. Plain integer columns, no foreign keys: they are indexes
over the trail, sized for 100 000 persons and millions of writes, so that each indicator is
one aggregate over an index.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordActivity(models.Model):
    """A person's record was changed on `day` (local date), by a professional or by a job.

    One row per (person, day, by_job) at most: the hook inserts and ignores duplicates, so a
    busy day costs one row, and "updated during the period" is a range scan on a day index.
    """

    person_id = models.BigIntegerField()
    day = models.DateField()
    by_job = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("activité d'un dossier (indicateur ESMS numérique)")
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "day", "by_job"], name="recordactivity_unique"
            )
        ]
        indexes = [models.Index(fields=["day", "person_id"], name="recordactivity_day")]


class ProjectChange(models.Model):
    """One row per write of a projet personnalisé (its version row or any of its sections).

    `status` is the version's status after a write of the version row itself, empty for a
    write of a section (attente, besoin, objectif…): the rows with a status are the
    version's status timeline (PP "en préparation ou actif" during a period), a handful per
    version whatever the number of section edits. Every row is an "événement" (PP created
    or updated) unless written by a job.
    """

    project_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    facility_id = models.BigIntegerField()
    changed_at = models.DateTimeField()
    status = models.CharField(max_length=15, blank=True)
    by_job = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("modification de projet personnalisé (indicateur ESMS numérique)")
        indexes = [
            models.Index(
                fields=["facility_id", "changed_at", "person_id"], name="projectchange_facility"
            ),
            # The status timeline of a version (rows without status are left out).
            models.Index(
                fields=["project_id", "changed_at"],
                condition=~models.Q(status=""),
                name="projectchange_status",
            ),
        ]


class MonthlyMeasure(models.Model):
    """The figures of a facility for a closed month and a set of variants (cache.py).

    A closed month's sources are append-only rows stamped when written (record activity,
    événements, PP statuses, sharings), so its figures only change when a stay is entered
    or corrected afterwards: a row is used while no stay of the facility was saved after
    `computed_at`. Derived data, rebuilt at will: `opendui indicateurs_rattrapage` empties it.
    """

    facility_id = models.BigIntegerField()
    month = models.DateField()
    variants = models.CharField(max_length=300)
    values = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("mesure mensuelle (indicateurs ESMS numérique)")
        constraints = [
            models.UniqueConstraint(
                fields=["facility_id", "month", "variants"], name="monthlymeasure_unique"
            )
        ]
