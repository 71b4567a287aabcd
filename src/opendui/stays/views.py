"""Admissions: the facility's waiting list, admission requests, overdue contracts.

Every page needs "person.create" (the right to manage admissions and stays) in the
facility concerned, checked by `authorize` (refusal: 403 and an audit row). Pages that
show persons write an access event. Each action is one POST URL calling one service;
a saved action redirects (POST/redirect/GET) with a message, a refused one saves
nothing and shows the page again with the French reasons.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.pagination import page_of
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.persons.selectors import search_persons
from opendui.persons.services import record_person_access

from . import services
from .forms import (
    AdmissionRequestForm,
    AdmitForm,
    PersonPickForm,
    StatusForm,
    WaitingListFilterForm,
)
from .models import AdmissionPriority, AdmissionRequest
from .overdue import overdue_page
from .rules import STATUS_LABELS, TRANSITIONS, AdmissionStatus

PERMISSION = services.PERMISSION
NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
REFUSED = "Vous n'avez pas le droit de gérer les admissions de cet établissement."

_PRIORITY_RANK = Case(
    When(priority=AdmissionPriority.URGENT, then=Value(0)),
    When(priority=AdmissionPriority.HIGH, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def managed_facilities(request: HttpRequest) -> list[Facility]:
    """The facility chosen with the switcher, or all the user's facilities when none is
    chosen (as on the home page), kept where the user may manage admissions."""
    current = request.current_facility
    candidates = [current] if current is not None else request.user_facilities
    return [f for f in candidates if check(request.user, PERMISSION, facility=f)]


# --- waiting list ----------------------------------------------------------------------------


def waiting_list(request: HttpRequest) -> HttpResponse:
    authorize(request, PERMISSION, facility=request.current_facility)
    facilities = managed_facilities(request)
    form = WaitingListFilterForm(request.GET or None)
    statuses = form.statuses()
    requests = AdmissionRequest.objects.filter(facility__in=facilities)
    if statuses is not None:
        requests = requests.filter(status__in=statuses)
    requests = (
        requests.select_related("person", "facility")
        .annotate(priority_rank=_PRIORITY_RANK)
        .order_by("priority_rank", "received_on", "pk")
    )
    page = page_of(requests, request.GET.get("page"), settings.PAGE_SIZE)
    record_person_access(
        Actor.from_request(request),
        "admission.list",
        [r.person for r in page.object_list],
        details={"page": page.number},
    )
    statut = request.GET.get("statut", "")
    return render(
        request,
        "stays/waiting_list.html",
        {
            "form": form,
            "facilities": facilities,
            "page_obj": page,
            "rows": page.object_list,
            "today": timezone.localdate(),
            "query_string": f"statut={statut}&" if form.is_valid() and statut else "",
        },
    )


# --- new request -----------------------------------------------------------------------------


def request_pick(request: HttpRequest) -> HttpResponse:
    """Find the person the request is for (an existing record in the user's scope)."""
    authorize(request, PERMISSION, facility=request.current_facility)
    form = PersonPickForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    persons: list[Person] = []
    if query:
        # A readmission starts from a record archived for the facility: it is found too.
        persons = list(search_persons(request.user, query, archived=True)[:20])
        record_person_access(
            Actor.from_request(request), "person.list", persons, details={"search": True}
        )
    return render(
        request,
        "stays/request_pick.html",
        {"form": form, "persons": persons, "searched": bool(query)},
    )


def request_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=person_pk)
    authorize(request, "person.view_identity", person=person)
    authorize(request, PERMISSION, organisation=person.organisation)
    facilities = [
        f
        for f in Facility.objects.filter(
            organisation_id=person.organisation_id, is_active=True
        ).order_by("name")
        if check(request.user, PERMISSION, facility=f)
    ]
    by_id = {f.pk: f for f in facilities}
    current = request.current_facility
    initial = {"received_on": timezone.localdate()}
    if current is not None and current.pk in by_id:
        initial["facility"] = current.pk
    form = AdmissionRequestForm(
        request.POST or None,
        initial=initial,
        facilities=[(f.pk, f.name) for f in facilities],
    )

    def save() -> AdmissionRequest:
        data = dict(form.cleaned_data)
        facility = by_id[data.pop("facility")]
        return services.create_admission_request(
            Actor.from_request(request), person, facility, **data
        )

    outcome = handle_creation(
        request,
        form,
        save,
        on_replay_url=reverse("stays:waiting_list"),
        refusals=(PermissionDenied,),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(
            request,
            f"Demande d'admission enregistrée pour {person.display_name} à « {outcome.facility} ».",
        )
        return redirect("stays:request_detail", pk=outcome.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    record_person_access(Actor.from_request(request), "admission.form_view", [person])
    return render(
        request,
        "stays/request_create.html",
        {"person": person, "form": form, "form_token": creation_token(request)},
    )


# --- request detail and actions --------------------------------------------------------------


def _request(pk: int) -> AdmissionRequest:
    return get_object_or_404(
        AdmissionRequest.objects.select_related("person", "facility", "stay"), pk=pk
    )


def _detail(
    request: HttpRequest,
    admission: AdmissionRequest,
    *,
    admit_form: AdmitForm | None = None,
    status_error: str = "",
    status: int = 200,
) -> HttpResponse:
    units = [
        (u.pk, u.name)
        for u in Unit.objects.filter(facility=admission.facility, is_active=True).order_by("name")
    ]
    current = AdmissionStatus(admission.status)
    targets = [
        (s.value, STATUS_LABELS[s])
        for s in AdmissionStatus
        if s in TRANSITIONS[current] and s != AdmissionStatus.ADMITTED
    ]
    can_admit = AdmissionStatus.ADMITTED in TRANSITIONS[current]
    if can_admit and admit_form is None:
        admit_form = AdmitForm(
            initial={
                "start_date": timezone.localdate(),
                "mode": services.default_mode(admission.facility),
            },
            units=units,
            auto_id="adm_%s",
        )
    record_person_access(Actor.from_request(request), "admission.view", [admission.person])
    return render(
        request,
        "stays/request_detail.html",
        {
            "admission": admission,
            "status_label": STATUS_LABELS[current],
            "targets": targets,
            "admit_form": admit_form if can_admit else None,
            "status_error": status_error,
            "today": timezone.localdate(),
        },
        status=status,
    )


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    admission = _request(pk)
    authorize(request, PERMISSION, facility=admission.facility)
    return _detail(request, admission)


@require_POST
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    admission = _request(pk)
    authorize(request, PERMISSION, facility=admission.facility)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Statut demandé inconnu. Rien n'a été enregistré.")
        return redirect("stays:request_detail", pk=admission.pk)
    saved = save_or_refuse(
        form,
        lambda: services.change_request_status(
            Actor.from_request(request),
            admission,
            form.cleaned_data["target"],
            expected_version=form.cleaned_data["expected_version"],
        ),
    )
    if saved is None:
        admission = _request(pk)  # the stored state, not the refused change
        error = " ".join(str(e) for e in form.non_field_errors())
        messages.error(request, NOTHING_SAVED)
        return _detail(request, admission, status_error=error, status=conflict_status(form))
    messages.success(
        request, f"La demande est maintenant au statut « {saved.get_status_display()} »."
    )
    return redirect("stays:request_detail", pk=admission.pk)


@require_POST
def request_admit(request: HttpRequest, pk: int) -> HttpResponse:
    admission = _request(pk)
    authorize(request, PERMISSION, facility=admission.facility)
    units = {u.pk: u for u in Unit.objects.filter(facility=admission.facility, is_active=True)}
    form = AdmitForm(request.POST, units=[(u.pk, u.name) for u in units.values()], auto_id="adm_%s")
    stay = None
    if form.is_valid():
        data = form.cleaned_data
        stay = save_or_refuse(
            form,
            lambda: services.admit(
                Actor.from_request(request),
                admission,
                data["start_date"],
                data["mode"],
                units.get(data["unit"]),
            ),
        )
    if stay is None:
        messages.error(request, NOTHING_SAVED)
        error = " ".join(str(e) for e in form.non_field_errors())
        return _detail(request, _request(pk), admit_form=form, status_error=error)
    messages.success(
        request, f"{admission.person.display_name} est admis(e) le {stay.start_date:%d/%m/%Y}."
    )
    return redirect("stays:person_stays", pk=admission.person_id)


# --- overdue contracts -----------------------------------------------------------------------


def overdue_list(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, PERMISSION, facility=facility)
    today = timezone.localdate()
    page = overdue_page(facility, today, request.GET.get("page"), settings.PAGE_SIZE)
    record_person_access(
        Actor.from_request(request),
        "contract.overdue_list",
        [row.stay.person for row in page.object_list],
        details={"page": page.number},
    )
    return render(
        request,
        "stays/overdue_list.html",
        {"facility": facility, "page_obj": page, "rows": page.object_list, "today": today},
    )
