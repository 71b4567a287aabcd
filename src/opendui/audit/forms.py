"""Filters of the DPO's audit pages (GET forms: they change nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded

from .labels import action_choices
from .models import EventKind

# The trail starts with the installation; anything before this is a typing error.
EARLIEST = dt.date(2000, 1, 1)


class AuditSearchForm(forms.Form):
    professional = forms.CharField(
        label=_("Professionnel (adresse e-mail, tout ou partie)"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    person = forms.CharField(
        label=_("Personne accompagnée (nom, date de naissance JJ/MM/AAAA ou identifiant local)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    date_from = bounded.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = bounded.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    kind = forms.ChoiceField(
        label=_("Nature"),
        required=False,
        choices=[("", _("Toutes")), *EventKind.choices],
    )
    break_glass = forms.BooleanField(
        label=_("Accès exceptionnels (bris de glace) uniquement"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Toutes")), *action_choices()]

    def _clean_date(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and value < EARLIEST:
            raise forms.ValidationError(
                _("Indiquez une date postérieure au %(d)s.") % {"d": EARLIEST.strftime("%d/%m/%Y")}
            )
        return value

    def clean_date_from(self) -> dt.date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._clean_date("date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("La date de fin doit suivre la date de début."))
        for name in ("professional", "person"):
            cleaned[name] = (cleaned.get(name) or "").strip()
        return cleaned

    def used_filters(self) -> dict[str, str]:
        """The filters actually used, as text (recorded with the search)."""
        return {
            name: str(value)
            for name, value in self.cleaned_data.items()
            if value not in ("", None, False)
        }


class PersonAccessFilterForm(forms.Form):
    break_glass = forms.BooleanField(
        label=_("Afficher uniquement les accès exceptionnels (bris de glace)"), required=False
    )
