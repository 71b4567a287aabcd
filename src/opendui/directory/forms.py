"""Forms of the directory pages and of a person's professionals page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core import identifiers, phones
from opendui.core.address_forms import PostalAddressFields
from opendui.core.forms import VersionedFormMixin
from opendui.core.params import PK_MAX, parse_int

from . import professions
from .models import (
    Civility,
    ExternalProfessional,
    ExternalStructure,
    LinkRole,
    StructureKind,
)

MAX_MSSANTE_ADDRESSES = 10


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(choices, label: str = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _identifier(value: str, check) -> str:
    value = identifiers.normalise_identifier(value)
    if value:
        problem = check(value)
        if problem:
            raise forms.ValidationError(problem)
    return value


def _phone(value: str) -> str:
    """The number typed, in its stored form (E.164); "" when left empty."""
    if not value.strip():
        return ""
    number, problem = phones.normalise_phone(value)
    if problem:
        raise forms.ValidationError(problem)
    return number


def _mssante(value: str) -> str:
    value = identifiers.normalise_email(value)
    if value:
        problem = identifiers.mssante_address_problem(value)
        if problem:
            raise forms.ValidationError(problem)
    return value


class _AddressFields(PostalAddressFields):
    """The address (core.address_forms, shared with the administrative file) and the
    phone of a directory entry."""

    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("01 23 45 67 89 ou +33 1 23 45 67 89"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.initial.get("phone"):  # stored in E.164: shown as people write it
            self.initial["phone"] = phones.display_phone(self.initial["phone"])

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])


class ProfessionalForm(VersionedFormMixin, _AddressFields):
    """A professional of the directory (creation, or correction with `edits=True`)."""

    civility = forms.ChoiceField(
        label=_("Civilité"), choices=_blank(Civility.choices), required=False
    )
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100, required=False)
    profession_code = forms.ChoiceField(
        label=_("Profession"),
        required=False,
        help_text=_("Liste nationale des professions de santé (TRE_G15)."),
    )
    profession_label = forms.CharField(
        label=_("Autre profession"),
        max_length=100,
        required=False,
        help_text=_("Seulement si la profession n'est pas dans la liste (psychologue…)."),
    )
    specialty_label = forms.CharField(label=_("Spécialité"), max_length=150, required=False)
    rpps = forms.CharField(
        label=_("Numéro RPPS"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("11 chiffres."),
    )
    adeli = forms.CharField(
        label=_("Numéro ADELI"), max_length=15, required=False, help_text=_("9 caractères.")
    )
    email = forms.EmailField(label=_("Courriel"), required=False)
    mssante_addresses = forms.CharField(
        label=_("Adresses MSSanté"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Une adresse par ligne, se terminant par mssante.fr."),
    )
    structure = bounded.ModelChoiceField(
        label=_("Structure d'exercice"),
        queryset=ExternalStructure.objects.none(),
        required=False,
    )

    field_order = [
        "civility",
        "last_name",
        "first_name",
        "profession_code",
        "profession_label",
        "specialty_label",
        "rpps",
        "adeli",
        "phone",
        "email",
        "mssante_addresses",
        "structure",
        "address",
        "postal_code",
        "city",
    ]

    def __init__(self, data=None, *args, organisation=None, professional=None, **kwargs):
        self.edits = professional is not None
        if professional is not None and data is None:
            initial = {
                name: getattr(professional, name)
                for name in self.base_fields
                if name != "expected_version"
            }
            initial["mssante_addresses"] = "\n".join(professional.mssante_addresses or [])
            initial["structure"] = professional.structure_id
            initial["expected_version"] = professional.version
            if professional.profession_code:
                initial["profession_label"] = ""
            kwargs.setdefault("initial", initial)
        super().__init__(data, *args, **kwargs)
        self.fields["profession_code"].choices = _blank(
            professions.choices(), _("Autre profession (à préciser)")
        )
        if organisation is not None:
            # Active structures, and the current one even if it was deactivated since.
            keep = Q(pk=professional.structure_id) if professional is not None else Q(pk=None)
            self.fields["structure"].queryset = ExternalStructure.objects.filter(
                Q(active=True) | keep, organisation=organisation
            ).order_by("name_key", "id")

    def clean_rpps(self) -> str:
        return _identifier(self.cleaned_data["rpps"], identifiers.rpps_problem)

    def clean_adeli(self) -> str:
        return _identifier(self.cleaned_data["adeli"], identifiers.adeli_problem)

    def clean_mssante_addresses(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["mssante_addresses"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_MSSANTE_ADDRESSES:
            raise forms.ValidationError(
                _("%(n)s adresses MSSanté au plus.") % {"n": MAX_MSSANTE_ADDRESSES}
            )
        return [_mssante(line) for line in lines]

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            not cleaned.get("profession_code")
            and not (cleaned.get("profession_label") or "").strip()
        ):
            self.add_error(
                "profession_label",
                _("Choisissez la profession dans la liste ou indiquez-la ici."),
            )
        if cleaned.get("profession_code"):
            cleaned["profession_label"] = ""
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("expected_version", None)
        return data


class StructureForm(VersionedFormMixin, _AddressFields):
    name = forms.CharField(label=_("Nom"), max_length=200)
    service = forms.CharField(
        label=_("Service ou unité"),
        max_length=200,
        required=False,
        help_text=_("Pour un service hospitalier : gériatrie, cardiologie…"),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=_blank(StructureKind.choices))
    finess = forms.CharField(label=_("FINESS"), max_length=15, required=False)
    siret = forms.CharField(label=_("SIRET"), max_length=20, required=False)
    mssante_address = forms.CharField(
        label=_("Adresse MSSanté de la structure"),
        max_length=254,
        required=False,
        help_text=_("Boîte organisationnelle, se terminant par mssante.fr."),
    )

    field_order = [
        "name",
        "service",
        "kind",
        "finess",
        "siret",
        "phone",
        "mssante_address",
        "address",
        "postal_code",
        "city",
    ]

    def __init__(self, data=None, *args, structure=None, **kwargs):
        self.edits = structure is not None
        if structure is not None and data is None:
            initial = {
                name: getattr(structure, name)
                for name in self.base_fields
                if name != "expected_version"
            }
            initial["expected_version"] = structure.version
            kwargs.setdefault("initial", initial)
        super().__init__(data, *args, **kwargs)

    def clean_finess(self) -> str:
        return _identifier(self.cleaned_data["finess"], identifiers.finess_problem)

    def clean_siret(self) -> str:
        return _identifier(self.cleaned_data["siret"], identifiers.siret_problem)

    def clean_mssante_address(self) -> str:
        return _mssante(self.cleaned_data["mssante_address"])

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("expected_version", None)
        return data


class DeactivateForm(VersionedFormMixin):
    edits = True
    reason = forms.CharField(
        label=_("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : cessation d'activité, départ en retraite, doublon."),
    )


class DirectorySearchForm(forms.Form):
    """The search of the directory lists (GET)."""

    q = forms.CharField(
        label=_("Nom ou numéro (RPPS, ADELI, FINESS, SIRET)"), max_length=100, required=False
    )
    city = forms.CharField(label=_("Commune"), max_length=100, required=False)
    profession = forms.ChoiceField(label=_("Profession"), required=False)
    inactive = forms.BooleanField(label=_("Inclure les fiches désactivées"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = _blank(professions.choices(), _("Toutes"))

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"query": "", "city": "", "profession": "", "include_inactive": False}
        data = self.cleaned_data
        return {
            "query": data["q"],
            "city": data["city"],
            "profession": data["profession"],
            "include_inactive": data["inactive"],
        }


class StructureSearchForm(DirectorySearchForm):
    kind = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["profession"]
        self.fields["kind"].choices = _blank(StructureKind.choices, _("Tous"))

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"query": "", "city": "", "kind": "", "include_inactive": False}
        data = self.cleaned_data
        return {
            "query": data["q"],
            "city": data["city"],
            "kind": data["kind"],
            "include_inactive": data["inactive"],
        }


class LinkForm(forms.Form):
    """Link a professional or a structure of the directory to a person (picker page).

    `entry` is "p<id>" or "s<id>", looked up only among the active entries of the
    person's organisation (the id is attacker-controlled)."""

    entry = forms.CharField(label=_("Professionnel ou structure"), max_length=30)
    role = forms.ChoiceField(
        label=_("Rôle auprès de la personne"), choices=_blank(LinkRole.choices)
    )
    start_date = bounded.DateField(label=_("Depuis le"), widget=_date_input())
    note = forms.CharField(
        label=_("Remarque"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    replace_current_gp = forms.BooleanField(
        label=_("Remplacer le médecin traitant actuel (son lien prend fin à cette date)"),
        required=False,
    )

    def __init__(self, data=None, *args, organisation_id: int | None = None, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        self.organisation_id = organisation_id

    def clean_entry(self) -> ExternalProfessional | ExternalStructure:
        raw = self.cleaned_data["entry"].strip()
        kind, number = raw[:1], parse_int(raw[1:])
        model = {"p": ExternalProfessional, "s": ExternalStructure}.get(kind)
        if model is None or number is None or not 0 < number <= PK_MAX:
            raise forms.ValidationError(_("Choisissez un professionnel ou une structure."))
        entry = model.objects.filter(
            pk=number, organisation_id=self.organisation_id, active=True
        ).first()
        if entry is None:
            raise forms.ValidationError(
                _("Ce professionnel ou cette structure n'est pas dans l'annuaire de l'organisme.")
            )
        return entry

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        entry = data.pop("entry")
        key = "professional" if isinstance(entry, ExternalProfessional) else "structure"
        return {**data, key: entry}


class EndLinkForm(VersionedFormMixin):
    edits = True
    end_date = bounded.DateField(label=_("Fin le"), widget=_date_input())
    end_reason = forms.CharField(
        label=_("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : changement de pharmacie, fin des séances, déménagement."),
    )


class ExternalAccessForm(VersionedFormMixin, forms.Form):
    """Open an external professional's access to the persons they follow: the account
    (found by the entry's RPPS / ADELI, or created with this e-mail), the role of their
    profession, the dates. The service checks everything again (external_access)."""

    edits = True
    email = forms.EmailField(
        label=_("Adresse e-mail du compte à créer"),
        required=False,
        help_text=_("Seulement si le professionnel n'a pas encore de compte OpenDUI."),
    )
    role = forms.ChoiceField(label=_("Rôle"))
    start_date = bounded.DateField(label=_("Début"), widget=_date_input())
    end_date = bounded.DateField(label=_("Fin"), required=False, widget=_date_input())

    def __init__(self, *args: Any, roles: list[tuple[str, str]], needs_account: bool, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["role"].choices = roles
        if not needs_account:
            del self.fields["email"]
        else:
            self.fields["email"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("La fin de l'accès ne peut précéder son début."))
        return data


class ExternalAccessCloseForm(VersionedFormMixin, forms.Form):
    """Close the access (the assignment ends yesterday, the entry is untied)."""

    edits = True
