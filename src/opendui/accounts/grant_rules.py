"""Which grants need a second person's approval: pure rules, no Django import.

An administrator manages accounts, assignments and roles but sees no record. Any
grant they make that opens persons' data, the audit trail or the grants themselves
takes effect only once someone else with authority over its scope approves it
(accounts.grants). These functions decide what is *sensitive* and what a role
change *widens*, over plain permission codes and data-category matrices.

Deny by default: a functional permission is sensitive unless it is listed in
NOT_SENSITIVE, so a permission added to the catalogue later needs approval until
someone decides otherwise (tests/accounts/test_grant_rules.py lists the catalogue).

- Every data category above "none" is sensitive (persons' data).
- Functional permissions that read or change persons' records (`person.*`,
  `identity.merge`, `pp.validate`, `incident.manage`), the audit trail (`audit.*`)
  and the permission-management permissions (`accounts.manage`, `roles.manage`,
  `grants.approve`) are sensitive: an administrator who makes another account an
  administrator or an approver widens who can hand out access, which is widening
  access too.
- The rest give no access to anyone's data: dashboards of counts, indicators, the
  ESMS Numérique project, evaluation models, the organisation's structure, and
  declaring an incident (the declaration form only offers persons the declarer
  already sees).

The same classification says which *accounts* an administrator may not take over
(`is_sensitive_account`, `is_protected_account`): logging in as an account that holds
sensitive access is widening one's access through another account, so whatever would
let someone other than its owner authenticate as it (a temporary password shown to the
administrator, a new login e-mail) waits for a second person or is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LEVELS = ("none", "read", "write")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

NOT_SENSITIVE = frozenset(
    {
        "incident.declare",
        "evaluation.manage_models",
        "facility.view_overview",
        "pilotage.view",
        "programme.manage",
        "organisation.manage",
    }
)
# Who may hand out access: granting these is granting the power to grant.
MANAGEMENT = frozenset({"accounts.manage", "roles.manage", "grants.approve"})


def rank(level: str) -> int:
    """Order of a data-category level; an unknown level counts as the widest."""
    return _RANK.get(level, len(LEVELS))


def is_sensitive_permission(code: str) -> bool:
    return code not in NOT_SENSITIVE


def needs_organisation_approver(code: str) -> bool:
    """Audit and permission-management rights are approved at the organisation level
    (the directeur général), even in a facility assignment."""
    return code.startswith("audit.") or code in MANAGEMENT


@dataclass(frozen=True)
class Widening:
    """What a grant adds that is sensitive: functional permissions and, per data
    category, the new level when it is above the former one."""

    permissions: frozenset[str] = frozenset()
    levels: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.permissions or self.levels)

    @property
    def organisation_level(self) -> bool:
        return any(needs_organisation_approver(code) for code in self.permissions)


def sensitive_part(permissions: Iterable[str], data_access: Mapping[str, str]) -> Widening:
    """What of a role is sensitive: what granting it to someone widens, from nothing."""
    return widening((), {}, permissions, data_access)


def is_sensitive(permissions: Iterable[str], data_access: Mapping[str, str]) -> bool:
    """True when granting a role with these permissions and matrix needs approval."""
    return bool(sensitive_part(permissions, data_access))


def widening(
    before_permissions: Iterable[str],
    before_access: Mapping[str, str],
    after_permissions: Iterable[str],
    after_access: Mapping[str, str],
) -> Widening:
    """The sensitive part of going from `before` to `after`: sensitive permissions added,
    and categories whose level rises (a missing category is "none")."""
    added = frozenset(
        code
        for code in set(after_permissions) - set(before_permissions)
        if is_sensitive_permission(code)
    )
    raised = {
        category: level
        for category, level in after_access.items()
        if rank(level) > rank(before_access.get(category, "none"))
    }
    return Widening(added, dict(sorted(raised.items())))


def without_widening(
    before_permissions: Iterable[str],
    before_access: Mapping[str, str],
    after_permissions: Iterable[str],
    after_access: Mapping[str, str],
) -> tuple[list[str], dict[str, str]]:
    """`after` with its sensitive widenings left out: what may take effect at once
    (narrowings and non-sensitive additions), permissions in `after`'s order."""
    before = set(before_permissions)
    kept = [
        code for code in after_permissions if code in before or not is_sensitive_permission(code)
    ]
    matrix = {
        category: (
            level
            if rank(level) <= rank(before_access.get(category, "none"))
            else before_access.get(category, "none")
        )
        for category, level in after_access.items()
    }
    return kept, matrix


def apply_widening(
    permissions: Iterable[str], data_access: Mapping[str, str], change: Widening
) -> tuple[list[str], dict[str, str]]:
    """A role with an approved widening added to it as it is now: permissions added
    if missing, each category raised to the approved level unless already higher
    (a narrowing made since the request is not undone beyond what was approved)."""
    current = list(permissions)
    added = sorted(change.permissions - set(current))
    matrix = dict(data_access)
    for category, level in change.levels.items():
        if rank(level) > rank(matrix.get(category, "none")):
            matrix[category] = level
    return [*current, *added], matrix


# --------------------------------------------------------------------------- accounts

# An assignment whose request was refused, cancelled or expired never took effect and
# holds nothing. Every other status counts (active, pending approval, or one added to the
# model later): deny by default.
NOT_HELD = frozenset({"withdrawn"})


@dataclass(frozen=True)
class Holding:
    """One assignment of an account as these rules see it: its status, whether its last
    day is past, and its role's functional permissions and data matrix."""

    status: str
    ended: bool
    permissions: tuple[str, ...]
    data_access: Mapping[str, str]

    @property
    def held(self) -> bool:
        """In force or waiting for approval, and not ended (a future start counts)."""
        return self.status not in NOT_HELD and not self.ended

    @property
    def sensitive(self) -> Widening:
        return sensitive_part(self.permissions, self.data_access)


def union(widenings: Iterable[Widening]) -> Widening:
    """Everything several grants open together: permissions added up, each category at
    the widest level any of them gives."""
    permissions: set[str] = set()
    levels: dict[str, str] = {}
    for change in widenings:
        permissions |= change.permissions
        for category, level in change.levels.items():
            if rank(level) > rank(levels.get(category, "none")):
                levels[category] = level
    return Widening(frozenset(permissions), dict(sorted(levels.items())))


def account_access(holdings: Iterable[Holding]) -> Widening:
    """The sensitive access an account holds, or will hold once its pending assignments
    are approved."""
    return union(h.sensitive for h in holdings if h.held)


def is_sensitive_account(holdings: Iterable[Holding]) -> bool:
    """An account is sensitive when it holds (active or pending, not ended) an assignment
    whose role is sensitive: taking it over opens persons' data, the audit trail or the
    grants."""
    return bool(account_access(holdings))


def is_protected_account(holdings: Iterable[Holding]) -> bool:
    """Whether an administrator's word alone may not hand the account's login to someone
    else: it is sensitive, or it was (an ended assignment with a sensitive role).

    Why the ended ones: otherwise an administrator could end a doctor's assignments
    (a narrowing, at once), take the account over while it holds nothing, then ask for
    the doctor's role again, which an approver who knows the doctor would grant."""
    return any(h.status not in NOT_HELD and h.sensitive for h in holdings)
