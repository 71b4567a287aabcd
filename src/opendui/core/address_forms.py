"""Postal address form fields shared by the administrative file and the directory.

`address_model_widgets()` gives model forms (administrative.AddressForm) the browser
hints of each part; `PostalAddressFields` declares the fields of a plain form whose model keeps the
address on one line (directory entries). Both check French postal codes with
`core.addresses.postal_code_problem`, so the wording is the same everywhere.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .addresses import postal_code_problem


def postal_code_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"})


def city_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "address-level2"})


def address_widget(line: int = 1) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": f"address-line{line}"})


def clean_french_postal_code(value: str) -> str:
    """A typed postal code, trimmed; a form error in French when it is not 5 digits.
    Empty stays empty (the field says whether it is required)."""
    value = (value or "").strip()
    problem = postal_code_problem(value) if value else None
    if problem:
        raise forms.ValidationError(problem)
    return value


class PostalAddressFields(forms.Form):
    """Address (one line), postal code and commune, all optional; a French postal code."""

    address = forms.CharField(
        label=_("Adresse"), max_length=200, required=False, widget=address_widget()
    )
    postal_code = forms.CharField(
        label=_("Code postal"), max_length=5, required=False, widget=postal_code_widget()
    )
    city = forms.CharField(label=_("Commune"), max_length=100, required=False, widget=city_widget())

    def clean_postal_code(self) -> str:
        return clean_french_postal_code(self.cleaned_data["postal_code"])


def address_model_widgets() -> dict[str, Any]:
    """Widgets of a model form over administrative.Address-like columns."""
    return {
        "line1": address_widget(1),
        "line2": address_widget(2),
        "postal_code": postal_code_widget(),
        "city": city_widget(),
    }
