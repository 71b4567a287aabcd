"""Pages of the événements indésirables.

- the user's own declarations, with links to declare in each facility where they may;
- the declaration form of a facility ("incident.declare" there);
- a facility's list for managers ("incident.manage"): filters, deadlines, overdue first;
- an incident's page: its declarer, or a manager of the facility (audited read of the
  persons involved); managers record there the analysis, corrective actions, status,
  ARS report and CVS information, each through its own POST URL and service;
- the pre-filled ARS declaration (printable page and plain text), for managers.

Refusals go through `authorize` (403 and an audit row). A saved action redirects
(POST/redirect/GET); a refused one saves nothing and shows the page again with the
French reasons (409 when someone saved the same row meanwhile).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opendui.accounts.access import Decision, check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.downloads import attachment
from opendui.core.exports import authorize_export, may_export
from opendui.core.forms import conflict_status, creation_token, handle_creation, save_or_refuse
from opendui.core.pagination import page_of
from opendui.core.params import posted
from opendui.organisations.models import Facility
from opendui.persons.services import record_person_access

from . import declaration, rules, selectors, services
from .forms import (
    ActionForm,
    ActionUpdateForm,
    AnalysisForm,
    DeclarationForm,
    FilterForm,
    ReportForm,
    StatusForm,
)
from .models import CorrectiveAction, Incident

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
REFUSED = "Vous n'avez pas le droit de gérer les événements indésirables de cet établissement."


# --- the user's declarations -----------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    authorize(request, services.DECLARE)
    now = timezone.now()
    facilities = request.user_facilities
    page = page_of(selectors.declared_by(request.user, now), request.GET.get("page"), 20)
    return render(
        request,
        "incidents/home.html",
        {
            "page_obj": page,
            "rows": [selectors.describe(i, now) for i in page.object_list],
            "declare_in": [
                f for f in facilities if check(request.user, services.DECLARE, facility=f)
            ],
            "manage_in": [f for f in facilities if services.can_manage(request.user, f)],
        },
    )


# --- declaration -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def declare(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, services.DECLARE, facility=facility)
    form = DeclarationForm(posted(request), user=request.user, facility=facility)
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.declare(actor, facility, **form.cleaned_data),
        on_replay_url=reverse("incidents:home"),
    )
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, Incident):
        messages.success(request, f"{result} : déclaration enregistrée.")
        return redirect("incidents:detail", pk=result.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    # The names offered are a display of persons' data: audited like a list page.
    choices = list(form.fields["persons"].queryset)
    record_person_access(actor, "incident.form_view", choices, details={"facility": facility.pk})
    return render(
        request,
        "incidents/declare.html",
        {"facility": facility, "form": form, "form_token": creation_token(request)},
    )


# --- a facility's list -----------------------------------------------------------------------


@require_GET
def facility_list(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, services.MANAGE, facility=facility)
    now = timezone.now()
    form = FilterForm(request.GET or None)
    status = severity = ""
    if form.is_valid():
        status, severity = form.cleaned_data["statut"], form.cleaned_data["gravite"]
    incidents = selectors.facility_incidents(
        facility,
        now,
        statuses=[status] if status else None,
        severities=[severity] if severity else None,
    )
    page = page_of(incidents, request.GET.get("page"), settings.PAGE_SIZE)
    query = "".join(f"{k}={v}&" for k, v in (("statut", status), ("gravite", severity)) if v)
    return render(
        request,
        "incidents/facility_list.html",
        {
            "facility": facility,
            "form": form,
            "page_obj": page,
            "rows": [selectors.describe(i, now) for i in page.object_list],
            "query_string": query,
        },
    )


# --- one incident ----------------------------------------------------------------------------


def _incident(pk: int) -> Incident:
    try:
        return selectors.incident_for_page(pk)
    except Incident.DoesNotExist as error:
        raise Http404 from error


def _read(request: HttpRequest, incident: Incident) -> Decision:
    if incident.declared_by_id == request.user.pk:
        return Decision(True)
    return authorize(request, services.MANAGE, facility=incident.facility)


def _page(
    request: HttpRequest,
    incident: Incident,
    decision: Decision,
    *,
    bound: str = "",
    form=None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    today = timezone.localdate()
    analysis = selectors.analysis_of(incident)
    can_manage = services.can_manage(request.user, incident.facility)
    actions = list(incident.actions.all())
    persons = list(incident.persons.all())
    overdue = sum(a.is_overdue(today) for a in actions)
    incident.overdue_actions = overdue
    context = {
        "incident": incident,
        "analysis": analysis,
        "persons": persons,
        "actions": [{"action": a, "overdue": a.is_overdue(today)} for a in actions],
        "deadlines": selectors.describe(incident, now).deadlines,
        "can_manage": can_manage,
        "can_export": can_manage and may_export(request.user, facility=incident.facility),
        "decision": decision,
    }
    if can_manage:
        forms = {
            "status": StatusForm(initial={"expected_version": incident.version}, auto_id="st_%s"),
            "analysis": AnalysisForm(
                initial={
                    "causes": analysis.causes if analysis else "",
                    "conclusions": analysis.conclusions if analysis else "",
                    "analysed_on": analysis.analysed_on if analysis else today,
                    "expected_version": analysis.version if analysis else None,
                },
                auto_id="an_%s",
            ),
            "action": ActionForm(facility=incident.facility, auto_id="ac_%s"),
            "report": ReportForm(
                initial={
                    "ars_reported_at": _local(incident.ars_reported_at),
                    "ars_report_mode": incident.ars_report_mode,
                    "ars_confirmed_at": _local(incident.ars_confirmed_at),
                    "cvs_informed": incident.cvs_informed,
                    "cvs_informed_on": incident.cvs_informed_on,
                    "expected_version": incident.version,
                },
                auto_id="rp_%s",
            ),
        }
        if bound:
            forms[bound] = form
        context.update(
            {
                "status_form": forms["status"],
                "next_statuses": [
                    (s.value, rules.STATUS_LABELS[s])
                    for s in rules.TRANSITIONS[rules.Status(incident.status)]
                ],
                "analysis_form": forms["analysis"],
                "action_form": forms["action"],
                "action_token": creation_token(request)
                if bound == "action"
                else _new_token(request),
                "report_form": forms["report"],
                "status_choices": ActionUpdateForm.base_fields["status"].choices,
            }
        )
    record_person_access(
        Actor.from_request(request),
        "incident.view",
        persons,
        decision,
        details={"incident": incident.pk},
    )
    return render(request, "incidents/detail.html", context, status=status)


def _new_token(request: HttpRequest) -> str:
    from opendui.core.forms import issue_form_token

    return issue_form_token(request)


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(pk)
    decision = _read(request, incident)
    return _page(request, incident, decision)


def _managed(request: HttpRequest, pk: int) -> tuple[Incident, Decision]:
    incident = _incident(pk)
    decision = authorize(request, services.MANAGE, facility=incident.facility)
    return incident, decision


def _refused_or_saved(request, incident, decision, name, form, save, success: str):
    """Run `save` on a valid form; show the page again with the reasons otherwise."""
    try:
        saved = save_or_refuse(form, save) if form.is_valid() else None
    except PermissionDenied:
        messages.error(request, REFUSED)
        return redirect("incidents:detail", pk=incident.pk)
    if saved is not None:
        messages.success(request, success)
        return redirect("incidents:detail", pk=incident.pk)
    messages.error(request, NOTHING_SAVED)
    fresh = _incident(incident.pk)
    return _page(request, fresh, decision, bound=name, form=form, status=conflict_status(form))


@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    incident, decision = _managed(request, pk)
    form = StatusForm(request.POST, auto_id="st_%s")
    actor = Actor.from_request(request)
    return _refused_or_saved(
        request,
        incident,
        decision,
        "status",
        form,
        lambda: services.change_status(
            actor,
            incident,
            form.cleaned_data["status"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        "Statut modifié.",
    )


@require_POST
def analysis(request: HttpRequest, pk: int) -> HttpResponse:
    incident, decision = _managed(request, pk)
    form = AnalysisForm(request.POST, auto_id="an_%s")
    actor = Actor.from_request(request)
    return _refused_or_saved(
        request,
        incident,
        decision,
        "analysis",
        form,
        lambda: services.record_analysis(actor, incident, **form.cleaned_data),
        "Analyse enregistrée.",
    )


@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident, decision = _managed(request, pk)
    form = ActionForm(request.POST, facility=incident.facility, auto_id="ac_%s")
    actor = Actor.from_request(request)
    try:
        result = handle_creation(
            request,
            form,
            lambda: services.add_action(actor, incident, **form.cleaned_data),
            on_replay_url=reverse("incidents:detail", kwargs={"pk": incident.pk}),
        )
    except PermissionDenied:
        messages.error(request, REFUSED)
        return redirect("incidents:detail", pk=incident.pk)
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, "Action corrective ajoutée.")
        return redirect("incidents:detail", pk=incident.pk)
    messages.error(request, NOTHING_SAVED)
    return _page(request, _incident(incident.pk), decision, bound="action", form=form)


@require_POST
def action_update(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    incident, _decision = _managed(request, pk)
    action = get_object_or_404(CorrectiveAction, pk=action_pk, incident=incident)
    action.incident = incident
    form = ActionUpdateForm(request.POST, auto_id=f"au{action.pk}_%s")
    actor = Actor.from_request(request)
    try:
        saved = (
            save_or_refuse(form, lambda: services.update_action(actor, action, **form.cleaned_data))
            if form.is_valid()
            else None
        )
    except PermissionDenied:
        messages.error(request, REFUSED)
        return redirect("incidents:detail", pk=incident.pk)
    if saved is None:
        reasons = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"{reasons} Rien n'a été enregistré.")
        return redirect("incidents:detail", pk=incident.pk)
    messages.success(request, "Action corrective mise à jour.")
    return redirect("incidents:detail", pk=incident.pk)


@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    incident, decision = _managed(request, pk)
    form = ReportForm(request.POST, auto_id="rp_%s")
    actor = Actor.from_request(request)
    return _refused_or_saved(
        request,
        incident,
        decision,
        "report",
        form,
        lambda: services.record_report(
            actor,
            incident,
            reported_at=form.cleaned_data["ars_reported_at"],
            mode=form.cleaned_data["ars_report_mode"],
            confirmed_at=form.cleaned_data["ars_confirmed_at"],
            cvs_informed=form.cleaned_data["cvs_informed"],
            cvs_informed_on=form.cleaned_data["cvs_informed_on"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        "Signalement et information du CVS enregistrés.",
    )


# --- ARS declaration -------------------------------------------------------------------------


def _declaration(request: HttpRequest, pk: int, fmt: str):
    incident, decision = _managed(request, pk)
    # Anonymised, but a document that leaves the application: the facility's export right.
    permit = authorize_export(request, facility=incident.facility)
    sections = declaration.build(incident)
    record_person_access(
        Actor.from_request(request),
        "incident.ars_export",
        list(incident.persons.all()),
        decision,
        details={"incident": incident.pk, "format": fmt},
    )
    return incident, sections, permit


@require_GET
def ars_declaration(request: HttpRequest, pk: int) -> HttpResponse:
    incident, sections, _permit = _declaration(request, pk, "html")
    return render(
        request,
        "incidents/ars_declaration.html",
        {"incident": incident, "sections": sections, "today": timezone.localdate()},
    )


@require_GET
def ars_text(request: HttpRequest, pk: int) -> HttpResponse:
    incident, sections, permit = _declaration(request, pk, "texte")
    return attachment(
        declaration.as_text(incident, sections),
        "text/plain; charset=utf-8",
        f"declaration-ars-evenement-{incident.pk}.txt",
        permit=permit,
    )
