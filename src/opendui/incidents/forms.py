"""Forms of the incident pages (incidents.views)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opendui.accounts.models import Assignment, User
from opendui.core import fields as bounded
from opendui.core.forms import VersionedFormMixin
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons
from opendui.stays.models import Stay

from .models import (
    ACTION_STATUS_CHOICES,
    CATEGORY_CHOICES,
    REPORT_MODE_CHOICES,
    SEVERITY_CHOICES,
    STATUS_CHOICES,
)

RECENT_DAYS = 365  # persons who left the facility within a year may still be involved
NO_NAMES = _("N'indiquez aucun nom : le texte peut être repris dans la déclaration à l'ARS.")


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PersonChoice(bounded.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.display_name} (né(e) en {obj.birth_date:%Y})"


def involvable_persons(user, facility: Facility):
    """Persons the user sees in the facility, with a stay there current or ended within a
    year (the service checks the scope again on save)."""
    since = timezone.localdate() - dt.timedelta(days=RECENT_DAYS)
    stays = Stay.objects.filter(person=OuterRef("pk"), facility=facility).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=since)
    )
    return (
        visible_persons(user, facility)
        .filter(Exists(stays))
        .order_by("birth_name_key", "first_name", "pk")
    )


class DeclarationForm(forms.Form):
    occurred_at = bounded.DateTimeField(
        label=_("Date et heure de survenue"), widget=_datetime_input()
    )
    discovered_at = bounded.DateTimeField(
        label=_("Date et heure de découverte"),
        required=False,
        widget=_datetime_input(),
        help_text=_("Si l'événement a été découvert après coup."),
    )
    place = forms.CharField(label=_("Lieu"), max_length=200)
    description = forms.CharField(
        label=_("Que s'est-il passé ?"), widget=_text(5), help_text=NO_NAMES
    )
    immediate_actions = forms.CharField(
        label=_("Mesures prises immédiatement"), required=False, widget=_text()
    )
    consequences = forms.CharField(
        label=_("Conséquences constatées"), required=False, widget=_text(2)
    )
    severity = forms.ChoiceField(
        label=_("Gravité"), choices=SEVERITY_CHOICES, widget=forms.RadioSelect
    )
    categories = forms.MultipleChoiceField(
        label=_("Catégories (liste nationale, arrêté du 28 décembre 2016)"),
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Obligatoire pour un événement à signaler à l'ARS."),
    )
    persons = PersonChoice(
        label=_("Personnes accompagnées concernées"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others_involved = forms.CharField(
        label=_("Autres personnes concernées (professionnels, visiteurs…)"),
        required=False,
        widget=_text(2),
        help_text=_(
            "Leur fonction ou leur qualité, sans nom (par exemple « une aide-soignante »)."
        ),
    )
    exposed_count = bounded.IntegerField(
        label=_("Nombre de personnes victimes ou exposées"), min_value=0, required=False
    )
    families_informed = forms.BooleanField(label=_("Famille ou proches informés"), required=False)
    authorities_informed = forms.CharField(
        label=_("Autorités informées (police, gendarmerie, parquet…)"),
        required=False,
        widget=_text(2),
    )
    media_impact = forms.BooleanField(label=_("Retentissement médiatique"), required=False)

    def __init__(self, *args, user=None, facility: Facility | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and facility is not None:
            self.fields["persons"].queryset = involvable_persons(user, facility)


class StatusForm(VersionedFormMixin):
    edits = True  # acts on a stored row: its version is required
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=STATUS_CHOICES)


class AnalysisForm(VersionedFormMixin):
    edits = True  # acts on a stored row: its version is required
    causes = forms.CharField(
        label=_("Causes et facteurs contributifs"), widget=_text(5), help_text=NO_NAMES
    )
    conclusions = forms.CharField(label=_("Enseignements"), required=False, widget=_text(3))
    analysed_on = bounded.DateField(label=_("Date de l'analyse"), widget=_date_input())


def facility_staff(facility: Facility):
    """Active users working today in the facility or for its whole organisation."""
    today = timezone.localdate()
    current = Assignment.objects.active_on(today).filter(user=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True)
        .filter(
            Exists(current.filter(facility=facility))
            | Exists(
                current.filter(organisation_id=facility.organisation_id, facility__isnull=True)
            )
        )
        .order_by("last_name", "first_name", "pk")
    )


class StaffChoice(bounded.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action corrective"), widget=_text(2))
    owner = StaffChoice(label=_("Responsable"), queryset=User.objects.none())
    due_date = bounded.DateField(label=_("Échéance"), widget=_date_input())

    def __init__(self, *args, facility: Facility | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if facility is not None:
            self.fields["owner"].queryset = facility_staff(facility)


class ActionUpdateForm(VersionedFormMixin):
    edits = True  # acts on a stored row: its version is required
    status = forms.ChoiceField(label=_("État"), choices=ACTION_STATUS_CHOICES)
    done_on = bounded.DateField(label=_("Réalisée le"), required=False, widget=_date_input())


class ReportForm(VersionedFormMixin):
    edits = True  # acts on a stored row: its version is required
    ars_reported_at = bounded.DateTimeField(
        label=_("Signalé à l'ARS le"), required=False, widget=_datetime_input()
    )
    ars_report_mode = forms.ChoiceField(
        label=_("Mode de signalement"),
        choices=[("", "—"), *REPORT_MODE_CHOICES],
        required=False,
    )
    ars_confirmed_at = bounded.DateTimeField(
        label=_("Confirmation écrite envoyée le"),
        required=False,
        widget=_datetime_input(),
        help_text=_("Après un signalement oral : sous 48 heures (CASF R331-8)."),
    )
    cvs_informed = forms.BooleanField(label=_("Conseil de la vie sociale informé"), required=False)
    cvs_informed_on = bounded.DateField(
        label=_("CVS informé le"), required=False, widget=_date_input()
    )


class FilterForm(forms.Form):
    statut = forms.ChoiceField(
        label=_("Statut"), choices=[("", "Tous"), *STATUS_CHOICES], required=False
    )
    gravite = forms.ChoiceField(
        label=_("Gravité"), choices=[("", "Toutes"), *SEVERITY_CHOICES], required=False
    )
