"""Helpers shared by the administration tests (no tests here)."""

from __future__ import annotations

import re

from opendui.accounts.models import Role
from opendui.accounts.permissions import DataCategory
from opendui.core.identifiers import luhn_check_digit

STRONG_PASSWORD = "Marmotte-Bleue-74!"


def form_token(response) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', response.content.decode())
    assert match, "no form token on the page"
    return match.group(1)


def valid_rpps(body10: str = "1000000001") -> str:
    return body10 + luhn_check_digit(body10)


def wrong_key_rpps(body10: str = "1000000001") -> str:
    good = luhn_check_digit(body10)
    return body10 + str((int(good) + 1) % 10)


def role_data(role: Role, **overrides) -> dict:
    """What the role form posts for `role` unchanged, with `overrides` (access_<category>…)."""
    data = {
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "expected_version": role.version,
    }
    if role.requires_totp:
        data["requires_totp"] = "on"
    for category in DataCategory:
        data[f"access_{category}"] = role.level_for(category)
    data.update(overrides)
    return data


def approve_pending(world, approver=None):
    """Approve every open grant request as the directeur général (a director assigned to
    the whole organisation, made here unless given); returns the approver."""
    from opendui.accounts import grants
    from opendui.accounts.models import GrantRequest, User
    from opendui.core.actor import Actor

    approver = approver or world.user("directeur")
    for request in GrantRequest.objects.filter(status="pending").order_by("pk"):
        grants.approve(
            Actor(user=User.objects.get(pk=approver.pk)), request, expected_version=request.version
        )
    return approver


def dashboards_user(world, **scope):
    """A professional whose only role opens nobody's data (indicators): not sensitive, so
    an administrator may still give them a temporary password."""
    from opendui.accounts.models import Role

    Role.objects.get_or_create(
        code="tableaux",
        defaults={"name": "Tableaux de bord", "permissions": ["pilotage.view"]},
    )
    return world.user("tableaux", **({"facility": world.ime} | scope))
