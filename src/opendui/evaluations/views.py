"""A person's evaluations: AGGIR grids (care data) and grids filled from a model (social data).

Reads are audited access events; writes go through the services (audited changes).
The summary page needs `person.view_care` or `person.view_social` and shows the part
each allows. POST/redirect/GET everywhere; a refusal (ValidationError) saves nothing
and shows the form again with the French messages; a concurrent edit answers 409.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize, authorize_any
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    issue_form_token,
    save_or_refuse,
)
from opendui.core.params import date_param
from opendui.core.services import ConcurrentEditError
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import selectors, services, services_grids
from .aggir import DISCRIMINANT_VARIABLES, ILLUSTRATIVE_VARIABLES
from .forms import AggirForm, AnswersForm, StartEvaluationForm, StatusForm
from .gmp import GMP_READERS
from .models import AggirEvaluation, FilledEvaluation, Section
from .needs import needs_from_evaluation
from .rules import (
    STATUS_LABELS,
    TRANSITIONS,
    Status,
    gmp_applies,
    is_editable,
    variable_letters,
)

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
VIEW_CARE, EDIT_CARE = "person.view_care", "person.edit_care"
VIEW_SOCIAL, EDIT_SOCIAL = "person.view_social", "person.edit_social"
ACTION_LABELS = {
    Status.APPROVED: "Approuver",
    Status.VALIDATED: "Valider",
    Status.DRAFT: "Renvoyer en préparation",
    Status.FINISHED: "Clore",
}


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _today():
    return timezone.localdate()


def _status_actions(status: str) -> list[dict]:
    return [
        {"target": target.value, "label": ACTION_LABELS[target]}
        for target in sorted(TRANSITIONS[Status(status)])
    ]


# ------------------------------------------------------------------ summary page


def person_evaluations(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    user = request.user
    care = check(user, VIEW_CARE, person=person)
    social = check(user, VIEW_SOCIAL, person=person)
    if not (care or social):
        authorize(request, VIEW_CARE, person=person)  # records the refusal, raises 403
    decision = care or social
    context: dict = {"person": person, "decision": decision, "can_care": bool(care)}
    if care:
        context["grids"] = list(selectors.aggir_grids(person))
        context["history"] = [
            g
            for g in context["grids"]
            if g.validated_on is not None and g.status in (Status.VALIDATED, Status.FINISHED)
        ]
        current = [g for g in context["grids"] if g.status == Status.VALIDATED]
        context["current"] = max(current, key=lambda g: (g.evaluated_on, g.pk)) if current else None
        context["can_edit_care"] = bool(check(user, EDIT_CARE, person=person))
    if social:
        context["can_social"] = True
        context["filled"] = list(selectors.filled_evaluations(person))
        if check(user, EDIT_SOCIAL, person=person):
            context["start_form"] = StartEvaluationForm(
                person=person, initial={"evaluated_on": _today()}
            )
            context["start_token"] = issue_form_token(request)
    record_person_access(Actor.from_request(request), "evaluation.list", [person], decision)
    return render(request, "evaluations/person.html", context)


# ------------------------------------------------------------------ AGGIR


def _aggir_form_page(request, person, form, *, grid=None, status=200) -> HttpResponse:
    return render(
        request,
        "evaluations/aggir_form.html",
        {
            "person": person,
            "form": form,
            "grid": grid,
            "rows": form.bound_grid(),
            "illustrative": form.illustrative_fields(),
            "token": creation_token(request) if grid is None else "",
        },
        status=status,
    )


def aggir_new(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the empty grid; POST: record it as a draft or approved."""
    person = _person(pk)
    decision = authorize(request, EDIT_CARE, person=person)
    if request.method != "POST":
        stays = list(person.stays.all()[:1])
        form = AggirForm(
            person=person,
            initial={"evaluated_on": _today(), "stay": stays[0].pk if stays else None},
        )
        record_person_access(
            Actor.from_request(request), "evaluation.aggir_form", [person], decision
        )
        return _aggir_form_page(request, person, form)
    form = AggirForm(request.POST, person=person)
    target = Status.APPROVED if request.POST.get("action") == "approve" else Status.DRAFT
    result = handle_creation(
        request,
        form,
        lambda: services.record_aggir(
            Actor.from_request(request),
            person,
            form.cleaned_data["stay"],
            form.cleaned_data["evaluated_on"],
            form.cleaned_data["adverbs"],
            illustrative=form.cleaned_data["illustrative"],
            comment=form.cleaned_data["comment"],
            status=target,
        ),
        on_replay_url=reverse("evaluations:person", kwargs={"pk": person.pk}),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, _saved_message(result))
        return redirect("evaluations:aggir_detail", pk=result.pk)
    messages.error(request, NOTHING_SAVED)
    return _aggir_form_page(request, person, form)


def _saved_message(grid: AggirEvaluation) -> str:
    if grid.gir:
        return f"Grille AGGIR enregistrée ({grid.get_status_display()}) : GIR {grid.gir}."
    return "Grille AGGIR enregistrée en préparation (incomplète : le GIR n'est pas calculé)."


def _grid(pk: int) -> AggirEvaluation:
    return get_object_or_404(
        AggirEvaluation.objects.select_related(
            "person__organisation", "stay__facility", "evaluator", "validated_by"
        ),
        pk=pk,
    )


def aggir_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The grid: letters per variable, GIR; the edit form while it is a draft."""
    grid = _grid(pk)
    person = grid.person
    decision = authorize(request, VIEW_CARE, person=person)
    can_edit = bool(check(request.user, EDIT_CARE, person=person))
    form = None
    if can_edit and is_editable(grid.status):
        form = AggirForm(person=person, instance=grid)
    record_person_access(
        Actor.from_request(request), "evaluation.aggir_view", [person], decision, {"grid": grid.pk}
    )
    return _detail_page(request, grid, decision, form, can_edit)


def _detail_page(request, grid, decision, form, can_edit, status=200) -> HttpResponse:
    letters = variable_letters(grid.adverbs)
    rows = []
    for variable in DISCRIMINANT_VARIABLES:
        answers = grid.adverbs.get(variable.code, {})
        rows.append(
            {
                "variable": variable,
                "letter": letters[variable.code] or "?",
                "answers": [
                    (name, answers.get(name))
                    for name in (variable.sub_variables or (variable.label.lower(),))
                ],
            }
        )
    illustrative = [(v, grid.illustrative.get(v.code, "–")) for v in ILLUSTRATIVE_VARIABLES]
    return render(
        request,
        "evaluations/aggir_detail.html",
        {
            "grid": grid,
            "person": grid.person,
            "decision": decision,
            "rows": rows,
            "illustrative_rows": illustrative,
            "form": form,
            "form_rows": form.bound_grid() if form else None,
            "form_illustrative": form.illustrative_fields() if form else None,
            "actions": _status_actions(grid.status) if can_edit else [],
        },
        status=status,
    )


@require_POST
def aggir_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grid = _grid(pk)
    person = grid.person
    decision = authorize(request, EDIT_CARE, person=person)
    form = AggirForm(request.POST, person=person, instance=grid)
    if form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_aggir(
                Actor.from_request(request),
                grid,
                evaluated_on=form.cleaned_data["evaluated_on"],
                adverbs=form.cleaned_data["adverbs"],
                illustrative=form.cleaned_data["illustrative"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            messages.success(request, _saved_message(saved))
            return redirect("evaluations:aggir_detail", pk=grid.pk)
    messages.error(request, NOTHING_SAVED)
    grid.refresh_from_db()
    return _detail_page(request, grid, decision, form, True, status=conflict_status(form))


def _change_status(request, obj, change, back: str) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Action incomplète. Rien n'a été enregistré.")
        return redirect(back, pk=obj.pk)
    try:
        change(
            Actor.from_request(request),
            obj,
            form.cleaned_data["target"],
            expected_version=form.cleaned_data.get("expected_version"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Rien n'a été enregistré.")
        return redirect(back, pk=obj.pk)
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        return redirect(back, pk=obj.pk)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect(back, pk=obj.pk)
    label = STATUS_LABELS.get(Status(obj.status), obj.status)
    messages.success(request, f"Statut enregistré : {label}.")
    return redirect(back, pk=obj.pk)


@require_POST
def aggir_status(request: HttpRequest, pk: int) -> HttpResponse:
    grid = _grid(pk)
    authorize(request, EDIT_CARE, person=grid.person)
    return _change_status(request, grid, services.change_aggir_status, "evaluations:aggir_detail")


# ------------------------------------------------------------------ GMP


def facility_gmp(request: HttpRequest, pk: int) -> HttpResponse:
    """The facility's GMP today (or ?date=AAAA-MM-JJ) and its GIR distribution.

    Aggregates only, no person named: the read is recorded as one access event on the
    facility, without persons. A facility outside the older persons' couloir has no
    GMP: the page says so and computes nothing.
    """
    facility = get_object_or_404(Facility.objects.select_related("organisation"), pk=pk)
    authorize_any(request, GMP_READERS, facility=facility)
    if not gmp_applies(facility.couloir):
        return render(
            request,
            "evaluations/gmp.html",
            {"facility": facility, "gmp": None, "not_applicable": True},
        )
    on = date_param(
        request.GET.get("date"),
        default=_today(),
        on_invalid=lambda: messages.error(
            request, "Date invalide : le GMP est calculé à la date du jour."
        ),
    )
    result = selectors.facility_gmp(facility, on)
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "evaluation.gmp_view",
        obj=facility,
        organisation_id=facility.organisation_id,
        facility_id=facility.pk,
        details={"date": on.isoformat()},
    )
    return render(request, "evaluations/gmp.html", {"facility": facility, "gmp": result})


# ------------------------------------------------------------------ filled evaluations


@require_POST
def evaluation_start(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, EDIT_SOCIAL, person=person)
    form = StartEvaluationForm(request.POST, person=person)
    result = handle_creation(
        request,
        form,
        lambda: services_grids.start_evaluation(
            Actor.from_request(request),
            person,
            form.cleaned_data["stay"],
            form.cleaned_data["model"],
            form.cleaned_data["evaluated_on"],
        ),
        on_replay_url=reverse("evaluations:person", kwargs={"pk": person.pk}),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, "Évaluation créée : complétez-la ci-dessous.")
        return redirect("evaluations:evaluation_detail", pk=result.pk)
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, f"{errors} Rien n'a été enregistré.".strip())
    return redirect("evaluations:person", pk=person.pk)


def _evaluation(pk: int) -> FilledEvaluation:
    return get_object_or_404(
        FilledEvaluation.objects.select_related(
            "person__organisation", "stay__facility", "model", "author", "validated_by"
        ),
        pk=pk,
    )


def _answers_form(evaluation, data=None) -> AnswersForm:
    sections = Section.objects.filter(model=evaluation.model_id).prefetch_related("questions")
    answers = {a.question_id: a for a in evaluation.answers.all()}
    return AnswersForm(data, evaluation=evaluation, sections=sections, answers=answers)


def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(pk)
    decision = authorize(request, VIEW_SOCIAL, person=evaluation.person)
    record_person_access(
        Actor.from_request(request),
        "evaluation.view",
        [evaluation.person],
        decision,
        {"evaluation": evaluation.pk},
    )
    return _evaluation_page(request, evaluation, decision, _answers_form(evaluation))


def _evaluation_page(request, evaluation, decision, form, status=200) -> HttpResponse:
    can_edit = bool(check(request.user, EDIT_SOCIAL, person=evaluation.person))
    return render(
        request,
        "evaluations/evaluation.html",
        {
            "evaluation": evaluation,
            "person": evaluation.person,
            "decision": decision,
            "form": form,
            "sections": form.bound_sections(),
            "editable": can_edit and is_editable(evaluation.status),
            "actions": _status_actions(evaluation.status) if can_edit else [],
            "suggestions": needs_from_evaluation(evaluation),
            "can_draft_pp": can_edit,  # the PP is social data, like this grid
        },
        status=status,
    )


@require_POST
def evaluation_answers(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(pk)
    decision = authorize(request, EDIT_SOCIAL, person=evaluation.person)
    form = _answers_form(evaluation, request.POST)
    if form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services_grids.save_answers(
                Actor.from_request(request),
                evaluation,
                form.answers(),
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            messages.success(request, "Réponses enregistrées.")
            return redirect("evaluations:evaluation_detail", pk=evaluation.pk)
    messages.error(request, NOTHING_SAVED)
    evaluation.refresh_from_db()
    return _evaluation_page(request, evaluation, decision, form, status=conflict_status(form))


@require_POST
def evaluation_status(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(pk)
    authorize(request, EDIT_SOCIAL, person=evaluation.person)
    return _change_status(
        request,
        evaluation,
        services_grids.change_evaluation_status,
        "evaluations:evaluation_detail",
    )
