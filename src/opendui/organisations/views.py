"""Pages for the organisation administrator: the OG, its facilities and units."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opendui.core.authz import authorize

from .selectors import organisations_managed_by


def admin_home(request: HttpRequest) -> HttpResponse:
    authorize(request, "organisation.manage")
    organisations = organisations_managed_by(request.user).prefetch_related("facilities")
    return render(request, "organisations/admin_home.html", {"organisations": organisations})
