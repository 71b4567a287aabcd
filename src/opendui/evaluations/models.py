"""Evaluations of a person: AGGIR grids, and grids built from an evaluation model.

Both kinds share the TDDUI statuses (rules.Status). Nothing is deleted: a correction
of a validated evaluation is a new evaluation; the old one is closed (TERMINE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from opendui.core.models import VersionedModel
from opendui.organisations.models import ManagingOrganisation
from opendui.persons.models import Person
from opendui.stays.models import Stay

from .rules import COMPLETE_STATUSES, STATUS_LABELS, Status


class EvaluationStatus(models.TextChoices):
    DRAFT = Status.DRAFT.value, STATUS_LABELS[Status.DRAFT]
    APPROVED = Status.APPROVED.value, STATUS_LABELS[Status.APPROVED]
    VALIDATED = Status.VALIDATED.value, STATUS_LABELS[Status.VALIDATED]
    FINISHED = Status.FINISHED.value, STATUS_LABELS[Status.FINISHED]


_COMPLETE = sorted(s.value for s in COMPLETE_STATUSES)  # sorted: a stable migration


class AggirEvaluation(VersionedModel):
    """One AGGIR grid of a person during a stay.

    `adverbs` keeps what the evaluator ticked ({variable: {sub-variable: satisfied
    adverbs "STCH"}}; an absent sub-variable is unanswered). The letters, the GIR,
    the rang and the concluding group are derived from it by the service and
    stored, so lists, the GIR history and the GMP read them in SQL.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="aggir_evaluations")
    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="aggir_evaluations")
    evaluated_on = models.DateField(_("date de l'évaluation"))
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("statut"), max_length=15, choices=EvaluationStatus, default=EvaluationStatus.DRAFT
    )
    adverbs = models.JSONField(_("adverbes"), default=dict, blank=True)
    illustrative = models.JSONField(_("variables illustratives"), default=dict, blank=True)
    coding = models.CharField(_("codage AGGIR"), max_length=10, blank=True)
    gir = models.PositiveSmallIntegerField(_("GIR"), null=True, blank=True)
    rang = models.PositiveSmallIntegerField(_("rang"), null=True, blank=True)
    group = models.CharField(_("groupe"), max_length=1, blank=True)
    score = models.IntegerField(_("score du groupe"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    validated_on = models.DateField(_("validée le"), null=True, blank=True)

    class Meta:
        ordering = ["-evaluated_on", "-pk"]
        verbose_name = _("grille AGGIR")
        indexes = [
            models.Index(
                fields=["person", "status", "evaluated_on"], name="aggir_person_status_date"
            ),
        ]
        constraints = [
            # An approved or validated grid is complete: its GIR is known.
            models.CheckConstraint(
                condition=~Q(status__in=_COMPLETE) | Q(gir__isnull=False),
                name="aggir_complete_has_gir",
            ),
            models.CheckConstraint(
                condition=Q(gir__isnull=True) | Q(gir__gte=1, gir__lte=6), name="aggir_gir_1_6"
            ),
        ]

    def __str__(self) -> str:
        gir = f"GIR {self.gir}" if self.gir else "GIR non calculé"
        return f"Grille AGGIR du {self.evaluated_on:%d/%m/%Y} ({gir})"


class ModelStatus(models.TextChoices):
    DRAFT = "brouillon", _("brouillon")
    PUBLISHED = "publie", _("publié")
    ARCHIVED = "archive", _("archivé")


class EvaluationModel(VersionedModel):
    """An evaluation grid designed by the organisation's administrator.

    Versions of one grid share `code`; `revision` numbers them. A published
    revision is frozen (filled evaluations point to it and keep their meaning);
    changing it means creating the next revision (services.new_revision), and
    publishing that one archives the previous.
    """

    organisation = models.ForeignKey(
        ManagingOrganisation, on_delete=models.PROTECT, related_name="evaluation_models"
    )
    code = models.SlugField(_("code"), max_length=60)
    revision = models.PositiveIntegerField(_("version de la grille"), default=1)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=ModelStatus, default=ModelStatus.DRAFT
    )

    class Meta:
        ordering = ["name", "-revision"]
        verbose_name = _("modèle d'évaluation")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code", "revision"], name="evalmodel_unique_revision"
            ),
            models.UniqueConstraint(
                fields=["organisation", "code"],
                condition=Q(status="publie"),
                name="evalmodel_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.revision})"

    @property
    def is_frozen(self) -> bool:
        return self.status != ModelStatus.DRAFT


class Section(models.Model):
    model = models.ForeignKey(EvaluationModel, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("titre"), max_length=200)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("section")

    def __str__(self) -> str:
        return self.title


class AnswerType(models.TextChoices):
    TEXT = "texte", _("texte libre")
    YES_NO = "oui_non", _("oui / non")
    CHOICE = "choix", _("choix unique")
    SCORE = "score", _("échelle (score)")
    DATE = "date", _("date")


class Question(models.Model):
    """A question of a section. A scored question may name a SERAFIN-PH need (J285):
    a high score then suggests that need for the personalised project."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("intitulé"), max_length=300)
    help_text = models.TextField(_("aide"), blank=True)
    answer_type = models.CharField(_("type de réponse"), max_length=10, choices=AnswerType)
    options = models.JSONField(_("choix possibles"), default=list, blank=True)
    min_score = models.IntegerField(_("score minimal"), null=True, blank=True)
    max_score = models.IntegerField(_("score maximal"), null=True, blank=True)
    need_code = models.CharField(_("besoin SERAFIN-PH (J285)"), max_length=20, blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    position = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("question")
        constraints = [
            models.CheckConstraint(
                condition=~Q(answer_type="score")
                | Q(min_score__isnull=False, max_score__isnull=False, max_score__gt=F("min_score")),
                name="question_score_bounds",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class FilledEvaluation(VersionedModel):
    """A grid filled for a person from one revision of an evaluation model."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="filled_evaluations")
    stay = models.ForeignKey(Stay, on_delete=models.PROTECT, related_name="filled_evaluations")
    model = models.ForeignKey(
        EvaluationModel, on_delete=models.PROTECT, related_name="filled_evaluations"
    )
    status = models.CharField(
        _("statut"), max_length=15, choices=EvaluationStatus, default=EvaluationStatus.DRAFT
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluated_on = models.DateField(_("date de l'évaluation"))
    comment = models.TextField(_("synthèse"), blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    validated_on = models.DateField(_("validée le"), null=True, blank=True)

    class Meta:
        ordering = ["-evaluated_on", "-pk"]
        verbose_name = _("évaluation")

    def __str__(self) -> str:
        return f"{self.model.name} du {self.evaluated_on:%d/%m/%Y}"


class Answer(models.Model):
    """One answer; the column used depends on the question's type."""

    evaluation = models.ForeignKey(
        FilledEvaluation, on_delete=models.PROTECT, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("réponse"), blank=True)
    boolean = models.BooleanField(_("oui / non"), null=True, blank=True)
    score = models.IntegerField(_("score"), null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["question__section__position", "question__position", "question_id"]
        verbose_name = _("réponse")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "question"], name="answer_unique"),
        ]

    def __str__(self) -> str:
        return f"Réponse à « {self.question} »"
