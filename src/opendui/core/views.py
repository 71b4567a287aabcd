"""The page shell: home page per role, facility switcher, error pages, health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from opendui.accounts.access import check, grants_of, has_anywhere

from .authz import refuse
from .home import panels_for
from .middleware import CurrentFacilityMiddleware


def home(request: HttpRequest) -> HttpResponse:
    """What the user needs first, decided by what their roles allow."""
    from opendui.persons.selectors import count_visible_persons
    from opendui.stays.selectors import facility_overviews

    facility = request.current_facility
    roles = sorted({g.role_name for g in grants_of(request.user)})
    context = {"roles": roles, "facility": facility}
    if has_anywhere(request.user, "person.view_identity"):
        context["person_count"] = count_visible_persons(request.user, facility)
    # The chosen facility, or every facility of the user when none is chosen.
    overseen = [
        f
        for f in ([facility] if facility is not None else request.user_facilities)
        if check(request.user, "facility.view_overview", facility=f)
    ]
    context["overviews"] = facility_overviews(overseen) if overseen else []
    # The cards of the domain apps (stays, notes, agenda, evaluations…), registered by them.
    context["panels"] = panels_for(request)
    context["can_manage_organisation"] = has_anywhere(request.user, "organisation.manage")
    context["can_manage_accounts"] = has_anywhere(request.user, "accounts.manage")
    context["can_search_audit"] = has_anywhere(request.user, "audit.search")
    context.update(_grants_panel(request))
    return render(request, "core/home.html", context)


def _grants_panel(request: HttpRequest) -> dict:
    """Grant requests awaiting the user's decision (approvers), and those still waiting in
    the organisations they administer: one count each, only for those concerned."""
    from opendui.accounts import grants

    panel = {}
    if has_anywhere(request.user, grants.APPROVE):
        panel["grants_awaiting"] = grants.awaiting(request.user).count()
    if has_anywhere(request.user, "accounts.manage") or has_anywhere(request.user, "roles.manage"):
        panel["grants_requested"] = grants.pending_in_administered(request.user).count()
    return panel


@require_POST
def switch_facility(request: HttpRequest) -> HttpResponse:
    """Remember which of the user's facilities they are working in."""
    wanted = request.POST.get("facility", "")
    facilities = {str(f.pk): f for f in request.user_facilities}
    if wanted == "":
        request.session.pop(CurrentFacilityMiddleware.SESSION_KEY, None)
    elif wanted in facilities:
        request.session[CurrentFacilityMiddleware.SESSION_KEY] = facilities[wanted].pk
    else:
        # A facility the user is not assigned to (or garbage): refused, and audited like
        # every refusal (the id is attacker-controlled).
        refuse(request, "facility.switch", details={"facility": wanted[:40]})
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"statut": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/403.html", status=403)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/csrf.html", status=403)
