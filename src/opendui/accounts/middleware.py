"""Session expiry after inactivity."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "last_seen"
# Activity is written to the session at most this often (seconds): writing it on
# every request would turn each page view into a database write.
LAST_SEEN_RESOLUTION = 60


class IdleSessionMiddleware:
    """Log out a session left idle longer than OPENDUI_SESSION_IDLE_TIMEOUT seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                from opendui.accounts.services import record_logout

                record_logout(request, reason="inactivité")
                logout(request)
                messages.info(request, _("Votre session a expiré après une période d'inactivité."))
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in request.session:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
