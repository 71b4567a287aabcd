"""Forms of the projet personnalisé pages (thin: the services validate the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.accounts.models import User
from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.nomenclatures import serafin
from opendui.nomenclatures.serafin import ValueSet
from opendui.persons.models_entourage import RelatedPerson

from .models import (
    AGREEMENT_AUTHOR_CHOICES,
    ITEM_STATUS_CHOICES,
    PROJECT_STATUS_CHOICES,
    TYPE_CHOICES,
    ExpectationOrigin,
    Goal,
    PersonalisedProject,
    ReviewKind,
)


def _date(**kwargs) -> bounded.DateField:
    return bounded.DateField(
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), **kwargs
    )


def _text(label, required: bool = False, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class ProjectForm(VersionedFormMixin):
    project_type = forms.ChoiceField(label=_("Type de projet"), choices=_blank(TYPE_CHOICES))
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    description = _text(_("Description"), rows=3)
    start_date = _date(label=_("Début de mise en œuvre"), required=False)
    end_date = _date(label=_("Fin de mise en œuvre prévue"), required=False)

    def __init__(self, *args, instance: PersonalisedProject | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs and not args:
            kwargs["initial"] = {
                name: getattr(instance, name)
                for name in ("project_type", "title", "description", "start_date", "end_date")
            }
        super().__init__(*args, **kwargs)


class ExpectationForm(forms.Form):
    origin = forms.ChoiceField(label=_("Exprimée par"), choices=_blank(ExpectationOrigin.choices))
    text = _text(_("Attente, dans ses propres mots"), required=True, rows=3)
    comment = _text(_("Commentaire"))


class NeedForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Besoin (SERAFIN-PH)"), choices=_blank(serafin.choices(ValueSet.NEEDS))
    )
    description = _text(_("Description"))
    analysis = _text(_("Analyse professionnelle"))
    source = forms.CharField(label=_("Origine"), max_length=200, required=False)


def referents_for(facility) -> list[User]:
    """Active professionals assigned to the facility (one query, shared by the page's forms)."""
    return list(
        User.objects.filter(is_active=True, assignments__facility=facility)
        .distinct()
        .order_by("last_name", "first_name")
    )


class _GoalFields(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    description = _text(_("Description"))
    expected_result = _text(_("Résultat attendu"))
    person_opinion = _text(_("Avis de la personne"))
    referent = forms.ChoiceField(label=_("Professionnel référent"), required=False)
    start_date = _date(label=_("Début"), required=False)
    end_date = _date(label=_("Échéance"), required=False)

    def __init__(self, *args, referents: list[User] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._referents = {str(u.pk): u for u in referents or []}
        self.fields["referent"].choices = [("", "—")] + [
            (key, user.full_name or user.email) for key, user in self._referents.items()
        ]

    def clean_referent(self) -> User | None:
        return self._referents.get(self.cleaned_data.get("referent") or "")


class GoalForm(_GoalFields):
    pass


class ActionForm(_GoalFields):
    pass


class ServiceForm(forms.Form):
    code = forms.ChoiceField(
        label=_("Prestation (SERAFIN-PH)"), choices=_blank(serafin.choices(*serafin.SERVICES))
    )
    goal = forms.ChoiceField(label=_("Objectif concerné"), required=False)
    description = _text(_("Description"))
    frequency = forms.CharField(label=_("Fréquence"), max_length=200, required=False)

    def __init__(self, *args, goals: list[Goal] | None = None, **kwargs) -> None:
        # The PP's goals are given (already loaded by the page): no query per form.
        super().__init__(*args, **kwargs)
        self._goals = {str(g.pk): g for g in goals or []}
        self.fields["goal"].choices = [("", "—")] + [
            (key, goal.title) for key, goal in self._goals.items()
        ]

    def clean_goal(self) -> Goal | None:
        return self._goals.get(self.cleaned_data.get("goal") or "")


class _EditMixin(VersionedFormMixin):
    """The edit form of an existing row: its values as initial data, its lock version."""

    def __init__(self, *args, instance=None, **kwargs) -> None:
        self.instance = instance
        data = args[0] if args else kwargs.get("data")
        if instance is not None and data is None:  # shown, not submitted
            kwargs.setdefault(
                "initial",
                {
                    name: _initial(instance, name)
                    for name in self.base_fields
                    if name != "expected_version"
                },
            )
        super().__init__(*args, **kwargs)


def _initial(instance, name: str):
    """A field's initial value; choices of related rows are keyed by primary key."""
    if name in ("referent", "goal"):
        return str(getattr(instance, f"{name}_id") or "")
    return getattr(instance, name)


class ExpectationEditForm(_EditMixin, ExpectationForm):
    pass


class NeedEditForm(_EditMixin, NeedForm):
    pass


class GoalEditForm(_EditMixin, GoalForm):
    pass


class ActionEditForm(_EditMixin, ActionForm):
    pass


class ServiceEditForm(_EditMixin, ServiceForm):
    pass


class AgreementForm(forms.Form):
    author_kind = forms.ChoiceField(label=_("Accord de"), choices=_blank(AGREEMENT_AUTHOR_CHOICES))
    representative = bounded.ModelChoiceField(
        label=_("Représentant"),
        queryset=RelatedPerson.objects.none(),
        required=False,
        help_text=_(
            "Seulement pour l'accord d'un représentant légal (titulaire de l'autorité "
            "parentale, tuteur…) ; chacun signe son propre accord."
        ),
    )
    signed_on = _date(label=_("Signé le"))
    valid_until = _date(label=_("Valable jusqu'au"), required=False)
    comment = _text(_("Commentaire"))

    def __init__(self, *args, representatives=None, **kwargs) -> None:
        # `representatives`: accompaniment.signatories.eligible_representatives.
        super().__init__(*args, **kwargs)
        if representatives is not None:
            self.fields["representative"].queryset = representatives


class ReviewForm(forms.Form):
    held_on = _date(label=_("Date du bilan"))
    kind = forms.ChoiceField(label=_("Motif"), choices=ReviewKind.choices)
    synthesis = _text(_("Synthèse"), required=True, rows=4)
    participants = _text(_("Participants"))
    next_review_on = _date(
        label=_("Prochain bilan prévu le"),
        required=False,
        help_text=_("Au plus tard un an après ce bilan ; plus tôt si besoin."),
    )


class CreateForm(forms.Form):
    project_type = forms.ChoiceField(label=_("Type de projet"), choices=_blank(TYPE_CHOICES))
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    description = _text(_("Description"), rows=3)


class StatusForm(forms.Form):
    target = forms.ChoiceField(choices=PROJECT_STATUS_CHOICES)
    expected_version = bounded.IntegerField(required=False, widget=forms.HiddenInput)


class ItemStatusForm(forms.Form):
    target = forms.ChoiceField(choices=ITEM_STATUS_CHOICES)
    expected_version = bounded.IntegerField(required=False, widget=forms.HiddenInput)
