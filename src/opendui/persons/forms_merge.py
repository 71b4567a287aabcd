"""Forms of the duplicate merge pages (persons.views_merge)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .merge import MIN_REASON_LENGTH
from .models import Person


class TargetSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher le dossier à conserver"),
        required=False,
        max_length=100,
        help_text=_("Nom, date de naissance (JJ/MM/AAAA) ou identifiant local."),
    )


class ProposeMergeForm(forms.Form):
    """The record to keep (among the persons the user may see) and the reason.

    The template draws the radio buttons itself, one per candidate shown, so that each
    carries its identity in a table; the field validates the submitted id against
    `targets` (visible, not merged, not the duplicate itself).
    """

    target = forms.ModelChoiceField(
        label=_("Dossier à conserver"),
        queryset=Person.objects.none(),
        error_messages={
            "required": _("Choisissez le dossier à conserver."),
            "invalid_choice": _(
                "Ce dossier ne peut pas être choisi : il est hors de votre périmètre, "
                "déjà fusionné, ou c'est le doublon lui-même."
            ),
        },
    )
    reason = forms.CharField(
        label=_("Motif de la fusion"),
        min_length=MIN_REASON_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Pourquoi ces deux dossiers concernent la même personne (pièce d'identité "
            "vérifiée, erreur de saisie…)."
        ),
        error_messages={
            "required": _("Indiquez le motif de la fusion."),
            "min_length": _("Le motif doit compter %(limit_value)d caractères au moins."),
        },
    )

    def __init__(self, *args, targets: QuerySet[Person] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["target"].queryset = targets


class ApproveMergeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "J'ai vérifié que les deux dossiers concernent la même personne et que le dossier "
            "conservé porte la bonne identité."
        ),
        error_messages={"required": _("Cochez la case pour confirmer la vérification.")},
    )
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectMergeForm(forms.Form):
    comment = forms.CharField(
        label=_("Motif du rejet"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Indiquez le motif du rejet.")},
    )
