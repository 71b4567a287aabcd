"""INSi queries run as background jobs, and when each stored INS was last re-verified.

A query never touches the person's identity: it records what was sent and what
came back. The user compares and accepts (persons.identity.record_insi_retrieval);
a periodic re-verification only raises an alert.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QueryKind(models.TextChoices):
    SEARCH = "search", _("recherche par un utilisateur")
    REVERIFY = "reverify", _("revérification périodique")


class QueryStatus(models.TextChoices):
    PENDING = "pending", _("en cours")
    DONE = "done", _("réponse reçue")
    UNREACHABLE = "unreachable", _("téléservice injoignable")
    ERROR = "error", _("erreur")


class Outcome(models.TextChoices):
    FOUND = "00", _("une identité trouvée")
    NONE = "01", _("aucune identité trouvée")
    MULTIPLE = "02", _("plusieurs identités trouvées")
    FAULT = "fault", _("demande refusée par le téléservice")


class InsiQuery(models.Model):
    person = models.ForeignKey(
        "persons.Person", on_delete=models.PROTECT, related_name="insi_queries"
    )
    kind = models.CharField(_("nature"), max_length=10, choices=QueryKind)
    # Who asked, from where: the audit event written when the job ends names them.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.GenericIPAddressField(_("adresse"), null=True, blank=True)
    facility = models.ForeignKey(
        "organisations.Facility", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    traits_sent = models.JSONField(_("traits envoyés"))
    # sha256 of the traits sent: the idempotency key, without personal data in clear.
    traits_hash = models.CharField(max_length=64)
    status = models.CharField(
        _("état"), max_length=12, choices=QueryStatus, default=QueryStatus.PENDING
    )
    outcome = models.CharField(_("résultat"), max_length=5, choices=Outcome, blank=True)
    returned = models.JSONField(_("identité renvoyée"), null=True, blank=True)
    differences = models.JSONField(_("différences"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    # Re-verification: the stored identity differs from INSi's, or INSi no longer finds it.
    alert = models.BooleanField(_("à revérifier"), default=False)
    resolved_at = models.DateTimeField(_("alerte levée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("interrogation INSi")
        verbose_name_plural = _("interrogations INSi")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["person", "kind", "-created_at"], name="insi_query_person_kind"),
        ]

    def __str__(self) -> str:
        return f"INSi {self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == QueryStatus.PENDING


class InsVerification(models.Model):
    """When the identity retrieved from INSi was last confirmed (acceptance or re-verification).

    Kept beside persons.Person, whose table belongs to the identity app."""

    person = models.OneToOneField(
        "persons.Person", on_delete=models.PROTECT, related_name="ins_verification"
    )
    verified_on = models.DateField(_("INS vérifié le"))

    class Meta:
        verbose_name = _("vérification de l'INS")

    def __str__(self) -> str:
        return f"INS de {self.person_id} vérifié le {self.verified_on}"
