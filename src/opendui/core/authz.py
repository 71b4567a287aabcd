"""Permission enforcement for views: deny, record the refusal, answer 403."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from opendui.accounts.access import Decision, check
from opendui.audit.models import EventKind
from opendui.audit.services import record

from .actor import Actor


def authorize(
    request: HttpRequest,
    code: str,
    *,
    person: Any = None,
    facility: Any = None,
    organisation: Any = None,
) -> Decision:
    """Return the decision when allowed; otherwise audit the refusal and raise PermissionDenied."""
    decision = check(
        request.user, code, person=person, facility=facility, organisation=organisation
    )
    if decision:
        return decision
    refuse(request, code, person=person, facility=facility, organisation=organisation)


def refuse(
    request: HttpRequest,
    code: str,
    *,
    person: Any = None,
    facility: Any = None,
    organisation: Any = None,
    details: dict[str, Any] | None = None,
) -> NoReturn:
    """Record an `access.denied` event and raise PermissionDenied: every refusal, whether
    check() or a view's own rule decided it, leaves the same trace."""
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "access.denied",
        person_ids=[person.pk] if person is not None else [],
        obj=person or facility or organisation,
        details={"permission": code, "path": request.path, **(details or {})},
        organisation_id=organisation.pk
        if organisation is not None
        else getattr(person or facility, "organisation_id", None),
    )
    raise PermissionDenied(code)


def authorize_any(
    request: HttpRequest,
    codes: tuple[str, ...],
    *,
    person: Any = None,
    facility: Any = None,
    organisation: Any = None,
) -> Decision:
    """The first allowing decision among `codes` (a page open to several roles, e.g. the
    admissions open to the secretariat and to those who decide); otherwise the refusal
    of the first code is audited and PermissionDenied raised."""
    for code in codes:
        decision = check(
            request.user, code, person=person, facility=facility, organisation=organisation
        )
        if decision:
            return decision
    refuse(
        request,
        codes[0],
        person=person,
        facility=facility,
        organisation=organisation,
        details={"any_of": list(codes)},
    )
