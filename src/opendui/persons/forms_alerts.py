"""The referent's form closing an alert of a possible duplicate (persons.alerts)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core.forms import VersionedFormMixin


class CloseAlertForm(VersionedFormMixin):
    edits = True  # acts on a stored row: its version is required
    comment = forms.CharField(
        label=_("Suite donnée"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : fusion proposée, identités distinctes vérifiées."),
        error_messages={"required": _("Indiquez la suite donnée au signalement.")},
    )
