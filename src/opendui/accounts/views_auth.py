"""Logging in: password, then the TOTP second factor when the user or a role requires it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opendui.core.actor import Actor

from . import services, totp
from .forms import LoginForm, TotpForm

ENROL_SESSION_KEY = "totp_enrol_secret"
NEXT_KEY = "login_next"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_not_required
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        locked_until = services.account_locked_until(email)
        if services.address_is_throttled(request):
            form.add_error(
                None, "Trop de tentatives depuis ce poste. Réessayez dans quelques minutes."
            )
        elif locked_until:
            form.add_error(
                None,
                "Ce compte est temporairement verrouillé après plusieurs échecs. Réessayez après "
                f"{time_format(timezone.localtime(locked_until), 'H:i')} "
                "ou contactez votre administrateur.",
            )
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                services.register_failure(request, email)
                form.add_error(None, "Adresse e-mail ou mot de passe incorrect.")
            else:
                next_url = _safe_next(request, request.GET.get("next"))
                if services.needs_second_factor(user):
                    services.start_pending_login(request, user, "password")
                    request.session[NEXT_KEY] = next_url
                    return redirect("accounts:totp_enrol" if not user.has_totp else "accounts:totp")
                services.finish_login(request, user, "password")
                return redirect(next_url)
    return render(request, "accounts/login.html", {"form": form})


@login_not_required
def totp_view(request: HttpRequest) -> HttpResponse:
    """Second step of the login: the TOTP code."""
    user = services.pending_user(request)
    if user is None or not user.has_totp:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.account_locked_until(user.email):
            request.session.flush()
            messages.error(request, "Compte temporairement verrouillé après plusieurs échecs.")
            return redirect("accounts:login")
        if services.verify_second_factor(user, form.cleaned_data["code"]):
            next_url = request.session.pop(NEXT_KEY, "/")
            services.finish_login(request, user, "password+totp")
            return redirect(_safe_next(request, next_url))
        services.register_failure(request, user.email, step="totp")
        form.add_error(
            "code", "Code incorrect ou déjà utilisé. Saisissez le code affiché maintenant."
        )
    return render(request, "accounts/totp.html", {"form": form})


def _enrolment_context(request: HttpRequest, email: str) -> dict:
    secret = request.session.get(ENROL_SESSION_KEY)
    if not secret:
        secret = totp.new_secret()
        request.session[ENROL_SESSION_KEY] = secret
    uri = totp.provisioning_uri(secret, email)
    return {"secret": secret, "qr": totp.qr_code_data_uri(uri)}


@login_not_required
def totp_enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up the second factor: during a login that requires it, or from the security page."""
    user = request.user if request.user.is_authenticated else services.pending_user(request)
    if user is None:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    context = _enrolment_context(request, user.email)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request) if request.user.is_authenticated else Actor(user=user)
        if services.confirm_totp_enrolment(
            actor, user, context["secret"], form.cleaned_data["code"]
        ):
            request.session.pop(ENROL_SESSION_KEY, None)
            messages.success(request, "Le second facteur est activé pour votre compte.")
            if request.user.is_authenticated:
                return redirect("accounts:security")
            next_url = request.session.pop(NEXT_KEY, "/")
            services.finish_login(request, user, "password+totp")
            return redirect(_safe_next(request, next_url))
        form.add_error("code", "Code incorrect : vérifiez l'heure de votre téléphone et réessayez.")
    return render(request, "accounts/totp_enrol.html", {"form": form, **context})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.record_logout(request, reason="demande")
    logout(request)
    messages.info(request, "Vous êtes déconnecté.")
    return redirect("accounts:login")


def security_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html", {})


class PasswordChange(PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        from opendui.audit.models import EventKind
        from opendui.audit.services import record

        record(Actor.from_request(self.request), EventKind.SECURITY, "auth.password_changed")
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return response
