"""Pages of the ESMS Numérique project lead ("programme.manage", organisation-wide).

- home: the projects (grappes) of the organisations the user pilots, and creation;
- a grappe's page: its ESSMS (add one of the OG's facilities in one click, a partner's
  by FINESS, remove), the carrier's declarations, and the eligibility checklist
  recomputed at every display;
- the funding estimate under both rule sets, the milestones timeline, and the VA / VSR
  attestation data (the three DUI indicators of each OG facility, last month).

Every view refuses through `authorize` (403 and an audit row) before reading anything.
Writes are POSTs that redirect; a refused one saves nothing and shows the page again
with the French reasons.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import conflict_status, creation_token, handle_creation, save_or_refuse
from opendui.core.identifiers import ascii_digits
from opendui.core.params import parse_int, posted
from opendui.core.services import ConcurrentEditError

from . import attestation, funding, milestones, selectors, services
from .eligibility import DECLARATION_LABELS
from .forms import GrappeForm, MilestoneForm, PartnerForm
from .models import Grappe, GrappeMember

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."


def _grappe(request: HttpRequest, pk: int) -> Grappe:
    """The grappe after the permission checks: none at all (403), unknown (404), another
    organisation's (403)."""
    authorize(request, services.MANAGE)
    try:
        grappe = selectors.grappe_for_page(pk)
    except Grappe.DoesNotExist as error:
        raise Http404 from error
    authorize(request, services.MANAGE, organisation=grappe.organisation)
    return grappe


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    authorize(request, services.MANAGE)
    return render(
        request, "programme/home.html", {"grappes": list(selectors.grappes_for(request.user))}
    )


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    authorize(request, services.MANAGE)
    organisations = list(selectors.managed_organisations(request.user))
    form = GrappeForm(posted(request), organisations=organisations)

    def save() -> Grappe:
        chosen = form.cleaned_data.get("organisation", organisations[0].pk)
        organisation = next(o for o in organisations if o.pk == chosen)
        fields = {k: v for k, v in form.cleaned_data.items() if k in services.GRAPPE_FIELDS}
        return services.create_grappe(Actor.from_request(request), organisation, **fields)

    result = handle_creation(request, form, save, on_replay_url=reverse("programme:home"))
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, Grappe):
        messages.success(request, f"Projet « {result} » créé.")
        return redirect("programme:detail", pk=result.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "programme/grappe_form.html",
        {"form": form, "form_token": creation_token(request), "grappe": None},
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    initial = {name: getattr(grappe, name) for name in services.GRAPPE_FIELDS}
    form = GrappeForm(posted(request), initial={**initial, "expected_version": grappe.version})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("expected_version", None)
        saved = save_or_refuse(
            form,
            lambda: services.update_grappe(
                Actor.from_request(request), grappe, expected_version=version, **data
            ),
        )
        if saved is not None:
            messages.success(request, "Projet enregistré.")
            return redirect("programme:detail", pk=grappe.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "programme/grappe_form.html",
        {"form": form, "grappe": grappe},
        status=conflict_status(form),
    )


def _detail_page(
    request: HttpRequest, grappe: Grappe, partner_form: PartnerForm | None = None
) -> HttpResponse:
    facilities = selectors.own_facilities(grappe)
    declarations = {d.code: d for d in grappe.declaration_list}
    context = {
        "grappe": grappe,
        "members": grappe.member_list,
        "facilities": facilities,
        "can_add_all": any(not f.in_grappe for f in facilities),
        "partner_form": partner_form or PartnerForm(auto_id="pa_%s"),
        "partner_token": creation_token(request),
        "declarations": [
            {"code": code.value, "label": label, "row": declarations.get(code.value)}
            for code, label in DECLARATION_LABELS.items()
        ],
        "checklist": selectors.eligibility_of(grappe),
        "mixed": grappe.project_type == "mixte",
    }
    return render(request, "programme/detail.html", context)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _grappe(request, pk))


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, f"Rien n'a été enregistré : {message}")


@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add one facility of the OG ("facility" in POST), or all of them ("all")."""
    grappe = _grappe(request, pk)
    facilities = {f.pk: f for f in selectors.own_facilities(grappe) if not f.in_grappe}
    actor = Actor.from_request(request)
    if request.POST.get("all"):
        chosen = list(facilities.values())
    else:
        wanted = request.POST.get("facility", "")
        chosen = (
            [facilities[int(wanted)]] if ascii_digits(wanted) and int(wanted) in facilities else []
        )
    if not chosen:
        messages.error(request, "Rien n'a été enregistré : cet établissement n'est pas à ajouter.")
        return redirect("programme:detail", pk=grappe.pk)
    try:
        services.add_facilities(actor, grappe, chosen)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"{len(chosen)} ESSMS ajouté(s) à la grappe.")
    return redirect("programme:detail", pk=grappe.pk)


@require_POST
def partner_add(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    form = PartnerForm(request.POST, auto_id="pa_%s")
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.add_partner(actor, grappe, **form.cleaned_data),
        on_replay_url=reverse("programme:detail", args=[grappe.pk]),
    )
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, GrappeMember):
        messages.success(request, f"{result} ajouté à la grappe.")
        return redirect("programme:detail", pk=grappe.pk)
    messages.error(request, NOTHING_SAVED)
    return _detail_page(request, grappe, form)


def _member(grappe: Grappe, member_pk: int) -> GrappeMember:
    member = next((m for m in grappe.member_list if m.pk == member_pk), None)
    if member is None:
        raise Http404
    member.grappe = grappe
    return member


@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    member = _member(grappe, member_pk)
    try:
        services.remove_member(Actor.from_request(request), member)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, f"{member.display_name} retiré de la grappe.")
    return redirect("programme:detail", pk=grappe.pk)


@require_POST
def member_equipped(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    member = _member(grappe, member_pk)
    try:
        services.set_member_equipped(
            Actor.from_request(request),
            member,
            request.POST.get("equipped") == "1",
            expected_version=parse_int(request.POST.get("expected_version")),
        )
    except ConcurrentEditError as error:  # stale or missing version: 409, nothing saved
        messages.error(request, str(error))
        return redirect("programme:detail", pk=grappe.pk)
    messages.success(request, f"{member.display_name} : situation enregistrée.")
    return redirect("programme:detail", pk=grappe.pk)


@require_POST
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    value = request.POST.get("value") == "1"
    try:
        services.declare(Actor.from_request(request), grappe, request.POST.get("code", ""), value)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "Déclaration enregistrée." if value else "Déclaration retirée.")
    return redirect(reverse("programme:detail", args=[grappe.pk]) + "#declarations")


@require_GET
def funding_page(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    own_count = len(selectors.own_facilities(grappe))
    estimates = [
        {
            "rule_set": rule_set.value,
            "chosen": rule_set.value == grappe.rule_set,
            "estimate": selectors.estimate_of(grappe, rule_set, own_count),
        }
        for rule_set in funding.RuleSet
    ]
    return render(
        request,
        "programme/funding.html",
        {
            "grappe": grappe,
            "estimates": estimates,
            "own_count": own_count,
            "small_og": own_count < funding.SMALL_OG_BELOW,
            "sons_tranches": funding.SONS_TRANCHES,
        },
    )


def _timeline(grappe: Grappe) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "milestone": m,
            "state": (state := milestones.state(m.planned_on, m.done_on, today)).value,
            "state_label": milestones.STATE_LABELS[state],
            "mandatory": milestones.mandatory(milestones.Kind(m.kind), grappe.project_type),
        }
        for m in selectors.milestones_of(grappe)
    ]


@require_GET
def milestones_page(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    timeline = _timeline(grappe)
    return render(
        request,
        "programme/milestones.html",
        {
            "grappe": grappe,
            "timeline": timeline,
            "late": sum(1 for row in timeline if row["state"] == milestones.State.LATE),
        },
    )


@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    milestone = next((m for m in grappe.milestone_list if m.pk == milestone_pk), None)
    if milestone is None:
        raise Http404
    milestone.grappe = grappe
    form = MilestoneForm(
        posted(request),
        initial={
            "planned_on": milestone.planned_on,
            "done_on": milestone.done_on,
            "note": milestone.note,
            "expected_version": milestone.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("expected_version", None)
        saved = save_or_refuse(
            form,
            lambda: services.update_milestone(
                Actor.from_request(request), milestone, expected_version=version, **data
            ),
        )
        if saved is not None:
            messages.success(request, f"Jalon « {milestone.label} » enregistré.")
            return redirect("programme:milestones", pk=grappe.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        "programme/milestone_form.html",
        {"grappe": grappe, "milestone": milestone, "form": form},
        status=conflict_status(form),
    )


@require_GET
def attestation_page(request: HttpRequest, pk: int) -> HttpResponse:
    grappe = _grappe(request, pk)
    period = attestation.last_month(timezone.localdate())
    own = [m.facility for m in grappe.member_list if not m.is_partner]
    figures = attestation.attestation_indicators(own, period)
    rows = [
        {"member": m, "indicators": figures.get(m.facility_id, []) if m.facility_id else None}
        for m in grappe.member_list
    ]
    return render(
        request,
        "programme/attestation.html",
        {
            "grappe": grappe,
            "period": period,
            "rows": rows,
            "zero_rows": [
                r
                for r in rows
                if r["indicators"] and any(i.rate in (None, 0) for i in r["indicators"])
            ],
        },
    )
