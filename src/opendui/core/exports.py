"""The one check every export goes through: `person.export`.

An export (a PDF, a CSV, a printable declaration, an audit extract) leaves the
application: it can be mailed, printed and filed where no access control or audit
follows it. Reading a page is therefore not enough to take it away: each export view
calls `authorize_export` with its target (the person, or the facility for aggregates
and anonymised documents), which refuses with a 403 and an audit row like any other
check, and hands back the `ExportPermit` that `core.downloads.attachment` requires, so
a download cannot be written without the check. Each export also writes its own access
event (what was exported, in which format).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from opendui.accounts.access import Decision, check

from .authz import authorize

EXPORT_PERMISSION = "person.export"


@dataclass(frozen=True)
class ExportPermit:
    """Proof that `person.export` was granted for one export; its decision carries the
    break-the-glass flag and reason for the export's audit event."""

    decision: Decision


def authorize_export(
    request: HttpRequest,
    *,
    person: Any = None,
    facility: Any = None,
    organisation: Any = None,
) -> ExportPermit:
    """The permit for an export of `person`'s record, or of `facility`'s data; a refusal
    is audited and raises PermissionDenied (core.authz.authorize)."""
    decision = authorize(
        request, EXPORT_PERMISSION, person=person, facility=facility, organisation=organisation
    )
    return ExportPermit(decision)


def may_export(user: Any, *, person: Any = None, facility: Any = None) -> bool:
    """Whether to offer an export link (the export view checks again)."""
    return check(user, EXPORT_PERMISSION, person=person, facility=facility).allowed


def exportable_facilities[F](user: Any, facilities: Iterable[F]) -> list[F]:
    """The facilities, among `facilities`, whose data the user may export."""
    return [f for f in facilities if check(user, EXPORT_PERMISSION, facility=f).allowed]
