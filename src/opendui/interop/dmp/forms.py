"""Forms of the DMP actions (documents tab, failures list). French labels; the services
check everything again (rules, rights, versions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core.forms import RowActionFormMixin

from . import rules

FLAGS = (
    rules.HIDDEN_FROM_PROFESSIONALS,
    rules.INVISIBLE_TO_PATIENT,
    rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES,
)


class VisibilityMixin(forms.Form):
    hidden_from_professionals = forms.BooleanField(
        label=_("Masquer aux professionnels"), required=False
    )
    invisible_to_patient = forms.BooleanField(
        label=_("Rendre invisible au patient"), required=False
    )
    invisible_to_legal_representatives = forms.BooleanField(
        label=_("Rendre invisible aux représentants légaux"), required=False
    )

    def visibility(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in FLAGS}


class ShareForm(VisibilityMixin):
    """« Verser au DMP » (a creation: the view uses the one-time form token)."""


class VisibilityForm(RowActionFormMixin, VisibilityMixin):
    """Change the DMP visibility of a shared document (with the share's version)."""


class RemoveForm(RowActionFormMixin):
    reason = forms.CharField(label=_("Motif du retrait"), max_length=500)


class QueueVersionForm(RowActionFormMixin):
    """Send the current version of a shared document (it replaces the previous one)."""
