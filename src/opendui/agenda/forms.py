"""Forms of the agenda pages. Validation that needs the database or the rules lives in
the services (agenda.services); the forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from opendui.accompaniment.models import Service
from opendui.accounts.models import User
from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.core.widgets import SearchableCheckboxes
from opendui.nomenclatures.serafin import SERVICES, choices
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons
from opendui.stays.models import Stay

from .access import DEFAULT_CATEGORY, writable_categories
from .models import CATEGORY_CHOICES, Event, EventKind, EventStatus
from .recurrence import Frequency
from .selectors import professionals_of

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
WEEKDAYS = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local"})


class PersonChoice(bounded.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.birth_date:%d/%m/%Y})"


class ProfessionalChoice(bounded.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.full_name


class EventForm(VersionedFormMixin, forms.Form):
    """Creation and edit form. Participants are the persons of the facility the user
    sees with a current stay there (plus those already on the event), picked in a
    searchable list of checkboxes; professionals are the users assigned to the facility.
    The report's category is one the user may write in the facility (the event's own
    category stays offered on an edit), the most usual one first."""

    kind = forms.ChoiceField(label=_("Nature"), choices=[("", "—"), *EventKind.choices])
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    start = bounded.DateTimeField(
        label=_("Début"), input_formats=[DATETIME_FORMAT], widget=_datetime_input()
    )
    end = bounded.DateTimeField(
        label=_("Fin"), input_formats=[DATETIME_FORMAT], widget=_datetime_input()
    )
    place = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    unit = bounded.ModelChoiceField(label=_("Unité"), queryset=Unit.objects.none(), required=False)
    persons = PersonChoice(
        label=_("Personnes accompagnées"),
        queryset=Person.objects.none(),
        required=False,
        widget=SearchableCheckboxes(search_label=_("Rechercher une personne par son nom")),
        help_text=_("Cochez les personnes concernées. Aucune : réunion de professionnels."),
    )
    professionals = ProfessionalChoice(
        label=_("Professionnels"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    pp_service = bounded.ModelChoiceField(
        label=_("Prestation du projet personnalisé"),
        queryset=Service.objects.none(),
        required=False,
        help_text=_(
            "Une prestation d'un projet personnalisé en cours d'une personne participante ; "
            "son code SERAFIN-PH devient le type de l'événement."
        ),
    )
    serafin_code = forms.ChoiceField(
        label=_("Prestation SERAFIN-PH (facultatif)"),
        choices=[("", "—"), *choices(*SERVICES)],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Catégorie du compte rendu"),
        choices=CATEGORY_CHOICES,
        help_text=_("Qui pourra lire le compte rendu : les rôles ayant accès à cette catégorie."),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        facility: Facility,
        event: Event | None = None,
        existing_person_ids: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        self.instance = event
        super().__init__(*args, **kwargs)
        current = Stay.objects.current().filter(person=OuterRef("pk"), facility=facility)
        persons = visible_persons(user, facility).filter(
            Q(Exists(current)) | Q(pk__in=existing_person_ids or [])
        )
        persons = persons.order_by("birth_name_key", "first_name", "pk")
        field = self.fields["persons"]
        field.queryset = persons  # what a submission is checked against
        # The choices shown, read once: the page's access event names these persons.
        self.offered_persons = list(persons)
        field.choices = [(p.pk, field.label_from_instance(p)) for p in self.offered_persons]
        self.fields["professionals"].queryset = professionals_of(facility)
        self.fields["unit"].queryset = Unit.objects.filter(facility=facility, is_active=True)
        self.fields["pp_service"].queryset = running_services(persons)
        self.fields["pp_service"].label_from_instance = _service_label
        offered = writable_categories(user, facility) or [DEFAULT_CATEGORY]
        if event is not None and event.category not in offered:
            offered.append(event.category)
        labels = dict(CATEGORY_CHOICES)
        self.fields["category"].choices = [(c, labels[c]) for c in offered]
        if not self.is_bound and self.initial.get("category") not in offered:
            self.initial["category"] = offered[0]


def running_services(persons) -> Any:
    """Services of the running PPs (ENCOURS) of `persons`, still in preparation or active."""
    from opendui.accompaniment.rules import ItemStatus, ProjectStatus

    return (
        Service.objects.filter(
            project__person__in=persons,
            project__status=ProjectStatus.ACTIVE,
            status__in=[ItemStatus.DRAFT, ItemStatus.ACTIVE],
        )
        .select_related("project__person")
        .order_by("project__person__birth_name_key", "project__person_id", "code", "pk")
    )


def _service_label(service: Any) -> str:
    return f"{service.project.person.display_name} – {service.code} {service.label}"


class RepeatForm(forms.Form):
    """The recurrence part of the creation form (empty frequency: a single event)."""

    frequency = forms.ChoiceField(
        label=_("Répétition"),
        choices=[
            ("", _("aucune (événement unique)")),
            (Frequency.DAILY.value, _("tous les jours")),
            (Frequency.WEEKLY.value, _("toutes les semaines")),
            (Frequency.MONTHLY.value, _("tous les mois")),
        ],
        required=False,
    )
    interval = bounded.IntegerField(
        label=_("Toutes les … (jours, semaines ou mois)"),
        min_value=1,
        max_value=52,
        initial=1,
        required=False,
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours (répétition hebdomadaire)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    until = bounded.DateField(
        label=_("Jusqu'au (inclus)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    count = bounded.IntegerField(
        label=_("Ou nombre d'occurrences"), min_value=1, max_value=366, required=False
    )


class ScopeForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Appliquer à"),
        choices=[
            ("une", _("cette occurrence")),
            ("suivantes", _("cette occurrence et les suivantes")),
        ],
        initial="une",
        widget=forms.RadioSelect,
    )


class StatusForm(forms.Form):
    expected_version = bounded.IntegerField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(choices=EventStatus.choices)
    reason = forms.CharField(required=False, max_length=2000)
    scope = forms.ChoiceField(choices=[("une", "une"), ("suivantes", "suivantes")], required=False)


class ReportForm(forms.Form):
    expected_version = bounded.IntegerField(widget=forms.HiddenInput, required=False)
    report = forms.CharField(
        label=_("Compte rendu"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
