"""Logging in: password, then the TOTP second factor when the user or a role requires it;
the user's own security page; forgotten passwords (Django's reset views, our rules)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from opendui.core.actor import Actor, client_address
from opendui.core.params import posted

from . import services, totp
from .forms import LoginForm, PasswordResetRequestForm, TotpForm, TotpReplaceForm
from .psc.client import end_session_url
from .psc.config import psc_config, psc_enabled
from .psc.session import psc_session
from .psc_only import PSC_ONLY_MESSAGE, is_psc_only

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
    form = LoginForm(posted(request))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        refusal = services.login_refusal(request, email)
        if refusal:
            form.add_error(None, refusal)
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                services.register_failure(request, email)
                form.add_error(None, "Adresse e-mail ou mot de passe incorrect.")
            elif is_psc_only(user):
                # The password was right, so the message tells nothing to a stranger.
                services.refuse_password_login(request, user)
                form.add_error(None, PSC_ONLY_MESSAGE)
            else:
                next_url = _safe_next(request, request.GET.get("next"))
                if services.needs_second_factor(user):
                    services.start_pending_login(request, user, "password")
                    request.session[NEXT_KEY] = next_url
                    return redirect("accounts:totp" if user.has_totp else "accounts:totp_enrol")
                services.finish_login(request, user, "password")
                return redirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "psc_enabled": psc_enabled()})


@login_not_required
def totp_view(request: HttpRequest) -> HttpResponse:
    """Second step of the login: the TOTP code."""
    user = services.pending_user(request)
    if user is None or not user.has_totp:
        return redirect("accounts:login")
    form = TotpForm(posted(request))
    if request.method == "POST" and form.is_valid():
        refusal = services.login_refusal(request, user.email)
        if refusal:
            request.session.flush()
            messages.error(request, refusal)
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
    """Set up the second factor: during a login, for an account that has none yet; or from
    the security page, where replacing an existing one asks for its current code."""
    logged_in = request.user.is_authenticated
    user = request.user if logged_in else services.pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if not logged_in and user.has_totp:
        # Knowing the password gives no right to a new second factor: the login goes on
        # with the one the account has.
        return redirect("accounts:totp")
    replacing = logged_in and user.has_totp
    form = (TotpReplaceForm if replacing else TotpForm)(posted(request))
    context = _enrolment_context(request, user.email)
    if request.method == "POST" and form.is_valid():
        refusal = None if logged_in else services.login_refusal(request, user.email)
        if refusal:
            request.session.flush()
            messages.error(request, refusal)
            return redirect("accounts:login")
        actor = Actor.from_request(request) if logged_in else Actor(user=user)
        try:
            services.confirm_totp_enrolment(
                actor,
                user,
                context["secret"],
                form.cleaned_data["code"],
                current_code=form.cleaned_data.get("current_code"),
            )
        except services.EnrolmentRefused as refused:
            if not logged_in:
                services.register_failure(request, user.email, step="totp_enrol")
            form.add_error(refused.field, refused.message)
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            if logged_in:
                messages.success(
                    request,
                    "Le second facteur est remplacé."
                    if replacing
                    else "Le second facteur est activé pour votre compte.",
                )
                return redirect("accounts:security")
            messages.success(request, "Le second facteur est activé pour votre compte.")
            next_url = request.session.pop(NEXT_KEY, "/")
            services.finish_login(request, user, "password+totp")
            return redirect(_safe_next(request, next_url))
    return render(
        request, "accounts/totp_enrol.html", {"form": form, "replacing": replacing, **context}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out here; a session opened through Pro Santé Connect also ends at the provider
    (RP-initiated logout), which sends the browser back to the login page."""
    opened_by_psc = psc_session(request.session)
    services.record_logout(request, reason="demande")
    logout(request)
    config = psc_config()
    if opened_by_psc and config is not None and opened_by_psc.get("id_token"):
        url = end_session_url(
            config,
            opened_by_psc["id_token"],
            request.build_absolute_uri(reverse("accounts:login")),
        )
        if url:
            # A page, not a redirect: the logout button's form may only lead to this site
            # (CSP form-action 'self'); the browser goes on to the provider by itself.
            return render(request, "accounts/psc_logout.html", {"end_session_url": url})
    messages.info(request, "Vous êtes déconnecté.")
    return redirect("accounts:login")


def security_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html", {})


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(Actor.from_request(self.request), self.request.user, "change")
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return response


# --------------------------------------------------------------------------- forgotten password


@method_decorator(login_not_required, name="dispatch")
class PasswordReset(auth_views.PasswordResetView):
    """Ask for a link by e-mail. The answer is the same whether the e-mail is an account's,
    and whether the request was throttled (services.password_reset_allowed)."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetRequestForm) -> HttpResponse:
        if services.password_reset_allowed(self.request, form.cleaned_data["email"]):
            origin = f"{self.request.scheme}://{self.request.get_host()}"
            form.save(origin=origin)
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Choose the new password (our validators apply through SetPasswordForm). The user is
    not logged in: they log in afterwards with the password and their second factor."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        actor = Actor(user=form.user, address=client_address(self.request))
        services.password_changed(actor, form.user, "reset_link")
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
