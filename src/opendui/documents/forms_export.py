"""The request form of a record export: why the record leaves the application."""

from __future__ import annotations

from django import forms

from .models import ExportReason


class ExportRequestForm(forms.Form):
    reason = forms.ChoiceField(
        label="Motif de l'export",
        choices=ExportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le motif de l'export."},
    )
    detail = forms.CharField(
        label="Précision (destinataire, référence de la demande…)",
        max_length=300,
        required=False,
        help_text="Obligatoire pour le motif « autre ». Elle est inscrite dans le journal d'audit.",
        widget=forms.TextInput,
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == ExportReason.OTHER and not data.get("detail", "").strip():
            self.add_error("detail", "Précisez le motif de l'export.")
        return data
