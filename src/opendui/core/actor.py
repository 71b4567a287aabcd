"""Who performs an action: passed explicitly to every service and audit call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from opendui.accounts.models import User


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or the address our proxies received the request
    from when OPENDUI_TRUSTED_PROXIES names them (core.proxies). The one source of the
    address for the login throttles and the audit trail."""
    from django.conf import settings

    from .proxies import client_address as from_chain

    return from_chain(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )


@dataclass(frozen=True)
class Actor:
    user: User | None
    address: str | None = None
    facility_id: int | None = None
    label: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user: Any = request.user if request.user.is_authenticated else None
        return cls(
            user=user,
            address=client_address(request),
            facility_id=getattr(request, "current_facility_id", None),
            label=user.email if user else "",
        )

    @classmethod
    def system(cls, label: str) -> Actor:
        """An automatic job or command, recorded under `label`."""
        return cls(user=None, label=label)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None
