"""Administration of professionals, assignments and roles (organisation administrators).

Views are thin: they authorise (refusals are audited by core.authz), validate a form,
call services_admin and redirect with a message (POST/redirect/GET).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.pagination import page_of
from opendui.core.params import posted
from opendui.core.services import ConcurrentEditError
from opendui.organisations.models import ManagingOrganisation

from . import annuaire_lookup, grants, lockout
from . import services_admin as services
from .forms import AdminPasswordResetForm
from .forms_admin import (
    ActionForm,
    AssignmentEndForm,
    AssignmentForm,
    RoleForm,
    UserCreateForm,
    UserForm,
    UserSearchForm,
)
from .models import Assignment, Role, User
from .permissions import ACCESS_LEVEL_LABELS, DATA_CATEGORY_LABELS, FUNCTIONAL_PERMISSIONS
from .views_grants import login_email_pending_message, pending_message

# How services_admin refuses a change, shown on the form by core.forms.save_or_refuse.
REFUSALS = (services.AdminRefused,)


# --------------------------------------------------------------------------- authorisation


def _deny(request: HttpRequest, code: str, obj: Any = None) -> None:
    """Audit and refuse, when there is no organisation to check against."""
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "access.denied",
        obj=obj,
        details={"permission": code, "path": request.path},
    )
    raise PermissionDenied(code)


def _authorize_account(request: HttpRequest, target: User, *, account_level: bool) -> None:
    """Refuse (audited) unless the administrator manages the organisations concerned."""
    authorize(request, "accounts.manage")
    reach = services.account_reach(request.user, target, account_level=account_level)
    if reach.allowed:
        return
    if reach.blocking_id is None:
        _deny(request, "accounts.manage", target)
    authorize(
        request,
        "accounts.manage",
        organisation=ManagingOrganisation.objects.get(pk=reach.blocking_id),
    )
    raise PermissionDenied("accounts.manage")  # authorize() raised already; belt and braces


def _authorize_role(request: HttpRequest, role: Role) -> None:
    authorize(request, "roles.manage")
    reach = services.role_reach(request.user, role)
    if reach.allowed:
        return
    if reach.blocking_id is None:
        _deny(request, "roles.manage", role)
    authorize(
        request, "roles.manage", organisation=ManagingOrganisation.objects.get(pk=reach.blocking_id)
    )
    raise PermissionDenied("roles.manage")


# --------------------------------------------------------------------------- professionals


def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "accounts.manage")
    form = UserSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = page_of(
        services.users_managed_by(request.user, query), request.GET.get("page"), settings.PAGE_SIZE
    )
    now = timezone.now()
    for user in page.object_list:
        user.is_locked = bool(user.locked_until and user.locked_until > now)
    return render(
        request,
        "accounts/user_list.html",
        {
            "form": form,
            "page_obj": page,
            "users": page.object_list,
            "query": query,
            "query_string": urlencode({"q": query}) + "&" if query else "",
        },
    )


def _annuaire_lookup(request: HttpRequest):
    """For the « Chercher dans l'Annuaire Santé » button: the form data filled from the
    Annuaire (or as typed when it cannot answer) and the message said; None for any
    other submission. Nothing is saved: the administrator checks, then saves."""
    if request.method != "POST" or "annuaire_lookup" not in request.POST:
        return None
    filled, message = annuaire_lookup.lookup(request.POST)
    if filled is None:
        messages.warning(request, message)
        return request.POST
    messages.success(request, message)
    return filled


def user_create(request: HttpRequest) -> HttpResponse:
    authorize(request, "accounts.manage")
    organisation_ids = services.managed_organisation_ids(request.user)
    looked_up = _annuaire_lookup(request)
    if looked_up is not None:
        # Unbound, with the filled values: shown for checking, without the errors of
        # the fields still to be typed.
        form = UserCreateForm(initial=looked_up.dict(), organisation_ids=organisation_ids)
        return render(
            request,
            "accounts/user_form.html",
            {"form": form, "form_token": creation_token(request), "creating": True},
        )
    form = UserCreateForm(posted(request), organisation_ids=organisation_ids)
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_user(
            Actor.from_request(request),
            form.account_fields(),
            form.cleaned_data["password1"],
            form.assignment_fields(),
        ),
        on_replay_url=reverse("accounts:user_list"),
        refusals=REFUSALS,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        first = outcome.assignments.select_related("grant_request__approval_facility").first()
        waiting = getattr(first, "grant_request", None) if first else None
        messages.success(
            request,
            f"Le compte de {outcome.full_name} a été créé avec son affectation. "
            "Communiquez-lui son mot de passe initial par un canal sûr ; "
            "il devra activer son second facteur à la première connexion si son rôle "
            "l'exige.",
        )
        if waiting is not None:
            messages.warning(request, pending_message(waiting))
        return redirect("accounts:user_detail", pk=outcome.pk)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "form_token": creation_token(request), "creating": True},
    )


def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=False)
    reach = services.account_reach(request.user, target, account_level=True)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "assignments": list(services.assignments_shown_to(request.user, target)),
            "can_change_account": reach.allowed,
            "protected": services.takeover_protected(target),
            "login_email_change": grants.latest_login_email_change(target),
            "is_locked": bool(target.locked_until and target.locked_until > timezone.now()),
            "can_unlock": lockout.is_locked(target.email),
            "today": timezone.localdate(),
        },
    )


def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=True)
    protected = services.takeover_protected(target)
    looked_up = _annuaire_lookup(request)
    if looked_up is not None:
        # Filled for checking (unbound: not a submission to validate); the version the
        # administrator loaded travels on, so a concurrent edit is still caught.
        form = UserForm(instance=target, initial=looked_up.dict(), protected=protected)
    else:
        form = UserForm(posted(request), instance=target, protected=protected)
    if looked_up is None and request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_user(
                Actor.from_request(request),
                User.objects.get(pk=pk),
                form.account_fields(),
                form.cleaned_data["expected_version"],
            ),
            refusals=REFUSALS,
        )
        if saved is not None:
            if saved.pending_request is None:
                messages.success(request, "Les informations du professionnel ont été enregistrées.")
            else:
                messages.warning(request, login_email_pending_message(saved.pending_request))
            return redirect("accounts:user_detail", pk=pk)
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "target": User.objects.get(pk=pk),
            "creating": False,
            "protected": protected,
            "login_email_change": grants.open_login_email_change(target),
        },
        status=conflict_status(form) if form.is_bound else 200,
    )


def _account_action(request: HttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=True)
    form = ActionForm(request.POST)
    form.is_valid()
    try:
        service(Actor.from_request(request), target, form.cleaned_data.get("expected_version"))
    except ConcurrentEditError as error:
        messages.error(request, str(error))
    except services.AdminRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("accounts:user_detail", pk=pk)


@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request,
        pk,
        services.deactivate_user,
        "Le compte est désactivé : le professionnel ne peut plus se connecter. "
        "Son historique est conservé.",
    )


@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=True)
    form = ActionForm(request.POST)
    form.is_valid()
    try:
        user = services.reactivate_user(
            Actor.from_request(request), target, form.cleaned_data.get("expected_version")
        )
    except ConcurrentEditError as error:
        messages.error(request, str(error))
    except services.AdminRefused as error:
        messages.error(request, error.message)
    else:
        if user.pending_request is None:
            messages.success(request, "Le compte est réactivé.")
        else:
            messages.warning(
                request,
                "Le compte reste fermé jusqu'à l'approbation de sa réactivation. "
                + pending_message(user.pending_request),
            )
    return redirect("accounts:user_detail", pk=pk)


@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(
        request, pk, services.unlock_user, "Le compte est déverrouillé : il peut se reconnecter."
    )


def user_reset_totp(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the reset does, and a button to confirm it; POST: reset (audited)."""
    if request.method == "POST":
        return _account_action(
            request,
            pk,
            services.reset_totp,
            "Le second facteur est réinitialisé : le professionnel en configurera un nouveau "
            "à sa prochaine connexion.",
        )
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=True)
    return render(request, "accounts/user_reset_totp.html", {"target": target})


def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Reset a forgotten password: a temporary password shown once on this response (never
    stored in a message or the session), or a one-time link mailed to the professional.

    For an account with (or that had) sensitive access only the link is offered; a forged
    POST asking for a temporary password reaches the service, which refuses and records it."""
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=True)
    temporary_allowed = not services.takeover_protected(target)
    form = AdminPasswordResetForm(
        posted(request),
        initial={"expected_version": target.version},
        temporary_allowed=temporary_allowed,
    )
    if request.method == "POST" and form.is_valid():
        mode = form.cleaned_data["mode"]
        try:
            password = services.reset_password(
                Actor.from_request(request),
                target,
                form.cleaned_data.get("expected_version"),
                mode,
                origin=f"{request.scheme}://{request.get_host()}",
            )
        except ConcurrentEditError as error:
            messages.error(request, str(error))
            return redirect("accounts:user_detail", pk=pk)
        except services.AdminRefused as error:
            messages.error(request, error.message)
            return redirect("accounts:user_detail", pk=pk)
        if password is not None:
            return render(
                request,
                "accounts/user_password_temporary.html",
                {"target": target, "password": password},
            )
        messages.success(
            request,
            f"Un lien à usage unique a été envoyé à {target.email} : le professionnel y "
            "choisira son nouveau mot de passe. L'ancien ne fonctionne plus.",
        )
        return redirect("accounts:user_detail", pk=pk)
    return render(
        request,
        "accounts/user_reset_password.html",
        {"form": form, "target": target, "temporary_allowed": temporary_allowed},
    )


# --------------------------------------------------------------------------- assignments


def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    _authorize_account(request, target, account_level=False)
    organisation_ids = services.managed_organisation_ids(request.user)
    form = AssignmentForm(posted(request), organisation_ids=organisation_ids)
    detail = reverse("accounts:user_detail", kwargs={"pk": pk})
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_assignment(
            Actor.from_request(request), target, form.assignment_fields()
        ),
        on_replay_url=detail,
        refusals=REFUSALS,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        waiting = getattr(outcome, "grant_request", None)
        if waiting is None:
            messages.success(request, "L'affectation a été ajoutée ; elle est en vigueur.")
        else:
            messages.warning(
                request, "L'affectation est enregistrée, en attente. " + pending_message(waiting)
            )
        return redirect(detail)
    return render(
        request,
        "accounts/assignment_form.html",
        {"form": form, "target": target, "form_token": creation_token(request)},
    )


def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.select_related("user", "role", "organisation", "facility", "unit"),
        pk=pk,
    )
    authorize(request, "accounts.manage", organisation=assignment.organisation)
    form = AssignmentEndForm(posted(request), instance=assignment)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.end_assignment(
                Actor.from_request(request),
                assignment,
                form.cleaned_data["end_date"],
                form.cleaned_data["expected_version"],
            ),
            refusals=REFUSALS,
        )
        if saved is not None:
            messages.success(
                request,
                f"L'affectation prend fin le {form.cleaned_data['end_date']:%d/%m/%Y} au soir.",
            )
            return redirect("accounts:user_detail", pk=assignment.user_id)
    return render(
        request,
        "accounts/assignment_end.html",
        {"form": form, "assignment": assignment},
        status=conflict_status(form),
    )


# --------------------------------------------------------------------------- roles


def role_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "roles.manage")
    roles = list(Role.objects.order_by("name"))
    locked = services.roles_shared_beyond(request.user)
    widening = grants.pending_role_changes()
    labels = {p.code: p.label for p in FUNCTIONAL_PERMISSIONS}
    rows = [
        {
            "role": role,
            "editable": role.pk not in locked,
            "levels": [
                ACCESS_LEVEL_LABELS.get(role.level_for(category), role.level_for(category))
                for category in DATA_CATEGORY_LABELS
            ],
            "permissions": [labels[code] for code in labels if code in role.permissions],
            "pending": widening.get(role.pk, []),
        }
        for role in roles
    ]
    return render(
        request,
        "accounts/role_list.html",
        {"rows": rows, "categories": list(DATA_CATEGORY_LABELS.values())},
    )


def role_create(request: HttpRequest) -> HttpResponse:
    authorize(request, "roles.manage")
    form = RoleForm(posted(request))
    outcome = handle_creation(
        request,
        form,
        lambda: services.create_role(Actor.from_request(request), form.role_fields()),
        on_replay_url=reverse("accounts:role_list"),
        refusals=REFUSALS,
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome is not None:
        messages.success(request, f"Le rôle « {outcome.name} » a été créé.")
        return redirect("accounts:role_list")
    return render(
        request,
        "accounts/role_form.html",
        {"form": form, "form_token": creation_token(request), "creating": True},
    )


def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    _authorize_role(request, role)
    form = RoleForm(posted(request), instance=role)
    if request.method == "POST" and form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: services.update_role(
                Actor.from_request(request),
                Role.objects.get(pk=pk),
                form.role_fields(),
                form.cleaned_data["expected_version"],
            ),
            refusals=REFUSALS,
        )
        if saved is not None:
            messages.success(
                request,
                "Le rôle est enregistré. Les nouveaux droits s'appliquent dès la prochaine page "
                "consultée par ses titulaires.",
            )
            if saved.pending_request is not None:
                messages.warning(
                    request,
                    "L'élargissement du rôle n'est pas encore appliqué. "
                    + pending_message(saved.pending_request),
                )
            return redirect("accounts:role_list")
    return render(
        request,
        "accounts/role_form.html",
        {"form": form, "role": Role.objects.get(pk=pk), "creating": False},
        status=conflict_status(form),
    )
