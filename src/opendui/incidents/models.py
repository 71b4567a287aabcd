"""Événements indésirables: declaration, analysis, corrective actions, ARS report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from . import rules


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(key.value, label) for key, label in labels.items()]


SEVERITY_CHOICES = _choices(rules.SEVERITY_LABELS)
CATEGORY_CHOICES = _choices(rules.CATEGORY_LABELS)
STATUS_CHOICES = _choices(rules.STATUS_LABELS)
REPORT_MODE_CHOICES = _choices(rules.REPORT_MODE_LABELS)
ACTION_STATUS_CHOICES = _choices(rules.ACTION_STATUS_LABELS)


class Incident(VersionedModel):
    """One event declared in a facility. Free texts must not name anyone (R331-8); the
    ARS declaration redacts the names it knows anyway (see incidents.declaration)."""

    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("établissement"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="declared_incidents",
        verbose_name=_("déclaré par"),
    )
    declared_at = models.DateTimeField(_("déclaré le"))
    occurred_at = models.DateTimeField(_("survenu le"))
    discovered_at = models.DateTimeField(_("découvert le"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=200)
    description = models.TextField(_("faits"))
    immediate_actions = models.TextField(_("mesures immédiates"), blank=True)
    consequences = models.TextField(_("conséquences constatées"), blank=True)
    severity = models.CharField(_("gravité"), max_length=30, choices=SEVERITY_CHOICES)
    categories = models.JSONField(_("catégories (arrêté du 28 décembre 2016)"), default=list)
    persons = models.ManyToManyField(
        Person, blank=True, related_name="incidents", verbose_name=_("personnes concernées")
    )
    others_involved = models.TextField(
        _("autres personnes concernées (professionnels, tiers), sans nom"), blank=True
    )
    exposed_count = models.PositiveIntegerField(
        _("nombre de personnes victimes ou exposées"), null=True, blank=True
    )
    families_informed = models.BooleanField(_("familles ou proches informés"), default=False)
    authorities_informed = models.TextField(
        _("autorités informées (police, gendarmerie, parquet…)"), blank=True
    )
    media_impact = models.BooleanField(_("retentissement médiatique"), default=False)
    status = models.CharField(
        _("statut"), max_length=20, choices=STATUS_CHOICES, default=rules.Status.DECLARED.value
    )
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    ars_reported_at = models.DateTimeField(_("signalé à l'ARS le"), null=True, blank=True)
    ars_report_mode = models.CharField(
        _("mode de signalement"), max_length=10, choices=REPORT_MODE_CHOICES, blank=True
    )
    ars_confirmed_at = models.DateTimeField(
        _("confirmation écrite à l'ARS le"), null=True, blank=True
    )
    cvs_informed = models.BooleanField(_("conseil de la vie sociale informé"), default=False)
    cvs_informed_on = models.DateField(_("CVS informé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement indésirable")
        verbose_name_plural = _("événements indésirables")
        indexes = [
            models.Index(fields=["facility", "status", "-occurred_at"], name="incident_facility"),
            models.Index(fields=["declared_by", "-declared_at"], name="incident_declarer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_at__lte=models.F("declared_at")),
                name="incident_occurred_before_declared",
            ),
            models.CheckConstraint(
                condition=Q(ars_confirmed_at__isnull=True) | Q(ars_reported_at__isnull=False),
                name="incident_confirmation_needs_report",
            ),
        ]

    def __str__(self) -> str:
        return f"Événement n°{self.pk} du {self.occurred_at:%d/%m/%Y}"

    @property
    def must_report(self) -> bool:
        return rules.must_report(self.severity)

    @property
    def category_labels(self) -> list[str]:
        return [rules.CATEGORY_LABELS[rules.Category(c)] for c in self.categories]

    @property
    def confirmation_due(self):
        if self.ars_reported_at is None or self.ars_report_mode != rules.ReportMode.ORAL:
            return None
        return rules.confirmation_due(self.ars_reported_at)


class Analysis(VersionedModel):
    """The chief of service's analysis of the causes (one per incident, edited in place)."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="analysis")
    causes = models.TextField(_("causes et facteurs contributifs"))
    conclusions = models.TextField(_("enseignements"), blank=True)
    analysed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("analysé par"),
    )
    analysed_on = models.DateField(_("date de l'analyse"))

    class Meta:
        verbose_name = _("analyse d'un événement indésirable")


class CorrectiveAction(VersionedModel):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(_("action corrective"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsable"),
    )
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("état"),
        max_length=20,
        choices=ACTION_STATUS_CHOICES,
        default=rules.ActionStatus.PLANNED.value,
    )
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("action corrective")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(status=rules.ActionStatus.DONE.value),
                name="corrective_action_done_on_only_when_done",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def is_overdue(self, today) -> bool:
        return rules.action_overdue(self.status, self.due_date, today)
