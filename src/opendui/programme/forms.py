"""Forms of the ESMS Numérique project pages (programme.views); services validate again."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from opendui.core.fields import bounded_formfield
from opendui.core.forms import VersionedFormMixin
from opendui.core.identifiers import normalise_identifier, siret_problem
from opendui.organisations.models import Couloir

from .models import Grappe, GrappeMember, Milestone
from .services import GRAPPE_FIELDS


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class GrappeForm(VersionedFormMixin):
    """The project's settings; on creation, the organisation when the user pilots several."""

    def __init__(self, *args, organisations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None and len(organisations) > 1:
            self.fields["organisation"] = forms.TypedChoiceField(
                label=_("Organisme porteur"),
                coerce=int,
                choices=[(o.pk, o.name) for o in organisations],
            )
            self.order_fields(["organisation"])

    def clean_carrier_siret(self) -> str:
        value = normalise_identifier(self.cleaned_data.get("carrier_siret") or "")
        if value and (problem := siret_problem(value)):
            raise forms.ValidationError(problem)
        return value


GrappeForm.base_fields.update(
    fields_for_model(
        Grappe,
        fields=GRAPPE_FIELDS,
        formfield_callback=bounded_formfield,
        widgets={"editor_contract_on": _date_input()},
        help_texts={
            "carrier_siret": _("14 chiffres ; par défaut, le SIRET du siège de l'organisme."),
            "duration_months": _(
                "Au plus 18 mois pour une acquisition ou un projet mixte, 9 mois (idéalement "
                "6) pour une montée de version."
            ),
            "editor_contract_on": _(
                "Barème 2025 : un contrat signé avant le 15/01/2025 rend le projet inéligible."
            ),
        },
    )
)
GrappeForm.base_fields["carrier_siret"].required = False


class PartnerForm(forms.Form):
    """An ESSMS of a partner OG, typed in by its FINESS numbers."""

    finess_et = forms.CharField(label=_("FINESS géographique de l'ESSMS"), max_length=20)
    name = forms.CharField(label=_("Nom de l'ESSMS"), max_length=200)
    couloir = forms.ChoiceField(
        label=_("Couloir"), choices=[("", _("Choisissez un couloir")), *Couloir.choices]
    )
    finess_ej = forms.CharField(
        label=_("FINESS juridique de son organisme gestionnaire"), max_length=20
    )
    partner_small_og = forms.BooleanField(
        label=GrappeMember._meta.get_field("partner_small_og").verbose_name, required=False
    )
    equipped = forms.BooleanField(
        label=_("Déjà équipé de la solution (montée de version, projet mixte)"),
        required=False,
    )


class MilestoneForm(VersionedFormMixin):
    pass


MilestoneForm.base_fields.update(
    fields_for_model(
        Milestone,
        fields=["planned_on", "done_on", "note"],
        formfield_callback=bounded_formfield,
        widgets={
            "planned_on": _date_input(),
            "done_on": _date_input(),
            "note": forms.Textarea(attrs={"rows": 3}),
        },
    )
)
