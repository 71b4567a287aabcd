"""Approving an external professional's access as the second person would (the
directeur général, organisation-wide holder of grants.approve), through the service."""

from __future__ import annotations

from opendui.accounts import grants
from opendui.accounts.models import GrantRequest, LinkedPersonsAssignment
from opendui.core.actor import Actor


def approve_linked(world, linked: LinkedPersonsAssignment, director=None) -> GrantRequest:
    """Approve the request filed with `linked` (a new directeur général unless given)."""
    director = director or world.user("directeur")
    request = GrantRequest.objects.get(linked_assignment=linked)
    return grants.approve(Actor(user=director), request, expected_version=request.version)
