"""Linking a PSC identity to an OpenDUI account, and what a PSC login keeps in the session.

No account is ever created from PSC: the identity is matched on the national identifier an
administrator entered on an existing account (User.rpps, rpps_plus or adeli).
"""

from __future__ import annotations

import time
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from ..models import User
from ..professions import Profession
from .claims import ADELI, RPPS, Exercice, NationalId

# Between the callback and the choice of the work situation (several exercices).
PENDING_KEY = "psc_pending"
PENDING_MAX_SECONDS = 10 * 60
# An open session that came through PSC: {"id_token", "idnat", "exercice"}.
SESSION_KEY = "psc"
NEXT_KEY = "psc_next"


def accounts_with(national_id: NationalId) -> list[User]:
    """The accounts (active or not) holding this identifier; RPPS+ numbers share the RPPS
    number space, so an `8…` identifier is looked for in both columns."""
    if national_id.kind == RPPS:
        condition = Q(rpps=national_id.number) | Q(rpps_plus=national_id.number)
    elif national_id.kind == ADELI:
        condition = Q(adeli=national_id.number)
    else:  # pragma: no cover - NationalId only has the two kinds
        return []
    return list(User.objects.filter(condition)[:2])


def linked_account(national_id: NationalId | None) -> User | None:
    """The one account holding the identifier, or None (unknown, or held by two accounts:
    an administrator must sort that out before anyone logs in with it)."""
    if national_id is None:
        return None
    found = accounts_with(national_id)
    return found[0] if len(found) == 1 else None


def profession_label(code: str) -> str:
    """French label of a PSC codeProfession (health or social profession), else the code."""
    for prefix in ("G15:", "SOC:"):
        try:
            return str(Profession(prefix + code).label)
        except ValueError:
            continue
    return code


def exercice_label(exercice: Exercice) -> str:
    """'Médecin – EHPAD Les Tilleuls' for the choice page and the header."""
    parts = [profession_label(exercice.profession) or "Situation d'exercice"]
    if exercice.site:
        parts.append(exercice.site)
    return " – ".join(parts)


def remember_pending(
    request: HttpRequest, user: User, id_token: str, idnat: str, exercices: list[Exercice]
) -> None:
    """PSC authenticated `user`, who has several work situations: keep what the choice page
    needs. Only the callback writes this, after every check of the provider's answer."""
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "at": time.time(),
        "id_token": id_token,
        "idnat": idnat,
        "exercices": [e.as_dict() for e in exercices],
    }


def pending(request: HttpRequest) -> dict[str, Any] | None:
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if time.time() - data.get("at", 0) > PENDING_MAX_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return data


def remember_session(
    request: HttpRequest, id_token: str, idnat: str, exercice: Exercice | None
) -> None:
    """After finish_login: what the logout and the professional identity (VIHF) need."""
    request.session.pop(PENDING_KEY, None)
    request.session[SESSION_KEY] = {
        "id_token": id_token,
        "idnat": idnat,
        "exercice": exercice.as_dict() if exercice else None,
        "exercice_label": exercice_label(exercice) if exercice else "",
    }


def psc_session(session: Any) -> dict[str, Any] | None:
    """The PSC part of a session, or None when the session was not opened through PSC."""
    data = session.get(SESSION_KEY) if session is not None else None
    return data if isinstance(data, dict) else None
