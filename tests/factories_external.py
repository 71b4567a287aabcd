"""One way to build an external professional working in the records of the persons they
follow, for every test that needs one (access matrix, URL walk, directory tests).

It goes through the real services: a directory entry with the professional's national
identifier, links to the persons (directory.PersonProfessional), an account holding the
same RPPS, the access opened by world.og's administrator
(directory.external_access.open_access) and, unless asked otherwise, approved by a
directeur général (accounts.grants).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from opendui.core.identifiers import luhn_check_digit

#: A link's default start: long before any test date, so that the link is current.
LINK_START = dt.date(2020, 1, 1)


def rpps_of(body10: str) -> str:
    """A valid RPPS (Luhn key appended) from ten digits."""
    return body10 + luhn_check_digit(body10)


def external_entry(world: Any, rpps: str, *, profession_code: str = "10", **fields: Any):
    """A directory entry of world.og with the national identifier of `rpps` (8 + RPPS)."""
    from opendui.directory.models import ExternalProfessional

    values = {"last_name": "Extérieur", "profession_label": "Professionnel", **fields}
    return ExternalProfessional.objects.create(
        organisation=world.og,
        profession_code=profession_code,
        rpps=rpps,
        idnat_ps="8" + rpps,
        **values,
    )


def link_persons(
    entry: Any,
    persons: Iterable[Any],
    *,
    role: str = "medecin_traitant",
    start_date: dt.date = LINK_START,
    end_date: dt.date | None = None,
) -> None:
    """Link `entry` to each person (what the secretariat records in the person's file)."""
    from opendui.directory.models import PersonProfessional

    for person in persons:
        PersonProfessional.objects.create(
            person=person,
            professional=entry,
            role=role,
            start_date=start_date,
            end_date=end_date,
        )


def open_external_access(
    world: Any,
    entry: Any,
    account: Any,
    *,
    role_code: str = "medecin-externe",
    approved: bool = True,
    admin: Any = None,
):
    """Open (and unless `approved` is False, approve) `account`'s access as `entry`, with
    `role_code`, by `admin` (a new administrator of world.og unless given); the account
    read back fresh (no grants cached)."""
    from opendui.accounts.models import Role, User
    from opendui.core.actor import Actor
    from opendui.directory.external_access import open_access
    from tests.directory.approval_helpers import approve_linked

    linked = open_access(
        Actor(user=admin or world.user("admin")), entry, account, Role.objects.get(code=role_code)
    )
    if approved:
        approve_linked(world, linked)  # pending until the directeur général approves
    return User.objects.get(pk=account.pk)


def external_professional(
    world: Any,
    persons: Iterable[Any],
    *,
    rpps: str,
    role_code: str = "medecin-externe",
    email: str = "externe@cabinet.example",
    link_role: str = "medecin_traitant",
    approved: bool = True,
    **entry_fields: Any,
):
    """An external professional of world.og's directory following `persons` (links since
    LINK_START), whose account holds `role_code` on them: the profession of the entry is
    the role's (the habilitation follows it). Returns the account."""
    from opendui.accounts.defaults import EXTERNAL_ROLE_PROFESSIONS
    from opendui.accounts.models import User

    entry = external_entry(
        world, rpps, profession_code=EXTERNAL_ROLE_PROFESSIONS[role_code], **entry_fields
    )
    link_persons(entry, persons, role=link_role)
    account = User.objects.create_user(email, None, first_name="E", last_name="X", rpps=rpps)
    return open_external_access(world, entry, account, role_code=role_code, approved=approved)
