"""Forms of the duplicate merge pages (persons.views_merge)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded

from .merge import MIN_REASON_LENGTH, SOURCE, TARGET, strict_traits_forced
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

    target = bounded.ModelChoiceField(
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


def _strict_summary(person: Person) -> str:
    names = person.birth_first_names or person.first_name
    return (
        f"{person.birth_name.upper()} {names}, {person.get_sex_display().lower()}, "
        f"né·e le {person.birth_date:%d/%m/%Y}"
        + (f" à {person.birth_place_code}" if person.birth_place_code else "")
        + f" ({person.identity_status.label.lower()})"
    )


class ApproveMergeForm(forms.Form):
    """The referent's confirmation, and which record's traits the kept record carries
    (persons.merge.resolve_trait_choices checks the choice again)."""

    # Not required: a submission without a choice gets the service's default (the
    # qualified record's strict traits, else the kept record's ones).
    strict = forms.ChoiceField(
        label=_("Traits stricts conservés, avec l'INS et le statut de l'identité"),
        widget=forms.RadioSelect,
        required=False,
    )
    used_name = forms.ChoiceField(
        label=_("Nom utilisé conservé"), widget=forms.RadioSelect, required=False
    )
    used_first_name = forms.ChoiceField(
        label=_("Prénom utilisé conservé"), widget=forms.RadioSelect, required=False
    )
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

    def __init__(self, *args, source: Person, target: Person, **kwargs) -> None:
        forced = strict_traits_forced(source, target)
        kwargs.setdefault(
            "initial",
            {"strict": forced or TARGET, "used_name": TARGET, "used_first_name": TARGET},
        )
        super().__init__(*args, **kwargs)
        records = {
            TARGET: _("dossier conservé %(id)s") % {"id": target.local_id},
            SOURCE: _("doublon %(id)s") % {"id": source.local_id},
        }
        persons = {TARGET: target, SOURCE: source}
        strict = self.fields["strict"]
        strict.choices = [
            (key, f"{records[key]} : {_strict_summary(persons[key])}")
            for key in (TARGET, SOURCE)
            if forced in (None, key)
        ]
        if forced is not None:
            strict.help_text = _(
                "L'identité du %(record)s est qualifiée : ses traits stricts sont conservés "
                "et ne peuvent pas être remplacés par ceux de l'autre dossier."
            ) % {"record": records[forced]}
            strict.error_messages["invalid_choice"] = strict.help_text
        for name in ("used_name", "used_first_name"):
            self.fields[name].choices = [
                (key, f"{records[key]} : {getattr(persons[key], name) or '(aucun)'}")
                for key in (TARGET, SOURCE)
            ]

    def trait_choices(self) -> dict[str, str]:
        names = ("strict", "used_name", "used_first_name")
        return {name: self.cleaned_data[name] for name in names if self.cleaned_data[name]}


class RejectMergeForm(forms.Form):
    """The referent's reason for rejecting the proposal."""

    comment = forms.CharField(
        label=_("Motif du rejet"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Indiquez le motif du rejet.")},
    )
