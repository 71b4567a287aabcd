"""Cross-cutting request handling: security headers, login by default, current facility."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    """Headers Django does not set itself; pages showing records are never cached."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every view needs a logged-in user unless marked @login_not_required."""


class CurrentFacilityMiddleware:
    """Attach the facility the user is working in (chosen with the switcher) to the request."""

    SESSION_KEY = "current_facility_id"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from opendui.organisations.selectors import facilities_of

        request.current_facility = None
        request.current_facility_id = None
        if request.user.is_authenticated:
            facilities = facilities_of(request.user)
            wanted = request.session.get(self.SESSION_KEY)
            current = next((f for f in facilities if f.pk == wanted), None)
            if current is None and len(facilities) == 1:
                current = facilities[0]
            request.user_facilities = facilities
            request.current_facility = current
            request.current_facility_id = current.pk if current else None
        return self.get_response(request)
