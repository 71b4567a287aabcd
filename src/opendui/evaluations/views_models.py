"""Administration of evaluation models (`evaluation.manage_models`, organisation scope).

The list shows the models of the organisations the user manages; each model page
edits a draft (name, sections, questions), publishes it, archives it, or starts its
next version. No person data here, so no access events; every change is audited by
the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opendui.accounts.access import scope_for
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    issue_form_token,
    save_or_refuse,
)
from opendui.core.params import posted
from opendui.core.services import ConcurrentEditError
from opendui.organisations.models import ManagingOrganisation

from . import services_grids as grids
from .forms import ModelForm, QuestionForm, SectionForm, StatusForm
from .models import EvaluationModel

MANAGE = "evaluation.manage_models"
NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."


def _organisations(request: HttpRequest):
    ids = scope_for(request.user, MANAGE).organisation_ids
    return ManagingOrganisation.objects.filter(pk__in=ids).order_by("name")


def model_list(request: HttpRequest) -> HttpResponse:
    """GET: the models of the user's organisations; POST: create a draft model."""
    authorize(request, MANAGE)
    organisations = list(_organisations(request))
    form = ModelForm(posted(request))
    if request.method == "POST":
        organisation = organisations[0]
        result = handle_creation(
            request,
            form,
            lambda: grids.create_model(
                Actor.from_request(request),
                organisation,
                form.cleaned_data["name"],
                form.cleaned_data["description"],
            ),
            on_replay_url=reverse("evaluations:model_list"),
        )
        if isinstance(result, HttpResponse):
            return result
        if result is not None:
            messages.success(request, f"Modèle « {result.name} » créé (brouillon).")
            return redirect("evaluations:model_detail", pk=result.pk)
        messages.error(request, NOTHING_SAVED)
    models = EvaluationModel.objects.filter(organisation__in=organisations).select_related(
        "organisation"
    )
    return render(
        request,
        "evaluations/model_list.html",
        {"models": models, "form": form, "token": creation_token(request)},
    )


def _model(request: HttpRequest, pk: int) -> EvaluationModel:
    model = get_object_or_404(EvaluationModel.objects.select_related("organisation"), pk=pk)
    authorize(request, MANAGE, organisation=model.organisation)
    return model


def _page(request, model, *, forms=None, status=200) -> HttpResponse:
    forms = forms or {}
    context = {
        "model": model,
        "sections": model.sections.prefetch_related("questions"),
        "versions": EvaluationModel.objects.filter(
            organisation=model.organisation_id, code=model.code
        ).order_by("-revision"),
        "model_form": forms.get("model")
        or ModelForm(
            initial={
                "name": model.name,
                "description": model.description,
                "expected_version": model.version,
            }
        ),
        "section_form": forms.get("section") or SectionForm(),
        "question_form": forms.get("question") or QuestionForm(model=model),
        "status_form": StatusForm(initial={"expected_version": model.version}),
        "tokens": {
            name: (creation_token(request) if name in forms else issue_form_token(request))
            for name in ("section", "question")
        },
    }
    return render(request, "evaluations/model_detail.html", context, status=status)


def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _model(request, pk))


@require_POST
def model_edit(request: HttpRequest, pk: int) -> HttpResponse:
    model = _model(request, pk)
    form = ModelForm(request.POST)
    if form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: grids.update_model(
                Actor.from_request(request),
                model,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            messages.success(request, "Modèle enregistré.")
            return redirect("evaluations:model_detail", pk=model.pk)
    messages.error(request, NOTHING_SAVED)
    model.refresh_from_db()
    return _page(request, model, forms={"model": form}, status=conflict_status(form))


def _add(request, pk: int, name: str, form_class, save) -> HttpResponse:
    model = _model(request, pk)
    form = form_class(request.POST, **({"model": model} if form_class is QuestionForm else {}))
    result = handle_creation(
        request,
        form,
        lambda: save(Actor.from_request(request), model, form),
        on_replay_url=reverse("evaluations:model_detail", kwargs={"pk": model.pk}),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, f"Ajouté : « {result} ».")
        return redirect("evaluations:model_detail", pk=model.pk)
    messages.error(request, NOTHING_SAVED)
    return _page(request, model, forms={name: form})


@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request,
        pk,
        "section",
        SectionForm,
        lambda actor, model, form: grids.add_section(actor, model, form.cleaned_data["title"]),
    )


@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(
        request,
        pk,
        "question",
        QuestionForm,
        lambda actor, model, form: grids.add_question(
            actor, form.cleaned_data["section"], **form.service_fields()
        ),
    )


def _action(request, pk: int, run, success: str) -> HttpResponse:
    model = _model(request, pk)
    form = StatusForm({"target": "-", **request.POST.dict()})
    expected = form.cleaned_data.get("expected_version") if form.is_valid() else None
    try:
        result = run(Actor.from_request(request), model, expected)
    except (ValidationError, ConcurrentEditError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{text} Rien n'a été enregistré.")
        return redirect("evaluations:model_detail", pk=model.pk)
    messages.success(request, success.format(model=result))
    return redirect("evaluations:model_detail", pk=result.pk)


@require_POST
def model_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, model, v: grids.publish_model(actor, model, expected_version=v),
        "« {model} » est publié : il ne se modifie plus.",
    )


@require_POST
def model_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, model, v: grids.archive_model(actor, model, expected_version=v),
        "« {model} » est archivé.",
    )


@require_POST
def model_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda actor, model, v: grids.new_revision(actor, model),
        "Nouvelle version créée : « {model} » (brouillon).",
    )
