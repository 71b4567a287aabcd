"""The search of the Annuaire Santé from the directory (GET) and the add button (POST)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opendui.core import identifiers
from opendui.core.identifiers import ascii_digits

from . import professions

PROFESSIONALS = "professionnels"
STRUCTURES = "structures"


class AnnuaireSearchForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Chercher"),
        choices=[(PROFESSIONALS, _("des professionnels")), (STRUCTURES, _("des structures"))],
        initial=PROFESSIONALS,
    )
    name = forms.CharField(label=_("Nom"), max_length=100, required=False)
    number = forms.CharField(
        label=_("RPPS ou ADELI (professionnels), FINESS (structures)"),
        max_length=20,
        required=False,
    )
    profession = forms.ChoiceField(label=_("Profession"), required=False)
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Code postal"), max_length=5, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = [("", _("Toutes")), *professions.choices()]

    def clean_number(self) -> str:
        return identifiers.normalise_identifier(self.cleaned_data["number"])

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        if value and not ascii_digits(value):
            raise ValidationError("Un code postal ne contient que des chiffres.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(k) for k in ("name", "number", "profession", "city", "postal_code")):
            raise ValidationError("Indiquez au moins un critère de recherche.")
        number = data.get("number", "")
        if number and data.get("kind") == PROFESSIONALS:
            if len(number) == 11 and identifiers.rpps_problem(number):
                self.add_error("number", identifiers.rpps_problem(number))
            elif len(number) not in (9, 11):
                self.add_error(
                    "number", "Un numéro RPPS a 11 chiffres, un numéro ADELI 9 caractères."
                )
        if number and data.get("kind") == STRUCTURES and identifiers.finess_problem(number):
            self.add_error("number", identifiers.finess_problem(number))
        return data

    def professional_criteria(self) -> dict[str, str]:
        data = self.cleaned_data
        number = data["number"]
        return {
            "rpps": number if len(number) == 11 else "",
            "adeli": number if len(number) == 9 else "",
            "name": data["name"],
            "profession": data["profession"],
            "city": data["city"],
            "postal_code": data["postal_code"],
        }

    def structure_criteria(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "finess": data["number"],
            "name": data["name"],
            "city": data["city"],
            "postal_code": data["postal_code"],
        }
