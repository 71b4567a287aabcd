"""Draft a PP's needs from an evaluation ("Compléter le PP à partir de cette évaluation").

The evaluation suggests needs (evaluations.needs.needs_from_evaluation); the PP side
decides where they go: the stay's version in preparation, else a new version of the
running one, else a first PP. A need already in the draft (same SERAFIN code) is not
added twice, so pressing the button again changes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from opendui.core.actor import Actor

from . import services
from .models import PersonalisedProject
from .rules import ProjectStatus
from .sections import add_needs

DEFAULT_TYPE = "PPA"
DEFAULT_TITLE = "Projet personnalisé d'accompagnement"


def draft_for_stay(actor: Actor, stay) -> PersonalisedProject:
    """The stay's PP version in preparation, created (first PP or new version) if needed."""
    versions = PersonalisedProject.objects.filter(stay=stay).order_by("-number")
    draft = versions.filter(status=ProjectStatus.DRAFT).first()
    if draft is not None:
        return draft
    latest = versions.first()
    if latest is None:
        return services.create_project(actor, stay, project_type=DEFAULT_TYPE, title=DEFAULT_TITLE)
    if latest.status == ProjectStatus.DONE:
        raise ValidationError(
            "Le projet personnalisé de ce séjour est terminé : aucune nouvelle version n'en "
            "est préparée."
        )
    return services.new_version(actor, latest)


def complete_from_evaluation(actor: Actor, evaluation) -> tuple[PersonalisedProject, int]:
    """Add the evaluation's suggested needs to the stay's draft PP; returns (draft, added)."""
    from opendui.evaluations.needs import needs_from_evaluation

    suggestions = needs_from_evaluation(evaluation)
    if not suggestions:
        raise ValidationError(
            "Cette évaluation ne suggère aucun besoin (elle doit être approuvée ou validée, "
            "avec des besoins cotés 2 ou 3)."
        )
    with transaction.atomic():
        draft = draft_for_stay(actor, evaluation.stay)
        present = set(draft.needs.values_list("code", flat=True))
        new = [s for s in suggestions if s.code not in present]
        add_needs(actor, draft, new)
    return draft, len(new)
