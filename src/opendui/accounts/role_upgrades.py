"""Data migrations that give the built-in roles a permission added to the catalogue.

When a release adds a permission, an existing installation's built-in roles get it only
where the role's default definition (`accounts.defaults`) holds it; edits an
administrator made to the role are kept (a permission they removed on purpose is not
given back by a later upgrade, because only the new codes are added). Written directly,
not as role changes to approve (`accounts.grants`): a migration is the installation's
own upgrade, made by whoever deploys it. Reversing removes the codes from every built-in
role again.

Every such migration is the same two functions with another list of codes, so they live
here once:

    operations = [give_default_permissions("admission.decide")]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import migrations


def _save(role: Any, permissions: list[str]) -> None:
    role.permissions = permissions
    role.version += 1
    role.save(update_fields=["permissions", "version"])


def give_default_permissions(
    *codes: str, roles: Iterable[str] | None = None
) -> migrations.RunPython:
    """A migration operation adding `codes` to the built-in roles whose default holds them.

    `roles` limits the upgrade to those role codes (for a permission some roles held by
    default already: an administrator who removed it from them keeps that choice)."""
    new = tuple(codes)
    only = tuple(roles) if roles is not None else None

    def add(apps: Any, schema_editor: Any) -> None:
        from opendui.accounts.defaults import DEFAULT_ROLES

        Role = apps.get_model("accounts", "Role")
        defaults = {spec["code"]: set(spec["permissions"]) for spec in DEFAULT_ROLES}
        targets = only if only is not None else tuple(defaults)
        for role in Role.objects.filter(is_builtin=True, code__in=targets):
            held = defaults.get(role.code, set())
            missing = [p for p in new if p in held and p not in role.permissions]
            if missing:
                _save(role, [*role.permissions, *missing])

    def remove(apps: Any, schema_editor: Any) -> None:
        Role = apps.get_model("accounts", "Role")
        built_in = Role.objects.filter(is_builtin=True)
        if only is not None:
            built_in = built_in.filter(code__in=only)
        for role in built_in:
            kept = [p for p in role.permissions if p not in new]
            if kept != role.permissions:
                _save(role, kept)

    return migrations.RunPython(add, remove)
