"""Accounts that log in with Pro Santé Connect only: external professionals.

An account that was opened to an external professional (User.has_linked_access), or
holds a linked-persons assignment not yet ended (accounts.LinkedPersonsAssignment), works in the records of persons followed outside the
organisation; the e-CPS behind PSC is the only proof of who uses it. No password opens
it (login, second factor, reset by mail, temporary password by an administrator).
"""

from __future__ import annotations

from typing import Any

PSC_ONLY_MESSAGE = (
    "Ce compte de professionnel extérieur se connecte uniquement avec Pro Santé Connect "
    "(carte e-CPS) : la connexion par mot de passe ne lui est pas ouverte."
)


def is_psc_only(user: Any) -> bool:
    """Whether `user` may open a session through Pro Santé Connect only."""
    from .models import LinkedPersonsAssignment, User

    if user is None or getattr(user, "pk", None) is None:
        return False
    # Once opened to an external professional, for good: a closed access reopened later
    # must not find a password set in between (the stored flag, not the object's copy).
    if User.objects.filter(pk=user.pk, has_linked_access=True).exists():
        return True
    return LinkedPersonsAssignment.objects.not_ended().filter(user_id=user.pk).exists()


class PscOnlyAccount(Exception):
    """A password (or any non-PSC) login was attempted for a PSC-only account."""
