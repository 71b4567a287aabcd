"""Forms of the admissions and stays pages (stays.views, stays.views_stays).

Choices that come from the database (facilities, units) are passed in by the view as
lists computed once per page, so that showing one form per stay adds no query.
The services validate everything again; these forms only parse the input.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opendui.core import fields as bounded
from opendui.core.forms import RowActionFormMixin, VersionedFormMixin

from .models import (
    AbsenceKind,
    AdmissionPriority,
    DischargeDestination,
    DischargeReason,
    StayMode,
)
from .rules import CONTRACT_KINDS, REFUSAL_REASON_LABELS, STATUS_LABELS, AdmissionStatus

OPEN_STATUSES = [
    AdmissionStatus.RECEIVED,
    AdmissionStatus.UNDER_REVIEW,
    AdmissionStatus.ACCEPTED,
    AdmissionStatus.WAITING_LIST,
]
OPEN = "ouvertes"
ALL = "toutes"


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


def _textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 2})


class _ChoicesMixin:
    """Sets the choices of id fields from (id, label) lists given by the view."""

    def _set_choices(self, name: str, choices, *, blank: bool) -> None:
        choices = [(str(pk), label) for pk, label in choices]
        self.fields[name].choices = _blank(choices) if blank else choices


class WaitingListFilterForm(forms.Form):
    statut = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[
            (OPEN, _("demandes ouvertes (reçue, en étude, acceptée, liste d'attente)")),
            *((s.value, STATUS_LABELS[s]) for s in AdmissionStatus),
            (ALL, _("toutes les demandes")),
        ],
    )

    def statuses(self) -> list[str] | None:
        """The statuses to list; None for all."""
        value = self.cleaned_data.get("statut") if self.is_valid() else ""
        if value == ALL:
            return None
        if value in (OPEN, "", None):
            return [s.value for s in OPEN_STATUSES]
        return [value]


class PersonPickForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, date de naissance (JJ/MM/AAAA) ou identifiant local"),
        max_length=100,
        required=False,
    )


class _RequestContentFields(forms.Form):
    """What a request says, typed at creation and corrected later (RequestEditForm)."""

    priority = forms.ChoiceField(
        label=_("Priorité"), choices=AdmissionPriority.choices, initial=AdmissionPriority.NORMAL
    )
    reasons = forms.CharField(
        label=_("Motifs de la demande"), max_length=5000, required=False, widget=_textarea()
    )
    mdph_decision_number = forms.CharField(
        label=_("Numéro de la décision d'orientation MDPH"), max_length=50, required=False
    )
    mdph_decision_date = bounded.DateField(
        label=_("Date de la décision CDAPH"), required=False, widget=_date_input()
    )
    mdph_category = forms.CharField(
        label=_("Catégorie d'orientation"),
        max_length=100,
        required=False,
        help_text=_("Par exemple : 13.3 MAS."),
    )
    mdph_valid_until = bounded.DateField(
        label=_("Orientation valable jusqu'au"), required=False, widget=_date_input()
    )


class AdmissionRequestForm(_ChoicesMixin, _RequestContentFields):
    facility = forms.TypedChoiceField(label=_("Établissement demandé"), coerce=int)
    received_on = bounded.DateField(label=_("Demande reçue le"), widget=_date_input())

    field_order = ["facility", "received_on"]  # then the content fields

    def __init__(self, *args, facilities=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("facility", facilities, blank=len(facilities) != 1)


class RefuseForm(RowActionFormMixin):
    """The confirmation of a refusal: a reason from the list and its explanation."""

    reason = forms.ChoiceField(
        label=_("Motif du refus"),
        choices=_blank((r.value, label) for r, label in REFUSAL_REASON_LABELS.items()),
    )
    detail = forms.CharField(
        label=_("Explication"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Ce qui motive le refus, tel qu'il pourra être expliqué à la personne ou à sa "
            "famille (10 lettres ou chiffres au moins)."
        ),
    )


class ReopenForm(RowActionFormMixin):
    reason = forms.CharField(
        label=_("Motif de la réouverture"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : élément nouveau dans le dossier, erreur d'appréciation."),
    )


class RequestEditForm(RowActionFormMixin, _RequestContentFields):
    """Correction of an open request's content (not its person, facility or status)."""

    def __init__(self, data=None, *args, admission=None, **kwargs) -> None:
        if admission is not None and data is None:
            kwargs.setdefault(
                "initial",
                {
                    "priority": admission.priority,
                    "reasons": admission.reasons,
                    "mdph_decision_number": admission.mdph_decision_number,
                    "mdph_decision_date": admission.mdph_decision_date,
                    "mdph_category": admission.mdph_category,
                    "mdph_valid_until": admission.mdph_valid_until,
                    "expected_version": admission.version,
                },
            )
        super().__init__(data, *args, **kwargs)


class StatusForm(VersionedFormMixin, forms.Form):
    edits = True  # changes the request's status: the version of the request is required
    target = forms.ChoiceField(choices=[(s.value, STATUS_LABELS[s]) for s in AdmissionStatus])


def _room_field() -> forms.CharField:
    return forms.CharField(
        label=_("Chambre ou logement"),
        max_length=30,
        required=False,
        help_text=_("Comme l'établissement les numérote (« 12 », « Bât. B – 104 »)."),
    )


class AdmitForm(_ChoicesMixin, VersionedFormMixin, forms.Form):
    edits = True  # changes the request's status: the version of the request is required
    start_date = bounded.DateField(label=_("Date d'admission"), widget=_date_input())
    mode = forms.ChoiceField(
        label=_("Mode d'accueil"),
        choices=_blank(StayMode.choices),
        help_text=_("Proposé d'après l'établissement (sa catégorie et ses places)."),
    )
    unit = forms.TypedChoiceField(label=_("Unité"), coerce=int, required=False, empty_value=None)
    room = _room_field()

    def __init__(self, *args, units=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("unit", units, blank=True)


class RelocateForm(_ChoicesMixin, VersionedFormMixin, forms.Form):
    edits = True  # changes the stored stay: its version is required
    unit = forms.TypedChoiceField(label=_("Unité"), coerce=int, required=False, empty_value=None)
    room = _room_field()

    def __init__(self, *args, units=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("unit", units, blank=True)


class ContractForm(VersionedFormMixin, forms.Form):
    edits = True  # acts on a stored row: its version is required
    kind = forms.ChoiceField(label=_("Type"), choices=list(CONTRACT_KINDS.items()))
    handed_on = bounded.DateField(label=_("Remis le"), required=False, widget=_date_input())
    signed_on = bounded.DateField(label=_("Signé le"), required=False, widget=_date_input())
    objectives_amendment_on = bounded.DateField(
        label=_("Avenant fixant les objectifs signé le"), required=False, widget=_date_input()
    )
    last_update_on = bounded.DateField(
        label=_("Dernière mise à jour le"), required=False, widget=_date_input()
    )

    def __init__(self, *args, contract=None, **kwargs) -> None:
        if contract is not None and not args:
            kwargs.setdefault(
                "initial",
                {
                    "kind": contract.kind,
                    "handed_on": contract.handed_on,
                    "signed_on": contract.signed_on,
                    "objectives_amendment_on": contract.objectives_amendment_on,
                    "last_update_on": contract.last_update_on,
                },
            )
        super().__init__(*args, **kwargs)
        # 0: "I saw no contract" (see services.record_contract).
        self.fields["expected_version"].initial = contract.version if contract else 0


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type d'absence"), choices=_blank(AbsenceKind.choices))
    start_date = bounded.DateField(label=_("Début"), widget=_date_input())
    end_date = bounded.DateField(
        label=_("Fin"),
        required=False,
        widget=_date_input(),
        help_text=_("Laissez vide si la date de retour n'est pas connue."),
    )
    comment = forms.CharField(label=_("Commentaire"), required=False, widget=_textarea())


class DischargeForm(VersionedFormMixin, forms.Form):
    edits = True  # closes a stored stay: its version is required
    end_date = bounded.DateField(label=_("Date de sortie"), widget=_date_input())
    reason = forms.ChoiceField(label=_("Motif de sortie"), choices=_blank(DischargeReason.choices))
    reason_detail = forms.CharField(
        label=_("Précisions sur le motif"), required=False, widget=_textarea()
    )
    destination = forms.ChoiceField(
        label=_("Destination"), choices=_blank(DischargeDestination.choices)
    )
    destination_detail = forms.CharField(
        label=_("Précisions sur la destination"), required=False, widget=_textarea()
    )


class TransferForm(_ChoicesMixin, VersionedFormMixin, forms.Form):
    edits = True  # closes the stored stay: its version is required
    to_facility = forms.TypedChoiceField(label=_("Établissement d'arrivée"), coerce=int)
    on = bounded.DateField(label=_("Date du transfert"), widget=_date_input())
    mode = forms.ChoiceField(
        label=_("Mode d'accueil à l'arrivée"),
        choices=_blank(StayMode.choices),
        required=False,
        help_text=_(
            "Laissez vide pour garder le mode actuel si l'établissement d'arrivée en a des "
            "places, sinon prendre son mode habituel."
        ),
    )

    def __init__(self, *args, facilities=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("to_facility", facilities, blank=True)
