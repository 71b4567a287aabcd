"""Login with Pro Santé Connect: start, the redirect URI (`connexion/psc/retour/`), the choice of
the work situation. Every refusal is a French message on the login page and an audited
security event (`auth.psc_failure` with a reason code, `auth.psc_unlinked` with the
identifier to link); both paths end in services.finish_login(method="psc").

PSC (e-CPS, eIDAS substantial) is the second factor: no TOTP is asked after it. Only the
callback, after the provider's answer passed every check, or the work-situation page reading
what the callback left in the session, call finish_login with "psc".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor, client_address
from opendui.core.identifiers import ascii_digits

from . import services
from .models import User
from .psc import session as psc_session
from .psc.claims import Exercice, identity_of
from .psc.client import PscFailure, authorization_redirect, complete_login
from .psc.config import psc_config
from .views_auth import _safe_next


def redirect_uri(request: HttpRequest) -> str:
    """The redirect URI registered at the provider: https://<host>/connexion/psc/retour/."""
    return request.build_absolute_uri(reverse("accounts:psc_callback"))


def _refuse(request: HttpRequest, reason: str, user: User | None = None) -> HttpResponse:
    record(
        Actor(user=None, address=client_address(request), label=user.email if user else ""),
        EventKind.SECURITY,
        "auth.psc_failure",
        obj=user,
        details={"reason": reason},
    )
    request.session.pop(psc_session.PENDING_KEY, None)
    messages.error(request, PscFailure(reason).message)
    return redirect("accounts:login")


@never_cache
@login_not_required
def psc_start(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    config = psc_config()
    if config is None:
        messages.error(request, PscFailure("not_configured").message)
        return redirect("accounts:login")
    request.session[psc_session.NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    try:
        return authorization_redirect(config, request, redirect_uri(request))
    except PscFailure as failure:
        return _refuse(request, failure.reason)


@never_cache
@login_not_required
def psc_callback(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    config = psc_config()
    if config is None:
        return _refuse(request, "not_configured")
    try:
        login = complete_login(config, request)
    except PscFailure as failure:
        return _refuse(request, failure.reason)
    identity = identity_of(login.userinfo)
    user = psc_session.linked_account(identity.national_id)
    if user is None:
        record(
            Actor(user=None, address=client_address(request)),
            EventKind.SECURITY,
            "auth.psc_unlinked",
            details={"idnat": identity.raw_id},
        )
        return render(
            request,
            "accounts/psc_unlinked.html",
            {"identity": identity, "idnat": identity.raw_id},
            status=403,
        )
    if not user.is_active:
        return _refuse(request, "disabled", user)
    if services.login_refusal(request, user.email):
        return _refuse(request, "refused", user)
    idnat = identity.national_id.idnat if identity.national_id else identity.raw_id
    if len(identity.exercices) > 1:
        psc_session.remember_pending(request, user, login.id_token, idnat, list(identity.exercices))
        return redirect("accounts:psc_exercice")
    exercice = identity.exercices[0] if identity.exercices else None
    return _finish(request, user, login.id_token, idnat, exercice)


def _finish(
    request: HttpRequest, user: User, id_token: str, idnat: str, exercice: Exercice | None
) -> HttpResponse:
    next_url = request.session.get(psc_session.NEXT_KEY) or "/"
    services.finish_login(request, user, "psc")
    psc_session.remember_session(request, id_token, idnat, exercice)
    request.session.pop(psc_session.NEXT_KEY, None)
    return redirect(_safe_next(request, next_url))


@never_cache
@login_not_required
def psc_exercice(request: HttpRequest) -> HttpResponse:
    """Several work situations in SubjectRefPro: the user picks the one of this session."""
    if request.user.is_authenticated:
        return redirect("core:home")
    data = psc_session.pending(request)
    if data is None:
        messages.error(request, PscFailure("state").message)
        return redirect("accounts:login")
    exercices = [Exercice.from_dict(item) for item in data.get("exercices", [])]
    choices = [(index, psc_session.exercice_label(e)) for index, e in enumerate(exercices)]
    error = ""
    if request.method == "POST":
        raw = request.POST.get("exercice", "")
        if ascii_digits(raw) and int(raw) < len(exercices):
            user = User.objects.filter(pk=data["user_id"], is_active=True).first()
            if user is None:
                return _refuse(request, "disabled")
            return _finish(request, user, data["id_token"], data["idnat"], exercices[int(raw)])
        error = "Choisissez la situation d'exercice de cette session."
    return render(
        request,
        "accounts/psc_exercice.html",
        {"choices": choices, "error": error},
        status=400 if error else 200,
    )
