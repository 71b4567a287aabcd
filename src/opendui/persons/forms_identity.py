"""Forms of the identity vigilance pages (persons.views_identity, views_identity_edit).

Name traits are cleaned by `persons.traits` (the RNIV character rules): a refused
character comes back as a French error on its field, naming the character.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import RowActionFormMixin, VersionedFormMixin

from . import rniv, traits
from .models import Person, Sex


def clean_trait(form: forms.Form, field: str, check) -> Any:
    """Run a `persons.traits` normaliser on a field; its refusal becomes the field error.

    A disabled field (strict traits of a qualified identity) keeps its stored value."""
    value = form.cleaned_data[field]
    if form.fields[field].disabled:
        return value
    try:
        return check(value)
    except traits.TraitError as error:
        raise forms.ValidationError(error.message, code="rniv_trait") from error


class DocumentCheckForm(VersionedFormMixin):
    """The identity document the traits were checked against.

    It changes the stored identity: the version the user saw is required."""

    edits = True

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


class AttributeForm(VersionedFormMixin):
    """Flag the identity douteuse, fictive or homonyme, with the reason.

    It changes the stored identity: the version the user saw is required."""

    edits = True

    attribute = forms.ChoiceField(
        label=_("Attribut"),
        choices=[("", "—")] + [(a.value, a.label) for a in rniv.IdentityAttribute],
    )
    reason = forms.CharField(
        label=_("Motif"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InsiAcceptForm(RowActionFormMixin):
    """Accept the identity INSi returned; the confirmation is asked when its traits
    differ from the stored ones (they will replace them)."""

    query = bounded.IntegerField(widget=forms.HiddenInput)
    confirm_differences = forms.BooleanField(
        label=_(
            "J'ai vérifié sur la pièce d'identité que les traits renvoyés par l'INSi sont "
            "ceux de la personne : ils remplacent tous les traits stricts saisis."
        ),
        required=False,
    )


NAME_HELP = _(
    "Lettres (accents du français acceptés, enregistrés sans accent, en majuscules), "
    "espace, tiret, double tiret ou apostrophe."
)


class IdentityCorrectionForm(RowActionFormMixin):
    """The traits of an identity; strict ones are read-only when it is qualified."""

    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100, help_text=NAME_HELP)
    birth_first_names = forms.CharField(
        label=_("Prénoms de naissance"),
        max_length=255,
        help_text=_("Tous les prénoms, dans l'ordre de l'état civil, séparés par des espaces."),
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    birth_date = bounded.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date de naissance valide.")},
    )
    birth_place_code = forms.CharField(
        label=_("Lieu de naissance (code INSEE)"),
        max_length=5,
        required=False,
        help_text=_(
            "Code de la commune de naissance (5 caractères, 2A/2B pour la Corse), "
            "ou 99 suivi du code du pays pour une naissance à l'étranger."
        ),
    )
    used_name = forms.CharField(
        label=_("Nom utilisé"), max_length=100, required=False, help_text=NAME_HELP
    )
    used_first_name = forms.CharField(label=_("Prénom utilisé"), max_length=100, required=False)
    reason = forms.CharField(
        label=_("Motif de la correction"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Obligatoire quand un trait strict d'une identité récupérée ou validée est "
            "corrigé : l'identité redevient alors provisoire."
        ),
    )

    STRICT_FIELDS = ("birth_name", "birth_first_names", "sex", "birth_date", "birth_place_code")

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "expected_version": person.version,
                "birth_name": person.birth_name,
                "birth_first_names": person.birth_first_names or person.first_name,
                "sex": person.sex,
                "birth_date": person.birth_date,
                "birth_place_code": person.birth_place_code,
                "used_name": person.used_name,
                "used_first_name": person.used_first_name,
            },
        )
        super().__init__(*args, **kwargs)
        self.person = person
        self.qualified = person.identity_status is rniv.IdentityStatus.QUAL
        if self.qualified:
            for name in self.STRICT_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Identité qualifiée : ce trait strict ne se modifie que par l'INSi."
                )

    def clean_birth_name(self) -> str:
        return clean_trait(self, "birth_name", lambda v: traits.normalise_name(v, "birth_name"))

    def clean_birth_first_names(self) -> str:
        return clean_trait(self, "birth_first_names", traits.normalise_first_names)

    def clean_birth_date(self) -> dt.date:
        return clean_trait(
            self, "birth_date", lambda v: traits.normalise_birth_date(v, timezone.localdate())
        )

    def clean_birth_place_code(self) -> str:
        birth_date = self.cleaned_data.get("birth_date")
        return clean_trait(
            self, "birth_place_code", lambda v: traits.normalise_birth_place(v, birth_date)
        )

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

    def values(self) -> dict[str, Any]:
        """The traits for persons.identity.correct_identity."""
        data = self.cleaned_data
        names = (*self.STRICT_FIELDS, "used_name", "used_first_name")
        return {name: data.get(name) for name in names}


class WithdrawQualificationForm(RowActionFormMixin):
    reason = forms.CharField(
        label=_("Motif du retrait de la qualification"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Pourquoi un trait strict de cette identité qualifiée est faux (pièce mal lue, "
            "erreur de personne…). L'identité redevient provisoire et perd son INS."
        ),
        error_messages={"required": _("Indiquez le motif du retrait de la qualification.")},
    )
