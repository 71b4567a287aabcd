"""Session limits (inactivity, absolute age) and the forced password change."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "last_seen"
# When the session was opened (time.time()); the maximum age counts from there.
LOGIN_AT_KEY = "login_at"
# Activity is written to the session at most this often (seconds): writing it on
# every request would turn each page view into a database write.
LAST_SEEN_RESOLUTION = 60


@receiver(user_logged_in, dispatch_uid="opendui_session_login_time")
def _remember_login_time(sender, request: HttpRequest, user, **kwargs) -> None:
    """Every way of opening a session (login form, second factor, tests' force_login) stamps
    it, so a session without the stamp is never one this code opened."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = time.time()


class SessionLimitsMiddleware:
    """End a session idle longer than OPENDUI_SESSION_IDLE_TIMEOUT seconds, or opened more than
    OPENDUI_SESSION_MAX_AGE seconds ago however active it was.

    Django's own expiry (SESSION_COOKIE_AGE) slides: it is pushed back whenever the
    session is saved, which the activity stamp does every minute. The login time never moves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            login_at = request.session.get(LOGIN_AT_KEY)
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if login_at is None or now - login_at > settings.SESSION_MAX_AGE:
                return self._end(
                    request,
                    "durée maximale",
                    _("Votre session a atteint sa durée maximale : reconnectez-vous."),
                )
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                return self._end(
                    request,
                    "inactivité",
                    _("Votre session a expiré après une période d'inactivité."),
                )
            if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in request.session:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, reason: str, message: str) -> HttpResponse:
        from opendui.accounts.services import record_logout

        record_logout(request, reason=reason)
        logout(request)
        messages.info(request, message)
        return redirect_to_login(request.get_full_path())


# Pages a user whose password must change may still open.
ALLOWED_BEFORE_PASSWORD_CHANGE = {"accounts:password_change", "accounts:logout"}


class PasswordChangeRequiredMiddleware:
    """After an administrator's password reset, the first thing the user does is choose
    their own password: every other page leads to the change page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "must_change_password", False):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name not in ALLOWED_BEFORE_PASSWORD_CHANGE and not request.path.startswith(
                settings.STATIC_URL
            ):
                messages.info(
                    request,
                    _(
                        "Votre mot de passe a été réinitialisé par un administrateur : "
                        "choisissez votre propre mot de passe pour continuer."
                    ),
                )
                return redirect("accounts:password_change")
        return self.get_response(request)
