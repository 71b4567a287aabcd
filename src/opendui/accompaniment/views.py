"""Pages of a person's projet personnalisé.

Every page needs "person.view_social" on the person (audited read); each action is one
POST URL that checks its permission first ("person.edit_social", or "pp.validate" for
the structure's agreement and status changes) and calls one service. A saved action
redirects to the PP page (POST/redirect/GET); a refused one saves nothing and shows the
page again with the French reasons; a submission based on a page someone changed since
gets a 409 and overwrites nothing.

Rows of a draft (expectations, needs, objectives, actions, services) are edited through
one view, `item_edit`, with one form per kind (`EDIT_FORMS`); reviews and agreements
are not edited (sections.py says why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import Decision, check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.exports import may_export
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    issue_form_token,
    save_or_refuse,
)
from opendui.core.services import ConcurrentEditError
from opendui.persons.models import Person
from opendui.stays.models import Stay

from . import sections, services
from .base import READ, VALIDATE, WRITE
from .forms import (
    ActionEditForm,
    ActionForm,
    AgreementForm,
    CreateForm,
    ExpectationEditForm,
    ExpectationForm,
    GoalEditForm,
    GoalForm,
    ItemStatusForm,
    NeedEditForm,
    NeedForm,
    ProjectForm,
    ReviewForm,
    ServiceEditForm,
    ServiceForm,
    StatusForm,
    referents_for,
)
from .from_evaluation import complete_from_evaluation
from .hooks import stored_pdf_url
from .models import Action, Expectation, Goal, Need, PersonalisedProject, Service
from .rules import (
    ITEM_STATUS_LABELS,
    ITEM_TRANSITIONS,
    PROJECT_STATUS_LABELS,
    PROJECT_TRANSITIONS,
    ItemStatus,
    ProjectStatus,
    activation_problem,
    agreement_checklist,
    is_overdue,
    review_due,
)
from .selectors import versions_of_person
from .signatories import agreements_needed_for, eligible_representatives

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."


def _project(pk: int) -> PersonalisedProject:
    return get_object_or_404(
        PersonalisedProject.objects.select_related(
            "person__organisation", "stay__facility", "stay__unit", "validated_by"
        ),
        pk=pk,
    )


def _back(project: PersonalisedProject) -> HttpResponse:
    return redirect("accompaniment:detail", pk=project.pk)


# --- the person's projects -------------------------------------------------------------------


def person_projects(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    decision = authorize(request, READ, person=person)
    versions = versions_of_person(person)
    stays_with = {v.stay_id for v in versions}
    stays = list(person.stays.select_related("facility", "unit"))
    can_edit = check(request.user, WRITE, person=person).allowed
    today = timezone.localdate()
    creatable = [
        s for s in stays if s.pk not in stays_with and (s.end_date is None or s.end_date >= today)
    ]
    services.record_project_access(Actor.from_request(request), "pp.list", person, decision)
    return render(
        request,
        "accompaniment/person.html",
        {
            "person": person,
            "decision": decision,
            "versions": versions,
            "creatable": creatable if can_edit else [],
            "create_form": CreateForm(auto_id="new_%s") if can_edit and creatable else None,
            "token": issue_form_token(request) if can_edit and creatable else "",
            "status_labels": PROJECT_STATUS_LABELS,
        },
    )


@require_POST
def create(request: HttpRequest, stay_pk: int) -> HttpResponse:
    stay = get_object_or_404(Stay.objects.select_related("person", "facility"), pk=stay_pk)
    authorize(request, WRITE, person=stay.person)
    form = CreateForm(request.POST, auto_id="new_%s")
    back = reverse("accompaniment:person", kwargs={"pk": stay.person_id})
    result = handle_creation(
        request,
        form,
        lambda: services.create_project(Actor.from_request(request), stay, **form.cleaned_data),
        on_replay_url=back,
    )
    if isinstance(result, HttpResponse):
        return result
    if result is None:
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"{errors} Rien n'a été enregistré.")
        return redirect(back)
    messages.success(request, "Projet personnalisé créé (en préparation).")
    return _back(result)


# --- the PP page -----------------------------------------------------------------------------

SECTION_FORMS: dict[str, tuple[type, str, Callable[..., Any], str]] = {
    # URL slug: (form, context name, service(actor, project, data), success message)
    "attente": (
        ExpectationForm,
        "expectation_form",
        lambda a, p, d: sections.add_expectation(a, p, **d),
        "Attente ajoutée.",
    ),
    "besoin": (
        NeedForm,
        "need_form",
        lambda a, p, d: sections.add_need(a, p, **d),
        "Besoin ajouté.",
    ),
    "objectif": (
        GoalForm,
        "goal_form",
        lambda a, p, d: sections.add_goal(a, p, **d),
        "Objectif ajouté.",
    ),
    "prestation": (
        ServiceForm,
        "service_form",
        lambda a, p, d: sections.add_service(a, p, **d),
        "Prestation ajoutée.",
    ),
    "accord": (
        AgreementForm,
        "agreement_form",
        lambda a, p, d: services.add_agreement(a, p, **d),
        "Accord enregistré.",
    ),
    "bilan": (
        ReviewForm,
        "review_form",
        lambda a, p, d: services.add_review(a, p, **d),
        "Bilan enregistré ; la date du prochain bilan est mise à jour.",
    ),
}


def _form_kwargs(
    slug: str,
    project: PersonalisedProject,
    *,
    auto_id: str = "",
    referents: list | None = None,
    goals: list | None = None,
) -> dict[str, Any]:
    """Arguments of a section's form; the page passes the referents and goals it loaded."""
    kwargs: dict[str, Any] = {"auto_id": auto_id or f"{slug}_%s"}
    if slug in ("objectif", "action"):
        kwargs["referents"] = (
            referents if referents is not None else referents_for(project.stay.facility)
        )
    elif slug == "prestation":
        kwargs["goals"] = goals if goals is not None else list(project.goals.all())
    elif slug == "accord":
        kwargs["representatives"] = eligible_representatives(project.person, timezone.localdate())
    return kwargs


def _page(
    request: HttpRequest,
    project: PersonalisedProject,
    decision: Decision,
    *,
    bound: str = "",
    form=None,
    bound_item: tuple[str, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    person = project.person
    today = timezone.localdate()
    can_edit = check(request.user, WRITE, person=person).allowed
    can_validate = check(request.user, VALIDATE, person=person).allowed
    editable = can_edit and not project.frozen
    goals = list(
        project.goals.select_related("referent").prefetch_related(
            Prefetch("actions", queryset=Action.objects.select_related("referent"))
        )
    )
    targets = {
        s.value: [(t.value, ITEM_STATUS_LABELS[t]) for t in ItemStatus if t in allowed]
        for s, allowed in ITEM_TRANSITIONS.items()
    }
    services_list = list(project.services.select_related("goal"))
    for item in [*goals, *(a for g in goals for a in g.actions.all()), *services_list]:
        item.targets = targets[item.status]
    agreements = list(project.agreements.select_related("representative", "professional"))
    valid = services.valid_agreements(agreements, today)
    reviews = list(project.reviews.select_related("author"))  # latest first
    # The due date by the rule, from the reviews shown (not the stored copy).
    due = (
        review_due(
            project.validated_on,
            reviews[0].held_on if reviews else None,
            reviews[0].next_review_on if reviews else None,
        )
        if project.is_running
        else None
    )
    needed = agreements_needed_for(person, today) if project.is_draft else None
    context: dict[str, Any] = {
        "project": project,
        "person": person,
        "decision": decision,
        "expectations": list(project.expectations.all()),
        "needs": list(project.needs.all()),
        "goals": goals,
        "services": services_list,
        "agreements": agreements,
        "reviews": reviews,
        "versions": list(
            PersonalisedProject.objects.filter(stay_id=project.stay_id).only(
                "pk", "number", "status", "validated_on", "title", "stay_id"
            )
        ),
        "status_label": PROJECT_STATUS_LABELS[ProjectStatus(project.status)],
        "item_labels": ITEM_STATUS_LABELS,
        "can_edit": can_edit,
        "editable": editable,
        "can_validate": can_validate,
        # What validation (draft → ENCOURS) needs, each agreement obtained or missing.
        "agreement_checklist": agreement_checklist(valid, needed) if needed else [],
        "activation_problem": activation_problem(valid, needed) if needed else None,
        # Validation (draft → ENCOURS) has its own button; these are the later changes.
        "status_targets": [
            (t.value, PROJECT_STATUS_LABELS[t])
            for t in ProjectStatus
            if t in PROJECT_TRANSITIONS[ProjectStatus(project.status)] and project.frozen
        ]
        if can_validate
        else [],
        "can_export": project.frozen and may_export(request.user, person=person),
        "stored_pdf": stored_pdf_url(project) if project.frozen else None,
        "review_due": due,
        "review_overdue": is_overdue(due, today),
        "today": today,
    }
    context["can_new_version"] = (
        can_edit and project.frozen and max(v.number for v in context["versions"]) == project.number
    )
    forms: dict[str, Any] = {}
    if editable:
        loaded = {"referents": referents_for(project.stay.facility), "goals": goals}
        for slug in ("attente", "besoin", "prestation", "objectif"):
            forms[slug] = SECTION_FORMS[slug][0](**_form_kwargs(slug, project, **loaded))
        context["project_form"] = (
            form if bound == "projet" else ProjectForm(instance=project, auto_id="pp_%s")
        )
        context["action_form"] = ActionForm(auto_id="act_%s", referents=loaded["referents"])
        rows = {
            "attente": context["expectations"],
            "besoin": context["needs"],
            "objectif": goals,
            "action": [a for g in goals for a in g.actions.all()],
            "prestation": services_list,
        }
        for kind, items in rows.items():
            for item in items:
                item.edit_form = (
                    form
                    if bound_item == (kind, item.pk)
                    else _edit_form(kind, project, item, **loaded)
                )
    if can_edit and project.status != ProjectStatus.DONE:
        forms["accord"] = AgreementForm(**_form_kwargs("accord", project))
    if can_edit and project.is_running:
        forms["bilan"] = ReviewForm(**_form_kwargs("bilan", project))
    tokens = {slug: issue_form_token(request) for slug in forms if slug != bound}
    if bound in forms:
        forms[bound] = form
        tokens[bound] = creation_token(request)
    for slug, section_form in forms.items():
        context[SECTION_FORMS[slug][1]] = section_form
    context["tokens"] = tokens
    services.record_project_access(
        Actor.from_request(request), "pp.view", person, decision, project
    )
    return render(request, "accompaniment/detail.html", context, status=status)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    decision = authorize(request, READ, person=project.person)
    return _page(request, project, decision)


@require_POST
def add_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTION_FORMS:
        raise Http404(section)
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    form_class, _name, save, success = SECTION_FORMS[section]
    form = form_class(request.POST, **_form_kwargs(section, project))
    actor = Actor.from_request(request)
    try:
        result = handle_creation(
            request,
            form,
            lambda: save(actor, project, form.cleaned_data),
            on_replay_url=reverse("accompaniment:detail", kwargs={"pk": project.pk}),
        )
    except PermissionDenied as error:
        messages.error(request, str(error))
        return _back(project)
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, success)
        return _back(project)
    messages.error(request, NOTHING_SAVED)
    decision = check(request.user, READ, person=project.person)
    return _page(request, project, decision, bound=section, form=form, status=conflict_status(form))


@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    form = ProjectForm(request.POST, instance=project, auto_id="pp_%s")
    if form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("expected_version")
        saved = save_or_refuse(
            form,
            lambda: services.update_project(
                Actor.from_request(request), project, expected_version=expected, **data
            ),
        )
        if saved is not None:
            messages.success(request, "Projet modifié.")
            return _back(project)
    messages.error(request, NOTHING_SAVED)
    decision = check(request.user, READ, person=project.person)
    return _page(
        request, project, decision, bound="projet", form=form, status=conflict_status(form)
    )


# kind (URL slug): (model, edit form, success message)
EDIT_FORMS: dict[str, tuple[type, type, str]] = {
    "attente": (Expectation, ExpectationEditForm, "Attente modifiée."),
    "besoin": (Need, NeedEditForm, "Besoin modifié."),
    "objectif": (Goal, GoalEditForm, "Objectif modifié."),
    "action": (Action, ActionEditForm, "Action modifiée."),
    "prestation": (Service, ServiceEditForm, "Prestation modifiée."),
}


def _edit_form(kind: str, project: PersonalisedProject, item, data=None, **loaded):
    kwargs = _form_kwargs(kind, project, auto_id=f"{kind}{item.pk}_%s", **loaded)
    return EDIT_FORMS[kind][1](data, instance=item, **kwargs)


@require_POST
def item_edit(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Save the edit form of one row of a draft; refused → the page with the form and why."""
    if kind not in EDIT_FORMS:
        raise Http404(kind)
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    item = _item(project, kind, item_pk)
    form = _edit_form(kind, project, item, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("expected_version")
        saved = save_or_refuse(
            form,
            lambda: sections.update_item(
                Actor.from_request(request), item, expected_version=expected, **data
            ),
        )
        if saved is not None:
            messages.success(request, EDIT_FORMS[kind][2])
            return _back(project)
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, f"{errors} Rien n'a été enregistré.")
    decision = check(request.user, READ, person=project.person)
    return _page(
        request,
        project,
        decision,
        form=form,
        bound_item=(kind, item.pk),
        status=conflict_status(form),
    )


def goal_edit(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    return item_edit(request, pk, "objectif", goal_pk)


@require_POST
def action_add(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    goal = get_object_or_404(Goal.objects.select_related("project"), pk=goal_pk, project=project)
    goal.project = project
    form = ActionForm(
        request.POST, auto_id="act_%s", referents=referents_for(project.stay.facility)
    )
    return _simple(
        request,
        project,
        form,
        lambda: sections.add_action(Actor.from_request(request), goal, **form.cleaned_data),
        "Action ajoutée.",
    )


def _simple(request, project, form, save, success: str) -> HttpResponse:
    """Actions without their own page section: refusals as a message, 409 on a conflict."""
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"{errors} Rien n'a été enregistré.")
        return _back(project)
    try:
        save()
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        decision = check(request.user, READ, person=project.person)
        return _page(request, project, decision, status=409)
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{text} Rien n'a été enregistré.")
        return _back(project)
    messages.success(request, success)
    return _back(project)


ITEM_MODELS = {"objectif": Goal, "action": Action, "prestation": Service}
REMOVABLE = {"attente": Expectation, "besoin": Need}


def _item(project: PersonalisedProject, kind: str, item_pk: int):
    """A row of the project's section `kind` (404 when it belongs to another project)."""
    if kind == "action":
        item = get_object_or_404(
            Action.objects.select_related("goal"), pk=item_pk, goal__project=project
        )
        item.goal.project = project
        return item
    item = get_object_or_404(EDIT_FORMS[kind][0], pk=item_pk, project=project)
    item.project = project
    return item


@require_POST
def item_status(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    if kind not in ITEM_MODELS:
        raise Http404(kind)
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    item = _item(project, kind, item_pk)
    form = ItemStatusForm(request.POST)
    return _simple(
        request,
        project,
        form,
        lambda: sections.change_item_status(
            Actor.from_request(request),
            item,
            form.cleaned_data["target"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        "Statut modifié.",
    )


@require_POST
def remove(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    if kind not in REMOVABLE:
        raise Http404(kind)
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    row = _item(project, kind, item_pk)
    form = ItemStatusForm(
        {
            "target": ItemStatus.CANCELLED.value,
            "expected_version": request.POST.get("expected_version", ""),
        }
    )
    return _simple(
        request,
        project,
        form,
        lambda: sections.remove_row(
            Actor.from_request(request),
            row,
            expected_version=form.cleaned_data["expected_version"],
        ),
        "Retiré du projet en préparation.",
    )


@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    form = StatusForm(request.POST)
    target = request.POST.get("target")
    needed = VALIDATE
    authorize(request, needed, person=project.person)
    success = (
        "Projet validé : il est en cours et cette version est figée."
        if target == ProjectStatus.ACTIVE and project.status == ProjectStatus.DRAFT
        else "Statut du projet modifié."
    )
    return _simple(
        request,
        project,
        form,
        lambda: services.change_status(
            Actor.from_request(request),
            project,
            form.cleaned_data["target"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        success,
    )


@require_POST
def new_version(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    authorize(request, WRITE, person=project.person)
    try:
        draft = services.new_version(Actor.from_request(request), project)
    except (ValidationError, ConcurrentEditError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{text} Rien n'a été enregistré.")
        return _back(project)
    messages.success(request, f"Version {draft.number} créée en préparation.")
    return _back(draft)


@require_POST
def from_evaluation(request: HttpRequest, evaluation_pk: int) -> HttpResponse:
    """Add an evaluation's suggested needs to the stay's PP in preparation."""
    from opendui.evaluations.models import FilledEvaluation

    evaluation = get_object_or_404(
        FilledEvaluation.objects.select_related("person", "stay"), pk=evaluation_pk
    )
    authorize(request, WRITE, person=evaluation.person)
    try:
        draft, added = complete_from_evaluation(Actor.from_request(request), evaluation)
    except ValidationError as error:
        messages.error(request, f"{' '.join(error.messages)} Rien n'a été enregistré.")
        return redirect("evaluations:evaluation_detail", pk=evaluation.pk)
    if added:
        messages.success(
            request, f"{added} besoin(s) ajouté(s) au projet personnalisé en préparation."
        )
    else:
        messages.info(request, "Ces besoins figurent déjà dans le projet en préparation.")
    return _back(draft)
