"""What the DUI sent to the DMP and through MSSanté: one `Sharing` row per sending.

This is the interface between the future DMP and MSSanté clients (interop/dmp,
interop/mssante) and the usage indicators: the clients write a row for every document or
message they send, through `documents.services.record_sharing` (status "envoyé" when the national service accepted it, "échec"
otherwise); the indicators read them through `documents.selectors` only, so they need no
change when the clients arrive.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.accounts.permissions import DataCategory
from opendui.organisations.models import Facility
from opendui.persons.models import Person


class Channel(models.TextChoices):
    DMP = "DMP", _("DMP")
    MSSANTE = "MSSANTE", _("MSSanté")


class SharingStatus(models.TextChoices):
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")


class Sharing(models.Model):
    channel = models.CharField(_("canal"), max_length=10, choices=Channel)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="sharings")
    # An MSSanté message may concern nobody in particular; a DMP document always has a person.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="sharings"
    )
    sent_at = models.DateTimeField(_("envoyé le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=SharingStatus, default=SharingStatus.SENT
    )
    external_id = models.CharField(_("identifiant externe"), max_length=200, blank=True)
    document_reference = models.CharField(_("document"), max_length=300, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("envoi DMP ou MSSanté")
        indexes = [
            models.Index(fields=["facility", "channel", "sent_at"], name="sharing_facility_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="sharing_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SharingStatus]),
                name="sharing_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.DMP) | Q(person__isnull=False),
                name="sharing_dmp_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.sent_at:%d/%m/%Y}"


# --- The document store -------------------------------------------------------------------
#
# A `Document` is the metadata of one piece of a person's record (type, class, act date,
# author, data category, confidentiality); its content lives in the "records" storage as
# `DocumentVersion` files. Replacing a document adds a version and points `current` at it;
# nothing is ever deleted. Withdrawal is a status with its reason, who and when.


class TypeSystem(models.TextChoices):
    J07 = "J07", _("JDV_J07 (type national CI-SIS)")
    LOCAL = "LOCAL", _("type médico-social OpenDUI")


class AuthorKind(models.TextChoices):
    PROFESSIONAL = "professional", _("professionnel de l'organisme")
    EXTERNAL = "external", _("professionnel extérieur")
    PERSON = "person", _("la personne accompagnée")
    RELATIVE = "relative", _("un proche")


class Confidentiality(models.TextChoices):
    # HL7 v3 Confidentiality (N, R, V): the CI-SIS confidentialityCode.
    NORMAL = "N", _("normal")
    RESTRICTED = "R", _("restreint")
    VERY_RESTRICTED = "V", _("très restreint")


class DocumentStatus(models.TextChoices):
    ACTIVE = "active", _("actif")
    WITHDRAWN = "withdrawn", _("retiré")


class ThumbnailStatus(models.TextChoices):
    PENDING = "pending", _("en préparation")
    READY = "ready", _("prête")
    NONE = "none", _("sans aperçu")
    FAILED = "failed", _("échec")


class AntivirusStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("non analysé (pas d'antivirus configuré)")
    CLEAN = "clean", _("sain")


class Document(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="documents", verbose_name=_("personne")
    )
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("établissement"),
    )
    data_category = models.CharField(_("catégorie de données"), max_length=20)
    type_system = models.CharField(_("système du type"), max_length=5, choices=TypeSystem)
    type_code = models.CharField(_("type"), max_length=40)
    type_label = models.CharField(_("libellé du type"), max_length=200)
    class_code = models.CharField(_("classe (JDV_J06)"), max_length=40, blank=True)
    title = models.CharField(_("titre"), max_length=200)
    act_date = models.DateField(_("date de l'acte"))
    author_kind = models.CharField(_("auteur"), max_length=15, choices=AuthorKind)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professionnel de l'organisme"),
    )
    # An external professional or a relative: their name as written on the document.
    author_name = models.CharField(_("nom de l'auteur"), max_length=200, blank=True)
    # Id of the external professional in the directory (directory.ExternalProfessional).
    external_professional = models.ForeignKey(
        "directory.ExternalProfessional",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("professionnel extérieur (annuaire)"),
    )
    author_relative = models.ForeignKey(
        "persons.RelatedPerson",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proche"),
    )
    confidentiality = models.CharField(
        _("confidentialité"), max_length=1, choices=Confidentiality, default=Confidentiality.NORMAL
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=DocumentStatus, default=DocumentStatus.ACTIVE
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retiré par"),
    )
    withdrawal_reason = models.CharField(_("motif du retrait"), max_length=500, blank=True)
    # Versions of the content: `current` is the latest, `version_count` their number.
    current = models.ForeignKey(
        "DocumentVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    version_count = models.PositiveIntegerField(_("nombre de versions"), default=0)
    # Optimistic locking of the metadata (core.services.check_version).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("ajouté par"),
    )

    class Meta:
        verbose_name = _("document")
        indexes = [
            # The documents tab: a person's documents in force, newest act first.
            models.Index(
                "person",
                "status",
                models.F("act_date").desc(),
                models.F("id").desc(),
                name="document_person_tab",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(data_category__in=[c.value for c in DataCategory]),
                name="document_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(type_system__in=TypeSystem.values), name="document_type_system_valid"
            ),
            models.CheckConstraint(
                condition=Q(author_kind__in=AuthorKind.values), name="document_author_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidentiality__in=Confidentiality.values),
                name="document_confidentiality_valid",
            ),
            models.CheckConstraint(
                condition=~Q(author_kind=AuthorKind.PROFESSIONAL) | Q(author_user__isnull=False),
                name="document_professional_author",
            ),
            models.CheckConstraint(
                condition=Q(
                    status=DocumentStatus.ACTIVE,
                    withdrawn_at__isnull=True,
                    withdrawn_by__isnull=True,
                    withdrawal_reason="",
                )
                | (
                    Q(
                        status=DocumentStatus.WITHDRAWN,
                        withdrawn_at__isnull=False,
                        withdrawn_by__isnull=False,
                    )
                    & ~Q(withdrawal_reason="")
                ),
                name="document_withdrawal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.act_date:%d/%m/%Y})"

    @property
    def is_active(self) -> bool:
        return self.status == DocumentStatus.ACTIVE


class DocumentVersion(models.Model):
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveIntegerField(_("version"))
    # Name in the records storage: generated (documents/<uuid>), never the user's name.
    stored_name = models.CharField(_("nom de stockage"), max_length=200, unique=True)
    original_name = models.CharField(_("nom d'origine"), max_length=200)
    mime_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.BigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("déposé le"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("déposé par"),
    )
    thumbnail_name = models.CharField(_("aperçu"), max_length=200, blank=True)
    thumbnail_status = models.CharField(
        _("état de l'aperçu"),
        max_length=10,
        choices=ThumbnailStatus,
        default=ThumbnailStatus.PENDING,
    )
    antivirus_status = models.CharField(
        _("analyse antivirus"),
        max_length=15,
        choices=AntivirusStatus,
        default=AntivirusStatus.NOT_SCANNED,
    )

    class Meta:
        verbose_name = _("version de document")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique"),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_version_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"


class ProjectDocument(models.Model):
    """The stored PDF of one validated projet personnalisé version (project_pdf.py).

    One row per PP version (the one-to-one makes the job idempotent); every version of the
    PP of a stay points to the same `Document`, each to its own `DocumentVersion`, so the
    Documents tab shows one "Projet personnalisé" with its versions.
    """

    project = models.OneToOneField(
        "accompaniment.PersonalisedProject",
        on_delete=models.PROTECT,
        related_name="stored_document",
        verbose_name=_("version du projet personnalisé"),
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="projects", verbose_name=_("document")
    )
    document_version = models.OneToOneField(
        DocumentVersion,
        on_delete=models.PROTECT,
        related_name="project",
        verbose_name=_("version du document"),
    )
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("projet personnalisé enregistré")

    def __str__(self) -> str:
        return f"PP {self.project_id} → document {self.document_id}"


class AggirDocument(models.Model):
    """The stored PDF of one validated AGGIR grid (evaluation_pdf.py).

    One row per evaluation (the one-to-one makes the job idempotent). A later grid of the
    same stay validated in turn is a new version of the same `Document` (a correction or
    a re-evaluation replaces the grid, in the record and in the DMP).
    """

    evaluation = models.OneToOneField(
        "evaluations.AggirEvaluation",
        on_delete=models.PROTECT,
        related_name="stored_document",
        verbose_name=_("grille AGGIR"),
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="aggir_grids", verbose_name=_("document")
    )
    document_version = models.OneToOneField(
        DocumentVersion,
        on_delete=models.PROTECT,
        related_name="aggir_grid",
        verbose_name=_("version du document"),
    )
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("grille AGGIR enregistrée")

    def __str__(self) -> str:
        return f"AGGIR {self.evaluation_id} → document {self.document_id}"


# --- The record export --------------------------------------------------------------------
#
# The whole readable record of one person, as `dossier.pdf` and the person's documents in
# one zip, built by a background job (record_export.py) for the user who asked, downloaded
# once by that user within EXPORT_LIFETIME, then deleted from the storage.


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en préparation")
    READY = "ready", _("prêt à télécharger")
    DOWNLOADED = "downloaded", _("téléchargé")
    FAILED = "failed", _("échec")
    EXPIRED = "expired", _("expiré")


class ExportReason(models.TextChoices):
    ACCESS_RIGHT = "access_right", _("droit d'accès de la personne (RGPD art. 15, CASF)")
    TRANSFER = "transfer", _("transfert vers un autre établissement")
    COURT = "court", _("réquisition judiciaire")
    OTHER = "other", _("autre")


#: Exports not yet finished: one at a time per (user, person).
UNFINISHED_EXPORTS = (ExportStatus.PENDING, ExportStatus.RUNNING, ExportStatus.READY)


class RecordExport(models.Model):
    public_id = models.UUIDField(_("identifiant"), unique=True, editable=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("personne")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("établissement"),
    )
    reason = models.CharField(_("motif"), max_length=20, choices=ExportReason)
    reason_detail = models.CharField(_("précision du motif"), max_length=300, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=ExportStatus, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    step = models.CharField(_("étape"), max_length=200, blank=True)
    stored_name = models.CharField(_("nom de stockage"), max_length=200, blank=True)
    size = models.BigIntegerField(_("taille (octets)"), null=True, blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    document_count = models.PositiveIntegerField(_("documents joints"), default=0)
    error = models.CharField(_("erreur"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("demandé le"))
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("téléchargé le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"))

    class Meta:
        verbose_name = _("export de dossier")
        indexes = [
            models.Index(fields=["requested_by", "person", "status"], name="record_export_owner"),
            models.Index(fields=["status", "expires_at"], name="record_export_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="record_export_status_known"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=ExportReason.values), name="record_export_reason_known"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="record_export_progress_percent"
            ),
            # The "one unfinished export per user and person" rule, held by the database
            # (a double click racing past the view's lookup gets an IntegrityError).
            models.UniqueConstraint(
                fields=["requested_by", "person"],
                condition=Q(status__in=["pending", "running", "ready"]),
                name="record_export_one_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.public_id} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status not in (ExportStatus.PENDING, ExportStatus.RUNNING)
