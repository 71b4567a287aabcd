"""Creating a person's record, with the duplicate check before saving."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation
from opendui.organisations.models import Facility
from opendui.organisations.selectors import facilities_of

from .forms_create import PersonCreateForm
from .services_create import REQUEST, create_person

PERMISSION = "person.create"


def person_create(request: HttpRequest) -> HttpResponse:
    allowed = [
        f for f in facilities_of(request.user) if check(request.user, PERMISSION, facility=f)
    ]
    if not allowed:
        authorize(request, PERMISSION, facility=request.current_facility)
        raise PermissionDenied(PERMISSION)
    chosen = _posted_facility(request)
    if chosen is not None and chosen not in allowed:
        authorize(request, PERMISSION, facility=chosen)  # audits the refusal and answers 403
        raise PermissionDenied(PERMISSION)
    default = request.current_facility if request.current_facility in allowed else allowed[0]
    form = PersonCreateForm(
        request.POST or None,
        facilities=allowed,
        initial={"facility": default.pk},
    )
    outcome = handle_creation(
        request,
        form,
        lambda: create_person(
            Actor.from_request(request),
            form.cleaned_data["facility"],
            form.cleaned_data["unit"],
            form.cleaned_data,
            entry=form.cleaned_data["entry"],
            mode=form.cleaned_data["mode"],
        ),
        on_replay_url=reverse("persons:list"),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(
            request,
            _("Le dossier de %(name)s est créé (identifiant %(local_id)s).")
            % {"name": outcome.display_name, "local_id": outcome.local_id},
        )
        if form.cleaned_data["entry"] == REQUEST:
            messages.info(
                request,
                _("La demande d'admission est inscrite sur la liste d'attente de %(facility)s.")
                % {"facility": form.cleaned_data["facility"]},
            )
        return redirect("persons:detail", pk=outcome.pk)
    return render(
        request,
        "persons/create.html",
        {"form": form, "form_token": creation_token(request), "candidates": form.candidates},
    )


def _posted_facility(request: HttpRequest) -> Facility | None:
    """The facility named in the submission, whether or not the user may choose it."""
    raw = request.POST.get("facility", "") if request.method == "POST" else ""
    if not raw.isdigit():
        return None
    return Facility.objects.filter(pk=int(raw)).first()
