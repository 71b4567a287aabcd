"""Forms of the transmission pages. One form class; the kind decides which fields show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.accounts.permissions import DATA_CATEGORY_LABELS
from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin

from .models import MTVED_FIELDS, WITHDRAWAL_REASON_CHOICES, MacroMoment, NoteKind
from .rules import WITHDRAWAL_COMMENT_MAX

FIELDS_BY_KIND = {
    NoteKind.TRANSMISSION: ["category", "target", "data", "actions", "results"],
    NoteKind.OBSERVATION: ["category", "text"],
    NoteKind.MACROCIBLE: [
        "category",
        "macro_moment",
        "target",
        "data",
        "actions",
        "results",
        *(name for name, _ in MTVED_FIELDS),
    ],
}


def _text(label: str, rows: int = 3, required: bool = False, help_text: str = "") -> forms.Field:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NoteForm(forms.Form):
    written_at = bounded.DateTimeField(
        label=_("Date et heure des faits"),
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Au plus 24 heures avant maintenant, jamais dans le futur."),
    )
    category = forms.ChoiceField(
        label=_("Catégorie de données"),
        help_text=_(
            "Détermine qui pourra lire cette note (par exemple, une note psychologique "
            "n'est lue que par les professionnels habilités)."
        ),
    )
    macro_moment = forms.ChoiceField(
        label=_("Moment"), choices=[("", "—"), *MacroMoment.choices], required=False
    )
    target = forms.CharField(
        label=_("Cible"),
        max_length=200,
        required=False,
        help_text=_("Ce qui arrive à la personne, en quelques mots (problème ou événement)."),
    )
    data = _text(_("Données"), help_text=_("Ce qui a été observé."))
    actions = _text(_("Actions"), help_text=_("Ce qui a été fait."))
    results = _text(_("Résultats"), help_text=_("L'effet des actions."))
    text = _text(_("Observation"), rows=6)
    mtved_illness = _text(str(MTVED_FIELDS[0][1]), rows=2)
    mtved_treatment = _text(str(MTVED_FIELDS[1][1]), rows=2)
    mtved_experience = _text(str(MTVED_FIELDS[2][1]), rows=2)
    mtved_environment = _text(str(MTVED_FIELDS[3][1]), rows=2)
    mtved_development = _text(str(MTVED_FIELDS[4][1]), rows=2)

    def __init__(
        self,
        *args: Any,
        kind: str,
        categories: list[str],
        with_written_at: bool = True,
        goals: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = set(FIELDS_BY_KIND[NoteKind(kind)])
        if with_written_at:
            keep.add("written_at")
        for name in list(self.fields):
            if name not in keep and name != "expected_version":
                del self.fields[name]
        if "category" in self.fields:
            labels = {c.value: label for c, label in DATA_CATEGORY_LABELS.items()}
            choices = [(c, labels[c]) for c in categories]
            self.fields["category"].choices = [("", "—"), *choices] if len(choices) > 1 else choices
        if "target" in self.fields:
            self.fields["target"].required = True
        if "text" in self.fields:
            self.fields["text"].required = True
        if "macro_moment" in self.fields:
            self.fields["macro_moment"].required = True
        if "written_at" in self.fields and not self.is_bound and "written_at" not in self.initial:
            self.initial["written_at"] = timezone.localtime().replace(second=0, microsecond=0)
        if goals is not None:
            self.fields["goal"] = bounded.ModelChoiceField(
                label=_("Objectif du projet personnalisé"),
                queryset=goals,
                required=False,
                help_text=_("L'objectif dont cette note rend compte, s'il y en a un."),
            )

    def clean_written_at(self) -> dt.datetime:
        value = self.cleaned_data["written_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def content(self) -> dict[str, Any]:
        """The cleaned data without written_at / expected_version, for the services."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in {"written_at", "expected_version", "goal"}
        }


class EditNoteForm(VersionedFormMixin, NoteForm):
    """Edit in place (grace period): carries the version loaded."""

    def __init__(self, *args: Any, note: Any, **kwargs: Any) -> None:
        self.instance = note
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = note.version


class WithdrawForm(VersionedFormMixin):
    """Withdraw a note: a reason from the short list, a comment, the version loaded."""

    edits = True  # acts on a stored row: its version is required
    reason = forms.ChoiceField(
        label=_("Motif du retrait"),
        choices=[("", "—"), *WITHDRAWAL_REASON_CHOICES],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Précision"),
        required=False,
        max_length=WITHDRAWAL_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Obligatoire pour « autre motif ». Par exemple : « concerne M. X, "
            "ressaisie dans son dossier »."
        ),
    )

    def __init__(self, *args: Any, note: Any, **kwargs: Any) -> None:
        self.instance = note
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = WITHDRAWAL_REASON_CHOICES
        # The version of the note shown is mandatory: a withdrawal never applies to a
        # note changed since the page was loaded.
        self.fields["expected_version"].required = True
        self.fields["expected_version"].initial = note.version


TEAM_WHOLE_FACILITY = "etablissement"


class TeamNoteForm(NoteForm):
    """A note for the team: the unit (or the whole facility) it is addressed to."""

    def __init__(self, *args: Any, units: list[tuple[str, str]], kind: str, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        self.fields["team"] = forms.ChoiceField(
            label=_("Pour l'équipe de"),
            choices=units,
            help_text=_(
                "La note est lue par les professionnels de cette équipe habilités à lire "
                "sa catégorie ; elle ne figure dans aucun dossier de personne."
            ),
        )
        self.order_fields(["team", "written_at", "category"])
