"""Creating a person's record, with the duplicate check before saving."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation
from opendui.core.params import PK_MAX, int_param, posted
from opendui.organisations.models import Facility
from opendui.organisations.selectors import facilities_of

from .alerts import raise_identity_alert
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
        posted(request),
        facilities=allowed,
        actor=Actor.from_request(request),
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
    return _page(request, form)


def _page(request: HttpRequest, form: PersonCreateForm, **extra: object) -> HttpResponse:
    return render(
        request,
        "persons/create.html",
        {
            "form": form,
            "form_token": creation_token(request),
            "candidates": form.duplicates.shown,
            "elsewhere": bool(form.duplicates.elsewhere),
            **extra,
        },
    )


def _allowed_form(request: HttpRequest) -> PersonCreateForm:
    """The creation form as posted, for a user who may create records in the facility
    posted (403 and an audit row otherwise)."""
    allowed = [
        f for f in facilities_of(request.user) if check(request.user, PERMISSION, facility=f)
    ]
    chosen = _posted_facility(request)
    if chosen is None or chosen not in allowed:
        authorize(request, PERMISSION, facility=chosen or request.current_facility)
        raise PermissionDenied(PERMISSION)
    return PersonCreateForm(request.POST, facilities=allowed, actor=Actor.from_request(request))


@require_POST
def identity_alert(request: HttpRequest) -> HttpResponse:
    """'Signaler au référent': the creation form posted to this address (its second
    button). The check runs again on the server; the alert names the records outside the
    user's scope, which the user never sees. The form comes back as it was."""
    form = _allowed_form(request)
    form.is_valid()
    if any(name != "confirm_not_duplicate" for name in form.errors):
        return _page(request, form)  # the identity itself is to be corrected first
    try:
        raise_identity_alert(
            Actor.from_request(request),
            form.cleaned_data["facility"],
            form.cleaned_data,
            form.traits(),
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return _page(request, form)
    messages.success(
        request,
        _(
            "Le référent en identitovigilance est alerté. Vous pouvez créer le dossier si "
            "vous êtes certain qu'il s'agit d'une autre personne, ou attendre sa réponse."
        ),
    )
    return _page(request, form, alert_sent=True)


def _posted_facility(request: HttpRequest) -> Facility | None:
    """The facility named in the submission, whether or not the user may choose it."""
    raw = request.POST.get("facility", "") if request.method == "POST" else ""
    pk = int_param(raw, default=0, minimum=1, maximum=PK_MAX)
    return Facility.objects.filter(pk=pk).first() if pk else None
