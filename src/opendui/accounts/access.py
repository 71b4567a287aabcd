"""The one place that answers "may user U do P on person X / facility F / organisation O?".

Grants come from the user's current assignments (role × scope). Every view and
service asks `check()` (or `authorize()` in views); list selectors build their
filter from `scope_for()`, so what a list shows and what a page allows agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, IntegerField, OuterRef, Q, Value
from django.utils import timezone

from .permissions import CATALOGUE, Permission, ScopeKind, get_permission, level_allows

if TYPE_CHECKING:
    from opendui.organisations.models import Facility, ManagingOrganisation
    from opendui.persons.models import Person

    from .models import BreakGlassGrant

_GRANTS_CACHE = "_opendui_grants"
_LINKED_GRANTS_CACHE = "_opendui_linked_grants"
_LINKED_PERSONS_CACHE = "_opendui_linked_persons"
ARCHIVED = "person.view_archived"


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


def _grant(
    assignment: Any,
    *,
    facility_id: int | None,
    unit_id: int | None,
    facility: Facility | None = None,
) -> Grant:
    """A Grant from an assignment row (facility-scoped or linked-persons) and its role:
    the scope is passed explicitly so that a linked-persons grant can never carry one."""
    role = assignment.role
    return Grant(
        role_code=role.code,
        role_name=role.name,
        permissions=frozenset(role.permissions),
        data_access=dict(role.data_access),
        organisation_id=assignment.organisation_id,
        facility_id=facility_id,
        unit_id=unit_id,
        requires_totp=role.requires_totp,
        facility=facility,
    )


def grants_of(user: Any) -> tuple[Grant, ...]:
    """The user's grants today, loaded once per user object (one query, with the
    assignments' facilities)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = user.__dict__.get(_GRANTS_CACHE)
    if cached is None:
        from .models import Assignment

        cached = tuple(
            _grant(a, facility_id=a.facility_id, unit_id=a.unit_id, facility=a.facility)
            for a in Assignment.objects.active_on()
            .filter(user=user)
            .select_related("role", "facility__category")
        )
        user.__dict__[_GRANTS_CACHE] = cached
    return cached


def linked_grants_of(user: Any) -> tuple[Grant, ...]:
    """The user's linked-persons grants today (accounts.LinkedPersonsAssignment), loaded
    once per user object. Kept out of `grants_of` on purpose: every reader of those
    takes a grant without facility for an organisation-wide one. These only ever give
    person-level permissions on the persons the user follows (`scope_for`)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    if not getattr(user, "has_linked_access", False):
        return ()  # no query for the professionals of the organisation
    cached = user.__dict__.get(_LINKED_GRANTS_CACHE)
    if cached is None:
        from .models import LinkedPersonsAssignment

        cached = tuple(
            _grant(a, facility_id=None, unit_id=None)
            for a in LinkedPersonsAssignment.objects.active_on()
            .filter(user=user)
            .select_related("role")
        )
        user.__dict__[_LINKED_GRANTS_CACHE] = cached
    return cached


def _linked_persons(user: Any) -> tuple[tuple[int, int], ...]:
    """(person id, organisation id) of the persons the user follows today, one query,
    cached on the user object; none without a linked-persons grant."""
    if not linked_grants_of(user):
        return ()
    cached = user.__dict__.get(_LINKED_PERSONS_CACHE)
    if cached is None:
        from opendui.persons.models import Person

        from .linked_persons import linked_persons_q

        cached = tuple(
            Person.objects.filter(linked_persons_q(user, timezone.localdate()))
            .order_by()
            .values_list("pk", "organisation_id")
        )
        user.__dict__[_LINKED_PERSONS_CACHE] = cached
    return cached


def linked_person_ids(user: Any, permission: Permission) -> frozenset[int]:
    """The followed persons on which a linked-persons grant gives `permission`: a
    person-level permission only, and only in the organisation of the assignment."""
    if permission.scope is not ScopeKind.PERSON:
        return frozenset()
    organisations = {g.organisation_id for g in linked_grants_of(user) if g.allows(permission)}
    if not organisations:
        return frozenset()
    return frozenset(pk for pk, org in _linked_persons(user) if org in organisations)


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after assignments or roles change)."""
    user.__dict__.pop(_GRANTS_CACHE, None)
    user.__dict__.pop(_LINKED_GRANTS_CACHE, None)
    user.__dict__.pop(_LINKED_PERSONS_CACHE, None)


class Coverage(StrEnum):
    """How a scope reaches a person: through a current placement, or only through an
    archived one (person.view_archived)."""

    CURRENT = "current"
    ARCHIVED = "archived"


# (facility_id, unit_id, end): a facility placement has no unit (end: Placement.ended_on),
# a unit placement is a stay in that unit (end: the stay's end date). None: not ended.
PlacementRow = tuple[int, int | None, "dt.date | None"]


@dataclass(frozen=True)
class Scope:
    """Where a permission holds: whole organisations, facilities, or units (with their facility).

    In a facility or unit, a person is in scope while *current* there: a stay not ended
    or a request open there, or one ended on or after `current_since` (stays/archiving.py);
    afterwards the record is *archived* for that facility and opens only in
    `archived_facility_ids` / `archived_unit_ids`, where the user also holds
    `person.view_archived`. `current_since=None` keeps every placement current.
    Organisation-wide assignments reach every person of the organisation.
    `person_ids`: the persons an external professional follows (linked-persons
    assignments), reached as current while the link is; never a facility.
    """

    organisation_ids: frozenset[int] = frozenset()
    facility_ids: frozenset[int] = frozenset()
    units: frozenset[tuple[int, int]] = frozenset()  # (facility_id, unit_id)
    archived_facility_ids: frozenset[int] = frozenset()
    archived_unit_ids: frozenset[int] = frozenset()
    current_since: dt.date | None = None
    person_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.organisation_ids or self.facility_ids or self.units or self.person_ids)

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(unit for _, unit in self.units)

    @property
    def reaches_archives(self) -> bool:
        """Whether archived records open somewhere (the lists' "include archived" filter)."""
        return bool(self.organisation_ids or self.archived_facility_ids or self.archived_unit_ids)

    def covers_facility(self, facility: Facility) -> bool:
        """Facility-level permissions: any assignment in the facility (unit included) counts."""
        return (
            facility.organisation_id in self.organisation_ids
            or facility.pk in self.facility_ids
            or any(f == facility.pk for f, _ in self.units)
        )

    def _current(self, end: dt.date | None) -> bool:
        return end is None or self.current_since is None or end >= self.current_since

    def coverage(
        self,
        organisation_id: int,
        placements: list[PlacementRow],
        person_id: int | None = None,
    ) -> Coverage | None:
        """Person-level permissions: CURRENT when the person belongs to a covered
        organisation, is current in a covered facility or unit, or is followed
        (`person_ids`); ARCHIVED when only archived placements where archives open reach
        them; None when out of scope."""
        if organisation_id in self.organisation_ids:
            return Coverage.CURRENT
        if person_id is not None and person_id in self.person_ids:
            return Coverage.CURRENT
        unit_ids = self.unit_ids
        archived = False
        for facility_id, unit_id, end in placements:
            if unit_id is None:
                reached = facility_id in self.facility_ids
                opens_archives = facility_id in self.archived_facility_ids
            else:
                reached = unit_id in unit_ids
                opens_archives = unit_id in self.archived_unit_ids
            if not reached:
                continue
            if self._current(end):
                return Coverage.CURRENT
            archived = archived or opens_archives
        return Coverage.ARCHIVED if archived else None

    def _placements_q(self, facility_ids: set[int], archived: bool) -> Q | None:
        """Placement rows in `facility_ids`: current ones, and with `archived` the archived
        ones where archives open. One condition on one table: the EXISTS stays a probe of
        the (person, facility) index, or a scan of the (facility, person, ended_on) one."""
        if not facility_ids:
            return None
        whole = facility_ids & self.archived_facility_ids if archived else set()
        condition = Q(facility_id__in=sorted(whole)) if whole else Q(pk__in=[])
        if rest := facility_ids - whole:
            current = Q(facility_id__in=sorted(rest))
            if self.current_since is not None:
                current &= Q(ended_on__isnull=True) | Q(ended_on__gte=self.current_since)
            condition |= current
        return condition

    def _stays_q(self, unit_ids: set[int], archived: bool) -> Q | None:
        """Stays in `unit_ids`, current ones (and with `archived`, archived ones where
        archives open)."""
        if not unit_ids:
            return None
        whole = unit_ids & self.archived_unit_ids if archived else set()
        condition = Q(unit_id__in=sorted(whole)) if whole else Q(pk__in=[])
        if rest := unit_ids - whole:
            current = Q(unit_id__in=sorted(rest))
            if self.current_since is not None:
                current &= Q(end_date__isnull=True) | Q(end_date__gte=self.current_since)
            condition |= current
        return condition

    def persons_filter(self, facility: Facility | None = None, *, archived: bool = False) -> Q:
        """A Q over Person selecting the persons in scope (optionally within one facility).

        A person is placed in a facility by a stay there or by an admission request to it
        (the team studies the file before admitting), both read from stays.Placement; in
        a unit by a stay only. Lists show current persons; with `archived`, also those
        archived where the user may open archives (the record page's `check()` reaches
        both). Organisation-wide assignments see every person of the organisation, and
        within one facility every person placed there (current, or with `archived` any).
        Followed persons (`person_ids`) are listed outside any facility only: a
        linked-persons scope covers no facility (`covers_facility`), so the lists of one
        facility are not open to it.
        """
        from opendui.stays.models import Placement, Stay

        stays = Stay.objects.filter(person=OuterRef("pk"))
        placements = Placement.objects.filter(person=OuterRef("pk"))

        if facility is not None:
            if facility.organisation_id in self.organisation_ids:
                whole = (
                    self
                    if not archived
                    else replace(
                        self, archived_facility_ids=self.archived_facility_ids | {facility.pk}
                    )
                )
                condition = whole._placements_q({facility.pk}, archived)
                return Q(Exists(placements.filter(condition)))
            if facility.pk in self.facility_ids:
                return Q(Exists(placements.filter(self._placements_q({facility.pk}, archived))))
            units = {u for f, u in self.units if f == facility.pk}
            if not units:
                return Q(pk__in=[])
            return Q(Exists(stays.filter(self._stays_q(units, archived))))
        condition = Q(pk__in=[])
        if self.organisation_ids:
            condition |= Q(organisation_id__in=self.organisation_ids)
        if self.facility_ids:
            in_facilities = self._placements_q(set(self.facility_ids), archived)
            condition |= Q(Exists(placements.filter(in_facilities)))
        if self.units:
            condition |= Q(Exists(stays.filter(self._stays_q(set(self.unit_ids), archived))))
        if self.person_ids:
            condition |= Q(pk__in=sorted(self.person_ids))
        return condition


def scope_for(user: Any, code: str) -> Scope:
    """The scope of `code` for `user`; for person permissions, with the facilities and
    units where archived records open too (the user also holds person.view_archived there)
    and the day from which placements are current."""
    permission = get_permission(code)
    organisations, facilities, units = _reach(user, permission)
    if permission.scope is ScopeKind.ORGANISATION:
        # Organisation permissions only come from organisation-wide assignments.
        return Scope(frozenset(organisations))
    if permission.scope is not ScopeKind.PERSON:
        return Scope(frozenset(organisations), frozenset(facilities), frozenset(units))
    from opendui.stays.archiving import current_since

    followed = linked_person_ids(user, permission)
    archive_orgs, archive_facilities, archive_units = _reach(user, get_permission(ARCHIVED))
    organisation_of = {g.facility_id: g.organisation_id for g in grants_of(user) if g.facility_id}
    return Scope(
        frozenset(organisations),
        frozenset(facilities),
        frozenset(units),
        archived_facility_ids=frozenset(
            f
            for f in facilities
            if f in archive_facilities or organisation_of.get(f) in archive_orgs
        ),
        archived_unit_ids=frozenset(
            u
            for f, u in units
            if (f, u) in archive_units
            or f in archive_facilities
            or organisation_of.get(f) in archive_orgs
        ),
        current_since=current_since(settings.ACCESS_AFTER_DISCHARGE_DAYS, timezone.localdate()),
        person_ids=followed,
    )


def _reach(user: Any, permission: Permission) -> tuple[set, set, set]:
    """Organisations, facilities and (facility, unit) pairs of the user's grants of
    `permission` (linked-persons grants never count here: they reach no place)."""
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
    return organisations, facilities, units


@dataclass(frozen=True)
class Decision:
    allowed: bool
    break_glass: bool = False
    reason: str = ""
    grant: BreakGlassGrant | None = field(default=None, compare=False)
    # Allowed through an archived placement only (person.view_archived): the page says so.
    archived: bool = False

    def __bool__(self) -> bool:
        return self.allowed


DENIED = Decision(False)


def person_placements(person: Person) -> list[PlacementRow]:
    """The person's placements as the scope reads them, in one query, cached on the
    instance: (facility_id, None, end) per facility from stays.Placement (a stay or an
    admission request there, see Scope.persons_filter), and (facility_id, unit_id, end)
    per stay in a unit."""
    cached = person.__dict__.get("_opendui_placements")
    if cached is None:
        from opendui.stays.models import Placement, Stay

        facilities = (
            Placement.objects.filter(person=person)
            .order_by()
            .values_list("facility_id", Value(None, output_field=IntegerField()), "ended_on")
        )
        units = (
            Stay.objects.filter(person=person, unit__isnull=False)
            .order_by()
            .values_list("facility_id", "unit_id", "end_date")
        )
        cached = list(facilities.union(units, all=True).order_by())
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
    if not grants and not linked_grants_of(user):
        return DENIED
    scope = scope_for(user, code)
    if permission.scope is ScopeKind.PERSON:
        if person is None:
            # A list or a creation form: allowed where the scope reaches; selectors filter rows.
            if facility is not None:
                return Decision(scope.covers_facility(facility))
            return Decision(not scope.is_empty)
        coverage = scope.coverage(person.organisation_id, person_placements(person), person.pk)
        if coverage is not None:
            return Decision(True, archived=coverage is Coverage.ARCHIVED)
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
    assignment: a director of one facility whose role holds it does not get it; a
    linked-persons assignment gives person-level permissions only.
    """
    permission = CATALOGUE[code]
    organisation_only = permission.scope is ScopeKind.ORGANISATION
    if any(
        g.allows(permission) and not (organisation_only and g.facility_id is not None)
        for g in grants_of(user)
    ):
        return True
    # Linked-persons grants: person-level permissions only.
    return permission.scope is ScopeKind.PERSON and any(
        g.allows(permission) for g in linked_grants_of(user)
    )
