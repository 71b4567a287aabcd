"""Administration of professionals, assignments and roles (organisation administrators)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opendui.core.authz import authorize

from .models import Role, User
from .permissions import DATA_CATEGORY_LABELS, FUNCTIONAL_PERMISSIONS


def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "accounts.manage")
    users = User.objects.filter(
        assignments__organisation__in=_managed_organisations(request, "accounts.manage")
    ).distinct()
    return render(request, "accounts/user_list.html", {"users": users})


def role_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "roles.manage")
    return render(
        request,
        "accounts/role_list.html",
        {
            "roles": Role.objects.all(),
            "categories": DATA_CATEGORY_LABELS,
            "functional_permissions": FUNCTIONAL_PERMISSIONS,
        },
    )


def _managed_organisations(request: HttpRequest, permission: str) -> list[int]:
    from .access import scope_for

    return list(scope_for(request.user, permission).organisation_ids)
