from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, date de naissance (JJ/MM/AAAA) ou identifiant"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    archives = forms.BooleanField(label=_("Inclure les dossiers archivés"), required=False)


class BreakGlassSearchForm(forms.Form):
    birth_name = forms.CharField(label=_("Nom de naissance (complet)"), max_length=100)
    birth_date = bounded.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_birth_date(self) -> dt.date:
        value = self.cleaned_data["birth_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        return value


class BreakGlassForm(forms.Form):
    """The grant request of one search result: the search itself (hidden), the result's
    token (persons.services.break_glass_token) and the reason. No record id: the server
    runs the search again and opens only a record it finds."""

    birth_name = forms.CharField(widget=forms.HiddenInput, max_length=100)
    birth_date = bounded.DateField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    reason = forms.CharField(
        label=_("Motif de l'accès exceptionnel"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Obligatoire, 15 lettres ou chiffres au moins. Le motif, votre nom et l'heure "
            "sont enregistrés et visibles par le délégué à la protection des données."
        ),
    )
