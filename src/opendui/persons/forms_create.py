"""The form creating a person's record, with the duplicate check (identity vigilance)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.actor import Actor
from opendui.organisations.models import Facility, Unit
from opendui.stays.models import StayMode

from . import traits
from .duplicates import Traits
from .forms_identity import NAME_HELP, clean_trait
from .models import Sex
from .services_create import ADMISSION, REQUEST, DuplicateCheck, check_duplicates

EARLIEST_BIRTH_DATE = traits.EARLIEST_BIRTH_DATE


class PersonCreateForm(forms.Form):
    facility = bounded.ModelChoiceField(
        label=_("Établissement d'accueil"), queryset=Facility.objects.none(), empty_label=None
    )
    entry = forms.ChoiceField(
        label=_("Entrée dans l'établissement"),
        choices=[
            (REQUEST, _("Demande d'admission : inscrire la personne sur la liste d'attente")),
            (ADMISSION, _("Admission immédiate : le séjour commence aujourd'hui")),
        ],
        initial=REQUEST,
        required=False,
        widget=forms.RadioSelect,
    )
    unit = bounded.ModelChoiceField(
        label=_("Unité"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("(aucune unité)"),
    )
    mode = forms.ChoiceField(
        label=_("Mode d'accueil"),
        choices=[("", _("(mode habituel de l'établissement)")), *StayMode.choices],
        required=False,
        help_text=_(
            "Pour une admission immédiate. Par défaut : hébergement permanent dans un "
            "établissement qui en a des places (EHPAD…), intervention à domicile pour un "
            "service à domicile (SSIAD, SAAD…), accueil de jour pour un accueil de jour."
        ),
    )
    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100, help_text=NAME_HELP)
    birth_first_names = forms.CharField(
        label=_("Prénoms de naissance"),
        max_length=255,
        help_text=_("Tous les prénoms, dans l'ordre de l'état civil, séparés par des espaces."),
    )
    used_name = forms.CharField(
        label=_("Nom utilisé"), max_length=100, required=False, help_text=NAME_HELP
    )
    used_first_name = forms.CharField(label=_("Prénom utilisé"), max_length=100, required=False)
    birth_date = bounded.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date de naissance valide.")},
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    birth_place_code = forms.CharField(
        label=_("Lieu de naissance (code INSEE)"),
        max_length=5,
        required=False,
        help_text=_(
            "Code de la commune de naissance (5 caractères, 2A/2B pour la Corse), "
            "ou 99 suivi du code du pays pour une naissance à l'étranger."
        ),
    )
    confirm_not_duplicate = forms.BooleanField(
        label=_("Je confirme qu'il ne s'agit d'aucune de ces personnes"), required=False
    )

    def __init__(
        self, *args: Any, facilities: Sequence[Facility], actor: Actor, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        ids = [f.pk for f in facilities]
        self.fields["facility"].queryset = Facility.objects.filter(pk__in=ids).order_by("name")
        self.fields["unit"].queryset = (
            Unit.objects.filter(facility_id__in=ids, is_active=True)
            .select_related("facility")
            .order_by("facility__name", "name")
        )
        self.fields["unit"].label_from_instance = lambda u: f"{u.facility.name} – {u.name}"
        self.duplicates = DuplicateCheck()

    def clean_entry(self) -> str:
        # Absent from older clients and scripts: they created an admitted person.
        return self.cleaned_data["entry"] or ADMISSION

    # Name traits: the RNIV character rules (persons.traits), stored in INS form.
    def clean_birth_name(self) -> str:
        return clean_trait(self, "birth_name", lambda v: traits.normalise_name(v, "birth_name"))

    def clean_birth_first_names(self) -> str:
        return clean_trait(self, "birth_first_names", traits.normalise_first_names)

    def clean_used_name(self) -> str:
        return clean_trait(
            self, "used_name", lambda v: traits.normalise_name(v, "used_name", required=False)
        )

    def clean_used_first_name(self) -> str:
        return clean_trait(
            self,
            "used_first_name",
            lambda v: traits.normalise_name(v, "used_first_name", required=False),
        )

    def clean_birth_date(self) -> dt.date:
        return clean_trait(
            self, "birth_date", lambda v: traits.normalise_birth_date(v, timezone.localdate())
        )

    def clean_birth_place_code(self) -> str:
        # Format, then the INSEE code at birth looked up in the COG (opendui.geography).
        birth_date = self.cleaned_data.get("birth_date")
        return clean_trait(
            self, "birth_place_code", lambda v: traits.normalise_birth_place(v, birth_date)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        facility, unit = data.get("facility"), data.get("unit")
        if facility is not None and unit is not None and unit.facility_id != facility.pk:
            self.add_error("unit", _("Cette unité n'appartient pas à l'établissement choisi."))
        if unit is not None and data.get("entry") == REQUEST:
            self.add_error(
                "unit",
                _("Une demande d'admission ne porte pas d'unité : elle se choisit à l'admission."),
            )
        if data.get("mode") and data.get("entry") == REQUEST:
            self.add_error(
                "mode",
                _(
                    "Une demande d'admission ne porte pas de mode d'accueil : il se choisit "
                    "à l'admission."
                ),
            )
        if self.errors or facility is None:
            return data
        # Scoped and audited: records outside the user's scope are only said to exist.
        self.duplicates = check_duplicates(self.actor, facility, self.traits())
        if self.duplicates.found and not data.get("confirm_not_duplicate"):
            self.add_error(
                "confirm_not_duplicate",
                forms.ValidationError(
                    _(
                        "Des dossiers ressemblent à cette identité. Vérifiez qu'il ne s'agit "
                        "pas de la même personne (ou signalez-le au référent en "
                        "identitovigilance), puis cochez la confirmation pour créer le dossier."
                    ),
                    code="possible_duplicate",
                ),
            )
        return data

    def traits(self) -> Traits:
        data = self.cleaned_data
        return Traits.of(
            birth_name=data["birth_name"],
            birth_date=data["birth_date"],
            birth_first_names=data["birth_first_names"],
            used_name=data.get("used_name", ""),
            used_first_name=data.get("used_first_name", ""),
        )
