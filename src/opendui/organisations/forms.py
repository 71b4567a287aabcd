"""Forms of the organisation administration: the OG, its facilities (ESSMS) and their units.

National identifiers are normalised (spaces, dots and dashes removed) before
the model validators check them, so "750 712 184" is accepted as 750712184 and
a wrong key gets the French message of `opendui.core.identifiers`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.core.identifiers import ascii_digits, normalise_identifier

from .models import (
    Couloir,
    Facility,
    FinessCategory,
    ManagingOrganisation,
    Unit,
    validate_finess,
    validate_siret,
)

# Room for the spaces and dots people type ("750 712 184", "123.456.789.00012").
IDENTIFIER_INPUT_LENGTH = 24

CAPACITY_FIELDS = (
    "capacity_permanent",
    "capacity_temporary",
    "capacity_day_care",
    "capacity_service",
)


def _accept_formatted_identifier(field: forms.Field) -> None:
    """Let a CharField take an identifier with separators; its length is checked once
    normalised, by the identifier's own rule (one clear message instead of two)."""
    field.max_length = IDENTIFIER_INPUT_LENGTH
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs.update(
        {"maxlength": str(IDENTIFIER_INPUT_LENGTH), "inputmode": "numeric", "autocomplete": "off"}
    )


def _clean_identifier(value: str | None, validator: Any) -> str:
    value = normalise_identifier(value or "")
    if value:
        validator(value)
    return value


def _clean_postal_code(value: str | None) -> str:
    value = (value or "").replace(" ", "")
    if value and (len(value) != 5 or not ascii_digits(value)):
        raise ValidationError(_("Un code postal comporte 5 chiffres (ex. : 75012)."))
    return value


class OrganisationForm(bounded.BoundedModelForm):
    """Creating an organisme gestionnaire (entité juridique)."""

    class Meta:
        model = ManagingOrganisation
        fields = ["name", "finess_ej", "siret", "legal_status", "address", "postal_code", "city"]
        help_texts = {
            "finess_ej": _("9 caractères, clé de contrôle comprise (ex. : 750712184)."),
            "siret": _("14 chiffres : SIREN puis NIC du siège."),
        }
        error_messages = {
            "finess_ej": {
                "unique": _(
                    "Ce numéro FINESS juridique est déjà enregistré pour un autre organisme."
                )
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _accept_formatted_identifier(self.fields["finess_ej"])
        _accept_formatted_identifier(self.fields["siret"])
        self.fields["postal_code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "postal-code"}
        )

    def clean_finess_ej(self) -> str:
        return _clean_identifier(self.cleaned_data.get("finess_ej"), validate_finess)

    def clean_siret(self) -> str:
        return _clean_identifier(self.cleaned_data.get("siret"), validate_siret)

    def clean_postal_code(self) -> str:
        return _clean_postal_code(self.cleaned_data.get("postal_code"))


class OrganisationEditForm(VersionedFormMixin, OrganisationForm):
    """Editing an organisme gestionnaire; refuses to overwrite someone else's save."""


class CategoryChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj: FinessCategory) -> str:
        return f"{obj.code} – {obj.short_label} – {obj.label}"


class FacilityForm(bounded.BoundedModelForm):
    """Creating an ESSMS (FINESS géographique) in an organisation.

    The couloir may be left empty: it then follows the category (EHPAD → personnes
    âgées…); it stays editable for services that the category does not decide
    (a SSIAD for adults with disabilities, for instance).
    """

    category = CategoryChoiceField(
        label=_("Catégorie FINESS"),
        queryset=FinessCategory.objects.filter(deprecated=False).order_by("code"),
        empty_label=_("Choisissez une catégorie"),
        help_text=_("Nomenclature nationale FINESS (TRE_R66) : code – sigle – libellé."),
    )
    couloir = forms.ChoiceField(
        label=_("Couloir"),
        required=False,
        choices=[("", _("Selon la catégorie choisie")), *Couloir.choices],
        help_text=_("Laissez « Selon la catégorie choisie » pour reprendre celui de la catégorie."),
    )

    class Meta:
        model = Facility
        fields = [
            "name",
            "finess_et",
            "siret",
            "category",
            "couloir",
            *CAPACITY_FIELDS,
            "address",
            "postal_code",
            "city",
            "mssante_address",
        ]
        help_texts = {
            "finess_et": _("9 caractères, clé de contrôle comprise (ex. : 130783293)."),
            "siret": _("Facultatif. 14 chiffres : SIREN puis NIC de l'établissement."),
            "mssante_address": _(
                "Facultatif. Boîte aux lettres organisationnelle (ex. : accueil@ehpad.mssante.fr)."
            ),
        }
        error_messages = {
            "finess_et": {
                "unique": _(
                    "Ce numéro FINESS géographique est déjà enregistré pour un autre établissement."
                )
            },
            **{
                name: {
                    "min_value": _("Une capacité ne peut pas être négative."),
                    "invalid": _("Indiquez un nombre entier de places (0 si aucune)."),
                }
                for name in CAPACITY_FIELDS
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _accept_formatted_identifier(self.fields["finess_et"])
        _accept_formatted_identifier(self.fields["siret"])
        for name in CAPACITY_FIELDS:
            self.fields[name].widget.attrs.setdefault("min", "0")
        self.fields["postal_code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "postal-code"}
        )
        category = self.instance.category if self.instance.category_id else None
        if category is not None and category.deprecated:
            self.fields["category"].help_text = _(
                "La catégorie actuelle (%(category)s) est fermée dans la nomenclature FINESS : "
                "choisissez la catégorie en vigueur."
            ) % {"category": category}

    def clean_finess_et(self) -> str:
        return _clean_identifier(self.cleaned_data.get("finess_et"), validate_finess)

    def clean_siret(self) -> str:
        return _clean_identifier(self.cleaned_data.get("siret"), validate_siret)

    def clean_postal_code(self) -> str:
        return _clean_postal_code(self.cleaned_data.get("postal_code"))

    def clean_mssante_address(self) -> str:
        return (self.cleaned_data.get("mssante_address") or "").strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        category = data.get("category")
        if not data.get("couloir") and category is not None:
            data["couloir"] = category.couloir
        capacities = [data.get(name) for name in CAPACITY_FIELDS]
        is_active = data.get("is_active", True)
        if is_active and all(c is not None for c in capacities) and sum(capacities) == 0:
            self.add_error(
                "capacity_permanent",
                _(
                    "Indiquez la capacité autorisée : au moins une capacité (hébergement "
                    "permanent ou temporaire, accueil de jour, places de service) doit être "
                    "supérieure à 0 pour un établissement en activité."
                ),
            )
        return data


class FacilityEditForm(VersionedFormMixin, FacilityForm):
    """Editing an ESSMS, including closing it (is_active), never deleting it."""

    class Meta(FacilityForm.Meta):
        fields = [*FacilityForm.Meta.fields, "is_active"]
        help_texts = {
            **FacilityForm.Meta.help_texts,
            "is_active": _(
                "Décochez pour un établissement fermé : il reste consultable avec son "
                "historique mais n'est plus proposé."
            ),
        }


class UnitForm(bounded.BoundedModelForm):
    """Creating a unit; its facility is set by the view, never taken from the input."""

    class Meta:
        model = Unit
        fields = ["name"]
        help_texts = {"name": _("Unité de vie, service, pôle ou groupe éducatif.")}

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        # The facility is not a field of the form, so Django would skip the
        # (facility, name) constraint: check it here, ignoring case.
        duplicates = Unit.objects.filter(facility_id=self.instance.facility_id, name__iexact=name)
        if self.instance.pk is not None:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if name and duplicates.exists():
            raise ValidationError(_("Une unité porte déjà ce nom dans cet établissement."))
        return name


class UnitEditForm(VersionedFormMixin, UnitForm):
    """Renaming or deactivating a unit (is_active), never deleting it."""

    class Meta(UnitForm.Meta):
        fields = ["name", "is_active"]
        help_texts = {
            **UnitForm.Meta.help_texts,
            "is_active": _(
                "Décochez pour fermer l'unité : elle reste dans l'historique des séjours mais "
                "n'est plus proposée."
            ),
        }
