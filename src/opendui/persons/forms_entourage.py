"""Forms of the entourage, legal protection and consents page (persons.views_entourage)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import RowActionFormMixin

from .models_entourage import (
    ConsentGiver,
    ConsentKind,
    ConsentScope,
    MeasureType,
    RelatedPerson,
    RelationType,
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices.choices]


class _RepresentativeMixin(forms.Form):
    """A representative chosen among the person's active related persons."""

    def __init__(self, *args, person=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        queryset = RelatedPerson.objects.none()
        if person is not None:
            queryset = RelatedPerson.objects.filter(person=person, is_active=True)
        self.fields["representative"].queryset = queryset


class RelatedPersonForm(forms.Form):
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    relation = forms.ChoiceField(label=_("Lien"), choices=_blank(RelationType))
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Courriel"), required=False)
    address = forms.CharField(
        label=_("Adresse"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_trusted_person = forms.BooleanField(label=_("Personne de confiance"), required=False)
    is_emergency_contact = forms.BooleanField(label=_("Personne à prévenir"), required=False)
    is_legal_representative = forms.BooleanField(label=_("Représentant légal"), required=False)


class RelatedPersonEditForm(RowActionFormMixin, RelatedPersonForm):
    """Correction of a current related person's contact details and roles."""

    def __init__(self, data=None, *args, related=None, **kwargs) -> None:
        if related is not None and data is None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(related, name) for name in RelatedPersonForm.base_fields},
                    "expected_version": related.version,
                },
            )
        super().__init__(data, *args, **kwargs)


class EndRelationForm(RowActionFormMixin):
    end_date = bounded.DateField(label=_("Fin de la relation le"), widget=_date_input())
    end_reason = forms.CharField(
        label=_("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : décès, séparation, ne souhaite plus être contacté(e)."),
    )


class MeasureForm(_RepresentativeMixin):
    measure = forms.ChoiceField(label=_("Mesure"), choices=_blank(MeasureType))
    start_date = bounded.DateField(label=_("Date de début"), widget=_date_input())
    end_date = bounded.DateField(label=_("Date de fin"), required=False, widget=_date_input())
    judgment_reference = forms.CharField(
        label=_("Référence du jugement"), max_length=100, required=False
    )
    court = forms.CharField(label=_("Juridiction"), max_length=200, required=False)
    representative = bounded.ModelChoiceField(
        label=_("Représentant ou mandataire"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        help_text=_("Choisi parmi les personnes de l'entourage."),
    )


class ConsentForm(_RepresentativeMixin):
    scope = forms.ChoiceField(label=_("Objet"), choices=_blank(ConsentScope))
    kind = forms.ChoiceField(label=_("Nature"), choices=_blank(ConsentKind))
    given_on = bounded.DateField(label=_("Date du recueil"), widget=_date_input())
    given_by = forms.ChoiceField(label=_("Exprimé par"), choices=_blank(ConsentGiver))
    representative = bounded.ModelChoiceField(
        label=_("Représentant"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        help_text=_("Seulement si c'est le représentant qui s'est exprimé."),
    )
    evidence = forms.CharField(
        label=_("Justificatif"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_reference = forms.CharField(
        label=_("Référence du justificatif"), max_length=200, required=False
    )


class WithdrawConsentForm(forms.Form):
    on = bounded.DateField(label=_("Retiré le"), widget=_date_input())
    reason = forms.CharField(label=_("Motif du retrait"), widget=forms.Textarea(attrs={"rows": 2}))
