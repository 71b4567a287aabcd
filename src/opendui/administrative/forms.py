"""Forms of the administrative page (one per section; edit forms carry the version)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.address_forms import address_model_widgets
from opendui.core.forms import VersionedFormMixin
from opendui.persons.models_entourage import RelatedPerson

from . import reference
from .models import (
    Address,
    ComplementaryCover,
    Coverage,
    Email,
    Phone,
    PhotoConsent,
    Profile,
    Right,
)


def _date() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(choices: list[tuple[str, str]], label: str = "—") -> list[tuple[str, str]]:
    return [("", label), *choices]


class _ItemForm(VersionedFormMixin, bounded.BoundedModelForm):
    """A row of the administrative file; the version is required when it edits one."""


class AddressForm(_ItemForm):
    country = forms.ChoiceField(label=_("Pays"), choices=reference.countries)

    class Meta:
        model = Address
        fields = [
            "kind",
            "line1",
            "line2",
            "postal_code",
            "city",
            "commune_code",
            "country",
            "valid_from",
        ]
        widgets = {"valid_from": _date(), **address_model_widgets()}
        help_texts = {
            "commune_code": _("Facultatif : 5 caractères (75056 pour Paris, 2A004 pour Ajaccio)."),
        }


class PhoneForm(_ItemForm):
    class Meta:
        model = Phone
        fields = ["kind", "number", "valid_from"]
        widgets = {
            "valid_from": _date(),
            "number": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "number": _("10 chiffres (06 12 34 56 78) ou +indicatif pour l'étranger."),
        }


class EmailForm(_ItemForm):
    class Meta:
        model = Email
        fields = ["kind", "address", "valid_from"]
        widgets = {"valid_from": _date()}


class CoverageForm(_ItemForm):
    regime = forms.ChoiceField(label=_("Régime"), choices=lambda: _blank(reference.regimes()))

    class Meta:
        model = Coverage
        fields = [
            "regime",
            "organisation_code",
            "start_date",
            "end_date",
            "beneficiary_nir",
            "insured_is_person",
            "insured_last_name",
            "insured_first_name",
            "insured_nir",
        ]
        widgets = {"start_date": _date(), "end_date": _date()}
        help_texts = {
            "insured_is_person": _(
                "Décochez si les droits sont ouverts par un proche (ouvrant droit) ; "
                "indiquez alors son nom et son NIR."
            ),
        }


class ComplementaryForm(_ItemForm):
    class Meta:
        model = ComplementaryCover
        fields = ["kind", "organisation_name", "contract_number", "start_date", "end_date"]
        widgets = {"start_date": _date(), "end_date": _date()}


class RightForm(_ItemForm):
    class Meta:
        model = Right
        fields = [
            "kind",
            "department",
            "decision_reference",
            "decision_date",
            "start_date",
            "end_date",
            "cmi_invalidity",
            "cmi_priority",
            "cmi_parking",
            "notes",
        ]
        widgets = {
            "decision_date": _date(),
            "start_date": _date(),
            "end_date": _date(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class ProfileForm(_ItemForm):
    preferred_language = forms.ChoiceField(
        label=_("Langue préférée"),
        required=False,
        choices=lambda: _blank(reference.languages(), "Non renseignée"),
    )
    nationality = forms.ChoiceField(
        label=_("Nationalité"),
        required=False,
        choices=lambda: _blank(reference.countries(), "Non renseignée"),
    )

    class Meta:
        model = Profile
        fields = ["preferred_language", "interpreter_needed", "nationality", "family_situation"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # Nothing seen yet: the first save creates the row (version 0).
            self.fields["expected_version"].initial = 0

    def edits_existing(self) -> bool:
        return True


class EndForm(VersionedFormMixin):
    edits = True
    valid_until = bounded.DateField(label=_("Plus valable depuis le"), widget=_date())
    end_reason = forms.CharField(
        label=_("Motif"),
        max_length=500,
        help_text=_("Par exemple : déménagement, numéro résilié."),
    )


class PhotoConsentForm(bounded.BoundedModelForm):
    representative = bounded.ModelChoiceField(
        label=_("Représentant"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        help_text=_("Seulement si c'est le représentant légal qui a donné son accord."),
    )

    class Meta:
        model = PhotoConsent
        fields = ["given_on", "given_by", "representative", "form"]
        widgets = {"given_on": _date()}

    def __init__(self, *args, person=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if person is not None:
            self.fields["representative"].queryset = RelatedPerson.objects.filter(
                person=person, is_active=True
            )


class WithdrawConsentForm(VersionedFormMixin):
    edits = True
    on = bounded.DateField(label=_("Retiré le"), widget=_date())
    reason = forms.CharField(label=_("Motif du retrait"), max_length=500)


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        help_text=_(
            "Prenez la photo avec la tablette ou choisissez un fichier JPEG, PNG ou WebP. "
            "Elle est réduite et ses métadonnées sont retirées."
        ),
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "user"}),
    )
