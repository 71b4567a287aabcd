"""The job table: the queue of the database task backend, and the history of what ran."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    READY = "ready", _("en attente")  # new, or waiting for its next attempt (run_after)
    RUNNING = "running", _("en cours")  # claimed by a worker until lease_expires_at
    SUCCEEDED = "succeeded", _("réussi")
    FAILED = "failed", _("échoué")  # an error the task does not retry
    ABANDONED = "abandoned", _("abandonné")  # retryable errors until max_attempts


UNFINISHED = (JobStatus.READY, JobStatus.RUNNING)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.ABANDONED)


class Job(models.Model):
    """One enqueued task.

    `last_error` is a French sentence without personal data (shown to users and
    kept in the table): exception messages and tracebacks never enter it, as
    they can carry names and birth dates.
    """

    task_path = models.CharField(_("tâche"), max_length=200)
    queue_name = models.CharField(_("file"), max_length=50, default="default")
    priority = models.SmallIntegerField(_("priorité"), default=0)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("arguments nommés"), default=dict)
    status = models.CharField(_("état"), max_length=10, choices=JobStatus, default=JobStatus.READY)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("tentatives au plus"), default=1)
    run_after = models.DateTimeField(_("à lancer après"))
    lease_expires_at = models.DateTimeField(_("réservé jusqu'à"), null=True, blank=True)
    worker_ids = models.JSONField(_("exécutants"), default=list)  # one per attempt
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    error_class = models.CharField(_("type d'erreur"), max_length=200, blank=True)
    result = models.JSONField(_("résultat"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("créée le"))
    started_at = models.DateTimeField(_("commencée le"), null=True, blank=True)
    last_attempted_at = models.DateTimeField(_("dernière tentative"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("tâche de fond")
        verbose_name_plural = _("tâches de fond")
        indexes = [
            # The worker's claim query: due jobs of one status, by priority then age.
            models.Index(fields=["status", "run_after"], name="jobs_job_due"),
            models.Index(fields=["idempotency_key"], name="jobs_job_idem"),
        ]
        constraints = [
            # A double click, or two workers enqueuing the same periodic job, can never
            # create two unfinished jobs for one key.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(status__in=["ready", "running"]) & ~Q(idempotency_key=""),
                name="jobs_job_unique_unfinished_key",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="jobs_job_max_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_path} #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
