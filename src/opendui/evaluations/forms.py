"""Forms of the evaluation pages: AGGIR grid, filled evaluation, status actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.stays.models import Stay

from .aggir import DISCRIMINANT_VARIABLES, ILLUSTRATIVE_VARIABLES
from .models import AnswerType, EvaluationModel, ModelStatus, Question, Section
from .rules import ADVERB_LABELS, ADVERB_LETTERS, sub_variable_names

NONE = "X"  # the fifth box of a sub-variable: none of the four adverbs is satisfied


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _stays_of(person) -> Any:
    return Stay.objects.filter(person=person).select_related("facility").order_by("-start_date")


class StayChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj: Stay) -> str:
        end = f" au {obj.end_date:%d/%m/%Y}" if obj.end_date else " (en cours)"
        return f"{obj.facility.name}, du {obj.start_date:%d/%m/%Y}{end}"


def _field_name(code: str, index: int, letter: str) -> str:
    return f"a_{code}_{index}_{letter}"


class AggirForm(VersionedFormMixin, forms.Form):
    """The grid: per sub-variable, four boxes (the adverbs satisfied) and a fifth "none".

    An unticked sub-variable is *unanswered*: allowed in a draft, refused when the
    grid is approved (the service names it). Ticking "none" with an adverb is
    contradictory and refused here.
    """

    evaluated_on = bounded.DateField(label=_("Date de l'évaluation"), widget=_date_input())
    stay = StayChoiceField(label=_("Séjour"), queryset=Stay.objects.none())
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, person=None, instance=None, **kwargs: Any) -> None:
        self.instance = instance
        super().__init__(*args, **kwargs)
        self.fields["stay"].queryset = (
            _stays_of(person) if person is not None else Stay.objects.none()
        )
        self.grid = []
        stored = instance.adverbs if instance is not None else {}
        for variable in DISCRIMINANT_VARIABLES:
            subs = []
            for index, name in enumerate(sub_variable_names(variable)):
                answer = stored.get(variable.code, {}).get(name)
                names = []
                for letter in ADVERB_LETTERS:
                    field_name = _field_name(variable.code, index, letter)
                    self.fields[field_name] = forms.BooleanField(
                        label=ADVERB_LABELS[letter],
                        required=False,
                        initial=answer is not None and letter in answer,
                    )
                    names.append(field_name)
                none_name = _field_name(variable.code, index, NONE)
                self.fields[none_name] = forms.BooleanField(
                    label=_("aucun des quatre (C)"), required=False, initial=answer == ""
                )
                names.append(none_name)
                label = name if variable.sub_variables else variable.label
                subs.append({"name": name, "label": label, "fields": names, "index": index})
            self.grid.append({"variable": variable, "subs": subs})
        for variable in ILLUSTRATIVE_VARIABLES:
            self.fields[f"ill_{variable.code}"] = forms.ChoiceField(
                label=variable.label,
                required=False,
                choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C")],
                initial=(instance.illustrative.get(variable.code, "") if instance else ""),
            )
        if instance is not None:
            self.fields["evaluated_on"].initial = instance.evaluated_on
            self.fields["stay"].initial = instance.stay_id
            self.fields["stay"].disabled = True
            self.fields["comment"].initial = instance.comment

    def bound_grid(self) -> list[dict]:
        """The grid with bound fields, for the template's fieldsets."""
        return [
            {
                "variable": row["variable"],
                "subs": [
                    {**sub, "bound": [self[name] for name in sub["fields"]]} for sub in row["subs"]
                ],
            }
            for row in self.grid
        ]

    def illustrative_fields(self) -> list:
        return [self[f"ill_{v.code}"] for v in ILLUSTRATIVE_VARIABLES]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        adverbs: dict[str, dict[str, str]] = {}
        for row in self.grid:
            code = row["variable"].code
            for sub in row["subs"]:
                ticked = "".join(
                    letter
                    for letter in ADVERB_LETTERS
                    if data.get(_field_name(code, sub["index"], letter))
                )
                none = data.get(_field_name(code, sub["index"], NONE))
                if none and ticked:
                    self.add_error(
                        _field_name(code, sub["index"], NONE),
                        f"{row['variable'].label} – {sub['label']} : « aucun » exclut les adverbes "
                        "cochés.",
                    )
                elif ticked or none:
                    adverbs.setdefault(code, {})[sub["name"]] = ticked
        data["adverbs"] = adverbs
        data["illustrative"] = {
            v.code: data.get(f"ill_{v.code}") or ""
            for v in ILLUSTRATIVE_VARIABLES
            if data.get(f"ill_{v.code}")
        }
        return data


class StatusForm(VersionedFormMixin, forms.Form):
    edits = True  # acts on a stored row: its version is required
    target = forms.CharField(widget=forms.HiddenInput)


class StartEvaluationForm(forms.Form):
    model = bounded.ModelChoiceField(
        label=_("Modèle d'évaluation"), queryset=EvaluationModel.objects.none()
    )
    stay = StayChoiceField(label=_("Séjour"), queryset=Stay.objects.none())
    evaluated_on = bounded.DateField(label=_("Date de l'évaluation"), widget=_date_input())

    def __init__(self, *args: Any, person=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if person is not None:
            self.fields["model"].queryset = EvaluationModel.objects.filter(
                organisation_id=person.organisation_id, status=ModelStatus.PUBLISHED
            )
            self.fields["stay"].queryset = _stays_of(person)


class AnswersForm(VersionedFormMixin, forms.Form):
    """One field per question (typed by its answer type) and one comment per question."""

    edits = True  # acts on a stored row: its version is required
    comment = forms.CharField(
        label=_("Synthèse"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, evaluation=None, sections=(), answers=None, **kwargs: Any):
        self.instance = evaluation
        super().__init__(*args, **kwargs)
        answers = answers or {}
        self.sections = []
        if evaluation is not None:
            self.fields["comment"].initial = evaluation.comment
        for section in sections:
            rows = []
            for question in section.questions.all():
                answer = answers.get(question.pk)
                self.fields[f"q{question.pk}"] = self._field(question, answer)
                self.fields[f"c{question.pk}"] = forms.CharField(
                    label=_("Commentaire"),
                    required=False,
                    initial=answer.comment if answer else "",
                    widget=forms.TextInput(),
                )
                rows.append(question)
            self.sections.append((section, rows))

    @staticmethod
    def _field(question: Question, answer) -> forms.Field:
        common = {"label": question.text, "required": False, "help_text": question.help_text}
        kind = question.answer_type
        if kind == AnswerType.SCORE:
            return forms.TypedChoiceField(
                choices=[("", "—")]
                + [(str(n), str(n)) for n in range(question.min_score, question.max_score + 1)],
                coerce=int,
                empty_value=None,
                initial=answer.score if answer else None,
                **common,
            )
        if kind == AnswerType.YES_NO:
            return forms.NullBooleanField(
                widget=forms.Select(choices=[("unknown", "—"), ("true", "oui"), ("false", "non")]),
                initial=answer.boolean if answer else None,
                **common,
            )
        if kind == AnswerType.CHOICE:
            return forms.ChoiceField(
                choices=[("", "—")] + [(o, o) for o in question.options],
                initial=answer.text if answer else "",
                **common,
            )
        if kind == AnswerType.DATE:
            return bounded.DateField(
                widget=_date_input(), initial=answer.date if answer else None, **common
            )
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 2}),
            initial=answer.text if answer else "",
            **common,
        )

    def bound_sections(self) -> list[tuple[Any, list[tuple[Any, Any]]]]:
        return [
            (section, [(self[f"q{q.pk}"], self[f"c{q.pk}"]) for q in questions])
            for section, questions in self.sections
        ]

    def answers(self) -> dict[int, tuple[Any, str]]:
        data = self.cleaned_data
        return {
            question.pk: (data.get(f"q{question.pk}"), data.get(f"c{question.pk}") or "")
            for _section, questions in self.sections
            for question in questions
        }


# ------------------------------------------------------------------ model administration


class ModelForm(VersionedFormMixin, forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Titre de la section"), max_length=200)


def _need_choices() -> list[tuple[str, str]]:
    from opendui.nomenclatures.serafin import ValueSet, choices

    return [("", "— aucun —"), *choices(ValueSet.NEEDS)]


class QuestionForm(forms.Form):
    section = bounded.ModelChoiceField(label=_("Section"), queryset=Section.objects.none())
    text = forms.CharField(label=_("Intitulé"), max_length=300)
    help_text = forms.CharField(label=_("Aide"), required=False)
    answer_type = forms.ChoiceField(
        label=_("Type de réponse"), choices=[("", "—"), *AnswerType.choices]
    )
    options = forms.CharField(
        label=_("Choix possibles (un par ligne)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    min_score = bounded.IntegerField(label=_("Score minimal"), required=False)
    max_score = bounded.IntegerField(label=_("Score maximal"), required=False)
    need_code = forms.ChoiceField(
        label=_("Besoin SERAFIN-PH suggéré (J285)"), required=False, choices=_need_choices
    )
    required = forms.BooleanField(label=_("Réponse obligatoire"), required=False)

    def __init__(self, *args: Any, model=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if model is not None:
            self.fields["section"].queryset = model.sections.all()

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("section")
        data["options"] = (data.get("options") or "").splitlines()
        return data
