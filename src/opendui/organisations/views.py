"""Pages for the organisation administrator: the OG, its facilities and units.

Each view first refuses (403, audited) users who manage no organisation at all,
then loads its object (unknown id: 404) and checks `organisation.manage` on the
organisation concerned (another organisation's object: 403, audited). Writes go
through `services`; creation forms carry a one-time token against double
submission; successful posts redirect (POST/redirect/GET) with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import conflict_status, creation_token, handle_creation, save_or_refuse
from opendui.core.params import posted

from . import services
from .forms import (
    FacilityEditForm,
    FacilityForm,
    OrganisationEditForm,
    OrganisationForm,
    UnitEditForm,
    UnitForm,
)
from .models import Facility, ManagingOrganisation, Unit
from .selectors import organisations_for_admin, units_of

PERMISSION = "organisation.manage"


def admin_home(request: HttpRequest) -> HttpResponse:
    authorize(request, PERMISSION)
    return render(
        request,
        "organisations/admin_home.html",
        {"organisations": organisations_for_admin(request.user)},
    )


# --- helpers -------------------------------------------------------------------------------


def _render_form(
    request: HttpRequest,
    form: BaseForm,
    *,
    title: str,
    submit: str,
    cancel_url: str,
    breadcrumbs: list[tuple[str, str]],
    creation: bool,
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "submit_label": submit,
        "cancel_url": cancel_url,
        "breadcrumbs": breadcrumbs,
    }
    if creation:
        context["form_token"] = creation_token(request)
    return render(request, "organisations/form.html", context, status=conflict_status(form))


def _home_crumb() -> tuple[str, str]:
    return (_("Administration"), reverse("organisations:admin_home"))


def _facility_crumb(facility: Facility) -> tuple[str, str]:
    return (facility.name, reverse("organisations:facility_detail", args=[facility.pk]))


# --- organisation --------------------------------------------------------------------------


def og_create(request: HttpRequest) -> HttpResponse:
    """Create an organisme gestionnaire; its creator becomes its administrator
    (see services.create_organisation)."""
    authorize(request, PERMISSION)
    home = reverse("organisations:admin_home")
    form = OrganisationForm(posted(request))
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_organisation(Actor.from_request(request), form.instance),
        on_replay_url=home,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(
            request,
            _("L'organisme « %(name)s » est créé. Vous en êtes administrateur.")
            % {"name": outcome.name},
        )
        return redirect(home)
    return _render_form(
        request,
        form,
        title=_("Nouvel organisme gestionnaire"),
        submit=_("Créer l'organisme"),
        cancel_url=home,
        breadcrumbs=[_home_crumb()],
        creation=True,
    )


def og_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request, PERMISSION)
    organisation = get_object_or_404(ManagingOrganisation, pk=pk)
    authorize(request, PERMISSION, organisation=organisation)
    home = reverse("organisations:admin_home")
    form = OrganisationEditForm(posted(request), instance=organisation)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_organisation(
                Actor.from_request(request),
                form.instance,
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("L'organisme « %(name)s » est enregistré.") % {"name": saved.name},
            )
            return redirect(home)
    return _render_form(
        request,
        form,
        title=_("Modifier l'organisme gestionnaire"),
        submit=_("Enregistrer"),
        cancel_url=home,
        breadcrumbs=[_home_crumb()],
        creation=False,
    )


# --- facility ------------------------------------------------------------------------------


def facility_create(request: HttpRequest, og_pk: int) -> HttpResponse:
    authorize(request, PERMISSION)
    organisation = get_object_or_404(ManagingOrganisation, pk=og_pk)
    authorize(request, PERMISSION, organisation=organisation)
    home = reverse("organisations:admin_home")
    form = FacilityForm(posted(request), instance=Facility(organisation=organisation))
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_facility(Actor.from_request(request), form.instance),
        on_replay_url=home,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(
            request, _("L'établissement « %(name)s » est créé.") % {"name": outcome.name}
        )
        return redirect("organisations:facility_detail", pk=outcome.pk)
    return _render_form(
        request,
        form,
        title=_("Nouvel établissement ou service – %(og)s") % {"og": organisation.name},
        submit=_("Créer l'établissement"),
        cancel_url=home,
        breadcrumbs=[_home_crumb()],
        creation=True,
    )


def _facility_or_404(request: HttpRequest, pk: int) -> Facility:
    authorize(request, PERMISSION)
    facility = get_object_or_404(Facility.objects.select_related("organisation", "category"), pk=pk)
    authorize(request, PERMISSION, organisation=facility.organisation)
    return facility


def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _facility_or_404(request, pk)
    return render(
        request,
        "organisations/facility_detail.html",
        {"facility": facility, "units": units_of(facility)},
    )


def facility_edit(request: HttpRequest, pk: int) -> HttpResponse:
    facility = _facility_or_404(request, pk)
    detail = reverse("organisations:facility_detail", args=[facility.pk])
    breadcrumbs = [_home_crumb(), _facility_crumb(facility)]  # before the form edits `facility`
    form = FacilityEditForm(posted(request), instance=facility)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_facility(
                Actor.from_request(request),
                form.instance,
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            messages.success(
                request, _("L'établissement « %(name)s » est enregistré.") % {"name": saved.name}
            )
            return redirect(detail)
    return _render_form(
        request,
        form,
        title=_("Modifier l'établissement"),
        submit=_("Enregistrer"),
        cancel_url=detail,
        breadcrumbs=breadcrumbs,
        creation=False,
    )


# --- unit ----------------------------------------------------------------------------------


def unit_create(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = _facility_or_404(request, facility_pk)
    detail = reverse("organisations:facility_detail", args=[facility.pk])
    form = UnitForm(posted(request), instance=Unit(facility=facility))
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_unit(Actor.from_request(request), form.instance),
        on_replay_url=detail,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(request, _("L'unité « %(name)s » est créée.") % {"name": outcome.name})
        return redirect(detail)
    return _render_form(
        request,
        form,
        title=_("Nouvelle unité – %(facility)s") % {"facility": facility.name},
        submit=_("Créer l'unité"),
        cancel_url=detail,
        breadcrumbs=[_home_crumb(), _facility_crumb(facility)],
        creation=True,
    )


def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorize(request, PERMISSION)
    unit = get_object_or_404(
        Unit.objects.select_related("facility__organisation", "facility__category"), pk=pk
    )
    facility = unit.facility
    authorize(request, PERMISSION, organisation=facility.organisation)
    detail = reverse("organisations:facility_detail", args=[facility.pk])
    form = UnitEditForm(posted(request), instance=unit)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_unit(
                Actor.from_request(request),
                form.instance,
                expected_version=form.cleaned_data.get("expected_version"),
            ),
        )
        if saved is not None:
            if saved.is_active:
                text = _("L'unité « %(name)s » est enregistrée.")
            else:
                text = _("L'unité « %(name)s » est désactivée.")
            messages.success(request, text % {"name": saved.name})
            return redirect(detail)
    return _render_form(
        request,
        form,
        title=_("Modifier l'unité"),
        submit=_("Enregistrer"),
        cancel_url=detail,
        breadcrumbs=[_home_crumb(), _facility_crumb(facility)],
        creation=False,
    )
