"""Forms of the administration of professionals, assignments and roles.

Forms validate what the user typed (with the models' own validators, so each
message lands on its field); services_admin.py writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.core.identifiers import normalise_identifier
from opendui.organisations.models import Facility, ManagingOrganisation, Unit

from . import annuaire_lookup
from .models import Assignment, Role, User
from .permissions import (
    ACCESS_LEVEL_LABELS,
    DATA_CATEGORY_LABELS,
    FUNCTIONAL_PERMISSIONS,
    AccessLevel,
)
from .services_admin import ACCOUNT_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, prénom ou adresse e-mail"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


# --------------------------------------------------------------------------- professionals


def _identifier_field(label: str, help_text: str = "") -> forms.CharField:
    # Wider than the stored value: spaces, dots and dashes are removed before the
    # model's validators (length, Luhn key) give their field-level message.
    return forms.CharField(label=label, required=False, max_length=20, help_text=help_text)


class UserForm(VersionedFormMixin, bounded.BoundedModelForm):
    """Identity and national identifiers of a professional."""

    rpps = _identifier_field(
        _("Numéro RPPS"), _("11 chiffres, pour les professions enregistrées au RPPS.")
    )
    adeli = _identifier_field(
        _("Numéro ADELI"), _("9 caractères : le département puis 7 chiffres.")
    )
    rpps_plus = _identifier_field(
        _("Numéro RPPS+ (professionnel à rôle)"),
        _(
            "11 chiffres, pour les professionnels du social et du médico-social enregistrés au RPPS+."
        ),
    )

    class Meta:
        model = User
        fields = list(ACCOUNT_FIELDS)
        labels = {
            "email": _("Adresse e-mail"),
            "first_name": _("Prénom"),
            "last_name": _("Nom"),
            "profession": _("Profession"),
            "activity_role": _("Rôle d'activité médico-sociale (RPPS+)"),
        }
        help_texts = {
            "email": _("Sert d'identifiant de connexion."),
            "activity_role": _("Genre d'activité GENR08 à GENR12 des professionnels à rôle."),
        }
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "off"})}

    # Signed record of an Annuaire Santé lookup (accounts.annuaire_lookup): not typed.
    annuaire_proof = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, protected: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if protected:
            self.fields["email"].help_text = _(
                "Sert d'identifiant de connexion. Ce professionnel a accès à des données "
                "sensibles : une nouvelle adresse ne prend effet qu'après l'approbation d'une "
                "autre personne (la direction) ; l'adresse actuelle reste valable jusque-là et "
                "reçoit un avis de la demande."
            )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def clean_rpps(self) -> str:
        value = normalise_identifier(self.cleaned_data["rpps"])
        if value and User.objects.filter(rpps=value).exclude(pk=self.instance.pk).exists():
            raise ValidationError(
                _("Ce numéro RPPS est déjà attribué à un autre professionnel."), code="unique"
            )
        return value

    def clean_adeli(self) -> str:
        return normalise_identifier(self.cleaned_data["adeli"])

    def clean_rpps_plus(self) -> str:
        return normalise_identifier(self.cleaned_data["rpps_plus"])

    def account_fields(self) -> dict[str, Any]:
        """The account's fields, with `annuaire_checked_at` when it changes: set by a
        lookup the saved values still match, cleared when names, profession or
        identifiers change without one, left out (kept) otherwise."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        checked = annuaire_lookup.checked_at(self.cleaned_data.get("annuaire_proof", ""), fields)
        if checked is not None:
            fields["annuaire_checked_at"] = checked
        elif self.instance.pk is None or any(
            (self.initial.get(name) or "") != fields[name]
            for name in annuaire_lookup.CHECKED_FIELDS
        ):
            fields["annuaire_checked_at"] = None
        return fields


# --------------------------------------------------------------------------- assignments


class AssignmentFieldsMixin(forms.Form):
    """Role and scope (whole organisation, facility or unit) of an assignment, with choices
    limited to the organisations the administrator manages."""

    role = bounded.ModelChoiceField(
        label=_("Rôle"), queryset=Role.objects.none(), empty_label=_("— Choisir un rôle —")
    )
    organisation = bounded.ModelChoiceField(
        label=_("Organisme gestionnaire"),
        queryset=ManagingOrganisation.objects.none(),
        required=False,
        help_text=_("Déduit de l'établissement quand un établissement est choisi."),
    )
    facility = bounded.ModelChoiceField(
        label=_("Établissement"),
        queryset=Facility.objects.none(),
        required=False,
        empty_label=_("Tout l'organisme"),
        help_text=_("Vide : l'affectation vaut pour tous les établissements de l'organisme."),
    )
    unit = bounded.ModelChoiceField(
        label=_("Unité"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Tout l'établissement"),
        help_text=_("Facultatif ; l'unité doit appartenir à l'établissement choisi."),
    )
    start_date = bounded.DateField(label=_("Début"), widget=DATE_WIDGET)
    end_date = bounded.DateField(
        label=_("Fin (dernier jour inclus)"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Vide : sans date de fin."),
    )

    def setup_assignment_fields(self, organisation_ids: Iterable[int]) -> None:
        organisation_ids = list(organisation_ids)
        organisations = ManagingOrganisation.objects.filter(pk__in=organisation_ids).order_by(
            "name"
        )
        self.organisations = list(organisations)
        self.fields["role"].queryset = Role.objects.order_by("name")
        self.fields["organisation"].queryset = organisations
        several = len(self.organisations) > 1
        if not several:
            # One organisation: nothing to choose.
            self.fields["organisation"].widget = forms.HiddenInput()
        facility_field = self.fields["facility"]
        facility_field.queryset = (
            Facility.objects.filter(organisation_id__in=organisation_ids, is_active=True)
            .select_related("organisation")
            .order_by("organisation__name", "name")
        )
        if several:
            facility_field.label_from_instance = lambda f: f"{f.name} ({f.organisation.name})"
        self.fields["unit"].queryset = (
            Unit.objects.filter(
                facility__organisation_id__in=organisation_ids,
                facility__is_active=True,
                is_active=True,
            )
            .select_related("facility")
            .order_by("facility__name", "name")
        )
        self.fields["start_date"].initial = timezone.localdate()

    def assignment_fields(self) -> dict[str, Any]:
        """Cleaned role, organisation, facility, unit and dates, checked by Assignment.clean."""
        data = self.cleaned_data
        unit, facility, organisation = (
            data.get("unit"),
            data.get("facility"),
            data.get("organisation"),
        )
        if unit is not None and facility is None:
            facility = unit.facility
        if organisation is None:
            if facility is not None:
                organisation = facility.organisation
            elif len(self.organisations) == 1:
                organisation = self.organisations[0]
        return {
            "role": data.get("role"),
            "organisation": organisation,
            "facility": facility,
            "unit": unit,
            "start_date": data.get("start_date"),
            "end_date": data.get("end_date"),
        }

    def check_assignment(self) -> None:
        """Run the model's rules (unit in facility, facility in organisation, end ≥ start)."""
        fields = self.assignment_fields()
        if fields["organisation"] is None:
            self.add_error("organisation", _("Choisissez l'organisme de l'affectation."))
            return
        if any(name in self.errors for name in ("role", "start_date", "end_date")):
            return
        candidate = Assignment(**fields)
        try:
            candidate.full_clean(exclude=["user"])
        except ValidationError as error:
            self.add_error(None, error)


class AssignmentForm(AssignmentFieldsMixin):
    def __init__(self, *args: Any, organisation_ids: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_assignment_fields(organisation_ids)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_assignment()
        return cleaned


class UserCreateForm(UserForm, AssignmentFieldsMixin):
    """A new professional, their initial password and their first assignment."""

    password1 = forms.CharField(
        label=_("Mot de passe initial"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Au moins 12 caractères avec majuscules, minuscules, chiffres et caractères "
            "spéciaux. Communiquez-le au professionnel par un canal sûr."
        ),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        *ACCOUNT_FIELDS,
        "password1",
        "password2",
        "role",
        "organisation",
        "facility",
        "unit",
        "start_date",
        "end_date",
    ]

    def __init__(self, *args: Any, organisation_ids: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_assignment_fields(organisation_ids)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        self.check_assignment()
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()
        # After the instance carries the names and e-mail: the similarity check uses them.
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)


# --------------------------------------------------------------------------- roles


def _level_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[(level.value, ACCESS_LEVEL_LABELS[level]) for level in AccessLevel],
        widget=forms.RadioSelect,
    )


class RoleForm(VersionedFormMixin, bounded.BoundedModelForm):
    """Name, second factor, functional permissions (check boxes) and the data-category matrix
    (one radio group per category). The code is typed at creation and fixed for built-in roles."""

    permissions = forms.MultipleChoiceField(
        label=_("Permissions fonctionnelles"),
        choices=[(p.code, p.label) for p in FUNCTIONAL_PERMISSIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Role
        fields = ["code", "name", "description", "requires_totp"]
        labels = {
            "code": _("Code"),
            "name": _("Nom"),
            "description": _("Description"),
            "requires_totp": _("Second facteur (TOTP) obligatoire pour les titulaires"),
        }
        help_texts = {
            "code": _(
                "Lettres minuscules sans accent, chiffres et tirets ; ne change plus ensuite."
            ),
            "requires_totp": _("Recommandé pour les rôles d'administration et l'accès au médical."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.instance
        if "code" in self.fields:
            self.fields["code"].widget.attrs["autocomplete"] = "off"
        if role.pk is not None and role.is_builtin:
            del self.fields["code"]
        if role.pk is not None:
            self.fields["permissions"].initial = list(role.permissions)
        for category, label in DATA_CATEGORY_LABELS.items():
            field = _level_field(label)
            field.initial = role.level_for(category) if role.pk is not None else AccessLevel.NONE
            self.fields[self.level_field_name(category)] = field

    def clean_code(self) -> str:
        return self.cleaned_data["code"].lower()

    @staticmethod
    def level_field_name(category: str) -> str:
        return f"access_{category}"

    @property
    def matrix_fields(self) -> list[forms.BoundField]:
        return [self[self.level_field_name(c)] for c in DATA_CATEGORY_LABELS]

    @property
    def general_fields(self) -> list[forms.BoundField]:
        names = [n for n in ("code", "name", "description", "requires_totp") if n in self.fields]
        return [self[n] for n in names]

    def _post_clean(self) -> None:
        # Role.clean() (run by the ModelForm) then checks the submitted permissions and
        # matrix rather than the stored ones.
        if "permissions" in self.cleaned_data:
            self.instance.permissions = list(self.cleaned_data["permissions"])
        names = [self.level_field_name(c) for c in DATA_CATEGORY_LABELS]
        if all(name in self.cleaned_data for name in names):
            self.instance.data_access = {
                str(c): self.cleaned_data[self.level_field_name(c)] for c in DATA_CATEGORY_LABELS
            }
        super()._post_clean()

    def role_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in ("name", "description", "requires_totp")}
        if "code" in self.fields:
            data["code"] = self.cleaned_data["code"]
        data["permissions"] = list(self.cleaned_data["permissions"])
        data["data_access"] = {
            str(category): self.cleaned_data[self.level_field_name(category)]
            for category in DATA_CATEGORY_LABELS
        }
        return data


# --------------------------------------------------------------------------- ending


class AssignmentEndForm(VersionedFormMixin, forms.Form):
    edits = True  # acts on a stored row: its version is required
    end_date = bounded.DateField(
        label=_("Dernier jour de l'affectation"),
        widget=DATE_WIDGET,
        help_text=_(
            "L'accès cesse le lendemain de ce jour. Pour retirer l'accès immédiatement, "
            "indiquez la veille (proposée par défaut)."
        ),
    )

    def __init__(self, *args: Any, instance: Assignment, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        self.fields["end_date"].initial = max(yesterday, instance.start_date)

    def clean_end_date(self) -> dt.date:
        value = self.cleaned_data["end_date"]
        if value < self.instance.start_date:
            raise ValidationError(
                _("La fin de l'affectation ne peut précéder son début (%(date)s)."),
                params={"date": self.instance.start_date.strftime("%d/%m/%Y")},
            )
        return value


class ActionForm(VersionedFormMixin, forms.Form):
    """The version the administrator saw, posted with one-click account actions."""

    edits = True  # acts on a stored row: its version is required


# --------------------------------------------------------------------------- grants


class GrantDecisionForm(VersionedFormMixin, forms.Form):
    """Approve (after confirming) or refuse (with a reason) a grant request."""

    edits = True  # acts on a stored row: its version is required
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[("approve", _("Approuver")), ("refuse", _("Refuser"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Motif"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un refus ; conservé dans le journal d'audit."),
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme que ce professionnel doit disposer de ces accès, sur ce périmètre "
            "et pour cette période."
        ),
        required=False,
    )

    def __init__(self, *args: Any, instance: Any, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)
        if getattr(instance, "kind", None) == "login_email":
            self.fields["confirm"].label = _(
                "Je confirme avoir vérifié auprès du professionnel lui-même (et non par la "
                "nouvelle adresse) que cette nouvelle adresse de connexion est bien la sienne."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "refuse" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Indiquez le motif du refus."))
        if decision == "approve" and not cleaned.get("confirm"):
            self.add_error("confirm", _("Cochez la confirmation pour approuver."))
        return cleaned
