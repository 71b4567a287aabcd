"""Template context for the page shell (navigation, facility switcher)."""

from __future__ import annotations

from django.http import HttpRequest

from opendui.core.navigation import navigation_for


def shell(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    return {
        "nav_items": navigation_for(request),
        "user_facilities": getattr(request, "user_facilities", []),
        "current_facility": getattr(request, "current_facility", None),
    }
