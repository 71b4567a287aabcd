"""The form of the "Générer un document" page (documents.views_generate)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .generation import DocumentKind
from .generation.templates import kind_label


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document à générer"))
    stay = forms.TypedChoiceField(label=_("Séjour concerné"), coerce=int)
    director_name = forms.CharField(
        label=_("Nom du signataire pour l'établissement"),
        max_length=120,
        required=False,
        help_text=_("Laissé vide, une ligne est imprimée pour l'écrire à la main."),
    )
    changes = forms.CharField(
        label=_("Modifications apportées par l'avenant"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    recipient_name = forms.CharField(
        label=_("Destinataire du courrier"), max_length=200, required=False
    )
    recipient_address = forms.CharField(
        label=_("Adresse du destinataire"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    subject = forms.CharField(label=_("Objet du courrier"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Texte du courrier"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, stays=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------")] + [
            (kind.value, kind_label(kind))
            for kind in DocumentKind
            # The PP is generated when a version is validated (project_pdf), not here.
            if kind is not DocumentKind.PROJET_PERSONNALISE
        ]
        self.fields["stay"].choices = [
            (
                stay.pk,
                f"{stay.facility} — depuis le {stay.start_date:%d/%m/%Y}"
                + (f", jusqu'au {stay.end_date:%d/%m/%Y}" if stay.end_date else ""),
            )
            for stay in stays
        ]
        if len(stays) == 1:
            self.fields["stay"].initial = stays[0].pk

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        if kind == DocumentKind.AVENANT and not (data.get("changes") or "").strip():
            self.add_error("changes", _("Décrivez ce que l'avenant modifie."))
        if kind == DocumentKind.COURRIER:
            if not (data.get("recipient_name") or "").strip():
                self.add_error("recipient_name", _("Indiquez le destinataire."))
            if not (data.get("body") or "").strip():
                self.add_error("body", _("Écrivez le texte du courrier."))
        return data
