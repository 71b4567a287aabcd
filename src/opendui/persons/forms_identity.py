"""Forms of the identity vigilance page (persons.views_identity)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rniv


class DocumentCheckForm(forms.Form):
    """The identity document the traits were checked against."""

    document = forms.ChoiceField(
        label=_("Pièce d'identité contrôlée"),
        choices=[("", "—")] + [(d.value, d.label) for d in rniv.DocumentType],
        help_text=_(
            "Carte nationale d'identité, passeport, titre de séjour… Les autres documents "
            "ne sont admis que pour un mineur ou une admission directe en EHPAD."
        ),
    )
    ehpad_direct_admission = forms.BooleanField(
        label=_(
            "Admission directe en EHPAD (livret de famille ou acte de naissance + carte Vitale)"
        ),
        required=False,
    )


class AttributeForm(forms.Form):
    """Flag the identity douteuse, fictive or homonyme, with the reason."""

    attribute = forms.ChoiceField(
        label=_("Attribut"),
        choices=[("", "—")] + [(a.value, a.label) for a in rniv.IdentityAttribute],
    )
    reason = forms.CharField(
        label=_("Motif"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
