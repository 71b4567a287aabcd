"""Admissions: the facility's waiting list, admission requests, overdue contracts.

The waiting list and a request's page need "person.create" (the secretariat, which
files and follows the requests) or "admission.decide" (chef de service, direction,
who accept, refuse or reopen) in the facility concerned; each action checks its own
permission again, as does its service. The overdue contracts are followed by those who
manage stays and by the direction ("facility.view_overview"). Refusals: 403 and an
audit row. Pages that show persons write an access event. Each action is one POST URL
calling one service; a saved action redirects (POST/redirect/GET) with a message, a
refused one saves nothing and shows the page again with the French reasons. A refusal
and a reopening are confirmed on their own page, with their reason.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize, authorize_any
from opendui.core.forms import (
    CONCURRENT_EDIT,
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.pagination import page_of
from opendui.core.params import posted
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.persons.selectors import search_persons
from opendui.persons.services import record_person_access

from . import services
from .forms import (
    AdmissionRequestForm,
    AdmitForm,
    PersonPickForm,
    RefuseForm,
    ReopenForm,
    RequestEditForm,
    StatusForm,
    WaitingListFilterForm,
)
from .history import history_rows
from .models import AdmissionPriority, AdmissionRequest
from .overdue import FOLLOW_CONTRACTS, overdue_page
from .rules import DECISIONS, EDITABLE, STATUS_LABELS, TRANSITIONS, AdmissionStatus

PERMISSION = services.PERMISSION
DECIDE = services.DECIDE
#: Who opens the waiting list and the requests: those who follow them, those who decide.
ADMISSIONS = (PERMISSION, DECIDE)
NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
REFUSED = "Vous n'avez pas le droit de gérer les admissions de cet établissement."

_PRIORITY_RANK = Case(
    When(priority=AdmissionPriority.URGENT, then=Value(0)),
    When(priority=AdmissionPriority.HIGH, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _may(request: HttpRequest, codes: tuple[str, ...], facility: Facility) -> bool:
    return any(check(request.user, code, facility=facility) for code in codes)


def managed_facilities(request: HttpRequest) -> list[Facility]:
    """The facility chosen with the switcher, or all the user's facilities when none is
    chosen (as on the home page), kept where the user may follow or decide admissions."""
    current = request.current_facility
    candidates = [current] if current is not None else request.user_facilities
    return [f for f in candidates if _may(request, ADMISSIONS, f)]


# --- waiting list ----------------------------------------------------------------------------


def waiting_list(request: HttpRequest) -> HttpResponse:
    authorize_any(request, ADMISSIONS, facility=request.current_facility)
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
            "can_file": any(check(request.user, PERMISSION, facility=f) for f in facilities),
            "overdue_facilities": [f for f in facilities if _may(request, FOLLOW_CONTRACTS, f)],
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
        posted(request),
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
    """The request's page: its content, history and the actions the user may take."""
    can_file = bool(check(request.user, PERMISSION, facility=admission.facility))
    can_decide = bool(check(request.user, DECIDE, facility=admission.facility))
    current = AdmissionStatus(admission.status)
    # Plain status changes; a refusal has its own confirmation page, admission its form.
    targets = [
        (s.value, STATUS_LABELS[s])
        for s in AdmissionStatus
        if s in TRANSITIONS[current]
        and s not in (AdmissionStatus.ADMITTED, AdmissionStatus.REFUSED)
        and (can_decide if s in DECISIONS else can_file)
    ]
    can_admit = can_file and AdmissionStatus.ADMITTED in TRANSITIONS[current]
    if can_admit and admit_form is None:
        units = [
            (u.pk, u.name)
            for u in Unit.objects.filter(facility=admission.facility, is_active=True).order_by(
                "name"
            )
        ]
        admit_form = AdmitForm(
            initial={
                "start_date": timezone.localdate(),
                "mode": services.default_mode(admission.facility),
                "expected_version": admission.version,
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
            # The record's banner and tabs (persons/record_base.html), under "Séjours".
            "person": admission.person,
            "record_tab": "stays",
            "status_label": STATUS_LABELS[current],
            "targets": targets,
            "final": not TRANSITIONS[current],
            "admit_form": admit_form if can_admit else None,
            "can_refuse": can_decide and AdmissionStatus.REFUSED in TRANSITIONS[current],
            "can_reopen": can_decide and current == AdmissionStatus.REFUSED,
            "can_edit": can_file and current in EDITABLE,
            "history": history_rows(admission),
            "status_error": status_error,
            "today": timezone.localdate(),
        },
        status=status,
    )


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    admission = _request(pk)
    authorize_any(request, ADMISSIONS, facility=admission.facility)
    return _detail(request, admission)


@require_POST
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    admission = _request(pk)
    authorize_any(request, ADMISSIONS, facility=admission.facility)
    form = StatusForm(request.POST)
    if not form.is_valid():
        if form.has_error(NON_FIELD_ERRORS, CONCURRENT_EDIT):  # the version is missing
            messages.error(request, NOTHING_SAVED)
            error = " ".join(str(e) for e in form.non_field_errors())
            return _detail(request, admission, status_error=error, status=conflict_status(form))
        messages.error(request, "Statut demandé inconnu. Rien n'a été enregistré.")
        return redirect("stays:request_detail", pk=admission.pk)
    target = form.cleaned_data["target"]
    # The decision needs its own permission (the service checks it again).
    authorize(request, DECIDE if target in DECISIONS else PERMISSION, facility=admission.facility)
    saved = save_or_refuse(
        form,
        lambda: services.change_request_status(
            Actor.from_request(request),
            admission,
            target,
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


def _action_page(
    request: HttpRequest,
    admission: AdmissionRequest,
    template: str,
    form,
    save,
    success: str,
) -> HttpResponse:
    """GET: the confirmation or edit page; POST: the service, then back to the request.

    A refused submission saves nothing and shows the page again with the reasons (409
    when someone changed the request meanwhile).
    """
    status = 200
    if request.method == "POST":
        if form.is_valid() and save_or_refuse(form, save) is not None:
            messages.success(request, success)
            return redirect("stays:request_detail", pk=admission.pk)
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
        admission = _request(admission.pk)  # the stored state, not the refused change
    record_person_access(Actor.from_request(request), "admission.form_view", [admission.person])
    return render(
        request,
        template,
        {
            "admission": admission,
            "status_label": STATUS_LABELS[AdmissionStatus(admission.status)],
            "form": form,
            "today": timezone.localdate(),
        },
        status=status,
    )


def request_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse a request: a confirmation page with the reason (list + explanation)."""
    admission = _request(pk)
    authorize(request, DECIDE, facility=admission.facility)
    form = RefuseForm(posted(request), initial={"expected_version": admission.version})
    return _action_page(
        request,
        admission,
        "stays/request_refuse.html",
        form,
        lambda: services.refuse_request(
            Actor.from_request(request),
            admission,
            form.cleaned_data["reason"],
            form.cleaned_data["detail"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        "La demande est refusée ; le motif est enregistré dans son historique.",
    )


def request_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen a refused request (back to "en étude"), with the reason for it."""
    admission = _request(pk)
    authorize(request, DECIDE, facility=admission.facility)
    form = ReopenForm(posted(request), initial={"expected_version": admission.version})
    return _action_page(
        request,
        admission,
        "stays/request_reopen.html",
        form,
        lambda: services.reopen_request(
            Actor.from_request(request),
            admission,
            form.cleaned_data["reason"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        "La demande est réouverte : elle est de nouveau « en étude ».",
    )


def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an open request's priority, reasons and MDPH orientation decision."""
    admission = _request(pk)
    authorize(request, PERMISSION, facility=admission.facility)
    form = RequestEditForm(posted(request), admission=admission)

    def save() -> AdmissionRequest:
        data = dict(form.cleaned_data)
        version = data.pop("expected_version")
        return services.update_request(
            Actor.from_request(request), admission, expected_version=version, **data
        )

    return _action_page(
        request,
        admission,
        "stays/request_edit.html",
        form,
        save,
        "La demande est modifiée ; l'historique garde les valeurs précédentes.",
    )


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
                room=data["room"],
                expected_version=data["expected_version"],
            ),
        )
    if stay is None:
        messages.error(request, NOTHING_SAVED)
        error = " ".join(str(e) for e in form.non_field_errors())
        return _detail(
            request,
            _request(pk),
            admit_form=form,
            status_error=error,
            status=conflict_status(form),
        )
    messages.success(
        request, f"{admission.person.display_name} est admis(e) le {stay.start_date:%d/%m/%Y}."
    )
    return redirect("stays:person_stays", pk=admission.person_id)


# --- overdue contracts -----------------------------------------------------------------------


def overdue_list(request: HttpRequest, facility_pk: int) -> HttpResponse:
    """The facility's overdue contracts: for those who manage its stays and its direction
    (the directeur général included), limited to the persons the reader sees."""
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize_any(request, FOLLOW_CONTRACTS, facility=facility)
    today = timezone.localdate()
    page = overdue_page(
        facility, today, request.GET.get("page"), settings.PAGE_SIZE, reader=request.user
    )
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
