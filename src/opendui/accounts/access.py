"""The one place that answers "may user U do P on person X / facility F / organisation O?".

Grants come from the user's current assignments (role × scope). Every view and
service asks `check()` (or `authorize()` in views); list selectors build their
filter from `scope_for()`, so what a list shows and what a page allows agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, IntegerField, OuterRef, Q, Value
from django.utils import timezone

from .permissions import CATALOGUE, Permission, ScopeKind, get_permission, level_allows

if TYPE_CHECKING:
    from opendui.organisations.models import Facility, ManagingOrganisation
    from opendui.persons.models import Person

    from .models import BreakGlassGrant

_GRANTS_CACHE = "_opendui_grants"


@dataclass(frozen=True)
class Grant:
    """One current assignment, reduced to what access decisions need."""

    role_code: str
    role_name: str
    permissions: frozenset[str]
    data_access: Mapping[str, str]
    organisation_id: int
    facility_id: int | None
    unit_id: int | None
    requires_totp: bool
    # The assignment's facility, loaded with the grants so that the facility switcher
    # (organisations.selectors.facilities_of) needs no query of its own for users
    # assigned to facilities only.
    facility: Facility | None = field(default=None, compare=False, repr=False)

    def allows(self, permission: Permission) -> bool:
        if permission.category is not None and permission.level is not None:
            return level_allows(self.data_access.get(permission.category, "none"), permission.level)
        return permission.code in self.permissions


def grants_of(user: Any) -> tuple[Grant, ...]:
    """The user's grants today, loaded once per user object (one query, with the
    assignments' facilities)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = user.__dict__.get(_GRANTS_CACHE)
    if cached is None:
        from .models import Assignment

        cached = tuple(
            Grant(
                role_code=a.role.code,
                role_name=a.role.name,
                permissions=frozenset(a.role.permissions),
                data_access=dict(a.role.data_access),
                organisation_id=a.organisation_id,
                facility_id=a.facility_id,
                unit_id=a.unit_id,
                requires_totp=a.role.requires_totp,
                facility=a.facility,
            )
            for a in Assignment.objects.active_on()
            .filter(user=user)
            .select_related("role", "facility__category")
        )
        user.__dict__[_GRANTS_CACHE] = cached
    return cached


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after assignments or roles change)."""
    user.__dict__.pop(_GRANTS_CACHE, None)


@dataclass(frozen=True)
class Scope:
    """Where a permission holds: whole organisations, facilities, or units (with their facility)."""

    organisation_ids: frozenset[int] = frozenset()
    facility_ids: frozenset[int] = frozenset()
    units: frozenset[tuple[int, int]] = frozenset()  # (facility_id, unit_id)

    @property
    def is_empty(self) -> bool:
        return not (self.organisation_ids or self.facility_ids or self.units)

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(unit for _, unit in self.units)

    def covers_facility(self, facility: Facility) -> bool:
        """Facility-level permissions: any assignment in the facility (unit included) counts."""
        return (
            facility.organisation_id in self.organisation_ids
            or facility.pk in self.facility_ids
            or any(f == facility.pk for f, _ in self.units)
        )

    def covers_placements(
        self, organisation_id: int, placements: list[tuple[int, int | None]]
    ) -> bool:
        """Person-level permissions: the person belongs to a covered organisation or has a stay
        in a covered facility or unit."""
        if organisation_id in self.organisation_ids:
            return True
        unit_ids = self.unit_ids
        return any(
            facility_id in self.facility_ids or (unit_id is not None and unit_id in unit_ids)
            for facility_id, unit_id in placements
        )

    def persons_filter(self, facility: Facility | None = None) -> Q:
        """A Q over Person selecting the persons in scope (optionally within one facility).

        A person is placed in a facility by a stay there or by an admission request to it
        (the team studies the file before admitting), both read from stays.Placement; in
        a unit by a stay only.
        """
        from opendui.stays.models import Placement, Stay

        stays = Stay.objects.filter(person=OuterRef("pk"))
        placements = Placement.objects.filter(person=OuterRef("pk"))

        if facility is not None:
            if (
                facility.organisation_id in self.organisation_ids
                or facility.pk in self.facility_ids
            ):
                return Q(Exists(placements.filter(facility=facility)))
            units = [u for f, u in self.units if f == facility.pk]
            return Q(Exists(stays.filter(unit_id__in=units))) if units else Q(pk__in=[])
        condition = Q(pk__in=[])
        if self.organisation_ids:
            condition |= Q(organisation_id__in=self.organisation_ids)
        if self.facility_ids:
            condition |= Q(Exists(placements.filter(facility_id__in=self.facility_ids)))
        if self.units:
            condition |= Q(Exists(stays.filter(unit_id__in=self.unit_ids)))
        return condition


def scope_for(user: Any, code: str) -> Scope:
    permission = get_permission(code)
    organisations, facilities, units = set(), set(), set()
    for grant in grants_of(user):
        if not grant.allows(permission):
            continue
        if grant.facility_id is None:
            organisations.add(grant.organisation_id)
        elif grant.unit_id is None:
            facilities.add(grant.facility_id)
        else:
            units.add((grant.facility_id, grant.unit_id))
    if permission.scope is ScopeKind.ORGANISATION:
        # Organisation permissions only come from organisation-wide assignments.
        facilities, units = set(), set()
    return Scope(frozenset(organisations), frozenset(facilities), frozenset(units))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    break_glass: bool = False
    reason: str = ""
    grant: BreakGlassGrant | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return self.allowed


DENIED = Decision(False)


def person_placements(person: Person) -> list[tuple[int, int | None]]:
    """(facility_id, unit_id) of each of the person's stays and (facility_id, None) of each
    admission request (see Scope.persons_filter), in one query, cached on the instance."""
    cached = person.__dict__.get("_opendui_placements")
    if cached is None:
        from opendui.stays.models import AdmissionRequest, Stay

        requests = (
            AdmissionRequest.objects.filter(person=person)
            .order_by()
            .values_list("facility_id", Value(None, output_field=IntegerField()))
        )
        stays = Stay.objects.filter(person=person).order_by().values_list("facility_id", "unit_id")
        cached = list(stays.union(requests).order_by())
        person.__dict__["_opendui_placements"] = cached
    return cached


def current_break_glass(user: Any, person: Person) -> BreakGlassGrant | None:
    from .models import BreakGlassGrant

    key = f"_opendui_bg_{person.pk}"
    if key not in user.__dict__:
        user.__dict__[key] = (
            BreakGlassGrant.objects.filter(user=user, person=person, expires_at__gt=timezone.now())
            .order_by("-expires_at")
            .first()
        )
    return user.__dict__[key]


def check(
    user: Any,
    code: str,
    *,
    person: Person | None = None,
    facility: Facility | None = None,
    organisation: ManagingOrganisation | None = None,
) -> Decision:
    """Decide whether `user` may use permission `code` on the given target.

    Deny by default: an unknown permission raises, an anonymous or inactive user
    is refused. A person-level permission asked without a person (a list, a
    creation form) holds where the user's scope reaches, in the given facility
    if any; the list selectors then filter rows with the same scope.
    """
    permission = get_permission(code)
    grants = grants_of(user)
    if not grants:
        return DENIED
    scope = scope_for(user, code)
    if permission.scope is ScopeKind.PERSON:
        if person is None:
            # A list or a creation form: allowed where the scope reaches; selectors filter rows.
            if facility is not None:
                return Decision(scope.covers_facility(facility))
            return Decision(not scope.is_empty)
        if scope.covers_placements(person.organisation_id, person_placements(person)):
            return Decision(True)
        grant = current_break_glass(user, person)
        if grant is not None and any(g.allows(permission) for g in grants):
            return Decision(True, break_glass=True, reason=grant.reason, grant=grant)
        return DENIED
    if permission.scope is ScopeKind.FACILITY:
        if facility is not None:
            return Decision(scope.covers_facility(facility))
        if organisation is not None:
            # Anywhere in that organisation (e.g. break-the-glass within one's employer).
            return Decision(
                any(g.organisation_id == organisation.pk and g.allows(permission) for g in grants)
            )
        return Decision(not scope.is_empty)
    # Organisation scope.
    if organisation is None:
        return Decision(bool(scope.organisation_ids))
    return Decision(organisation.pk in scope.organisation_ids)


def require(user: Any, code: str, *, message: str | None = None, **target: Any) -> Decision:
    """`check()` for services: the decision when allowed, else PermissionDenied (with
    `message`, or the permission code). Views use core.authz.authorize, which also
    records the refusal in the audit trail."""
    decision = check(user, code, **target)
    if not decision:
        raise PermissionDenied(message or code)
    return decision


def has_anywhere(user: Any, code: str) -> bool:
    """True when some current assignment grants `code` (to show or hide navigation).

    As in `scope_for`, an organisation permission only comes from an organisation-wide
    assignment: a director of one facility whose role holds it does not get it.
    """
    permission = CATALOGUE[code]
    organisation_only = permission.scope is ScopeKind.ORGANISATION
    return any(
        g.allows(permission) and not (organisation_only and g.facility_id is not None)
        for g in grants_of(user)
    )
