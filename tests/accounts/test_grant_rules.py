"""What needs a second person's approval: the pure rules of accounts.grant_rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts import grant_rules as rules
from opendui.accounts.defaults import DEFAULT_ROLES
from opendui.accounts.permissions import CATALOGUE, FUNCTIONAL_PERMISSIONS, DataCategory

CATEGORIES = [c.value for c in DataCategory]
FUNCTIONAL = [p.code for p in FUNCTIONAL_PERMISSIONS]

# Written by hand: the functional permissions that open nobody's data, the audit trail
# nor the grants. Every other one needs approval; a new permission too until it is
# added here on purpose.
NOT_SENSITIVE = {
    "incident.declare",
    "evaluation.manage_models",
    "facility.view_overview",
    "pilotage.view",
    "programme.manage",
    "organisation.manage",
}
ORGANISATION_LEVEL = {
    "audit.view_person_access",
    "audit.search",
    "accounts.manage",
    "roles.manage",
    "grants.approve",
}

codes = st.sampled_from([*FUNCTIONAL, "person.view_archived", "widget.frobnicate"])
permission_lists = st.lists(codes, unique=True, max_size=12)
levels = st.sampled_from(rules.LEVELS)
matrices = st.fixed_dictionaries({c: levels for c in CATEGORIES})


def as_set(matrix: dict[str, str]) -> dict[str, int]:
    return {c: rules.rank(level) for c, level in matrix.items()}


def test_catalogue_classification_is_the_table():
    assert {c for c in FUNCTIONAL if not rules.is_sensitive_permission(c)} == NOT_SENSITIVE
    assert {c for c in FUNCTIONAL if rules.needs_organisation_approver(c)} == ORGANISATION_LEVEL
    # Category permissions follow the matrix, never a tick box: none of them is exempt.
    assert all(rules.is_sensitive_permission(c) for c in CATALOGUE if c not in FUNCTIONAL)


def test_an_unknown_permission_is_sensitive():
    assert rules.is_sensitive_permission("person.view_archived")
    assert rules.is_sensitive(["something.new"], {})


def test_every_default_role_but_none_needs_approval():
    """Every role a new installation ships opens persons' data, the audit or the grants."""
    sensitive = {
        spec["code"]
        for spec in DEFAULT_ROLES
        if rules.is_sensitive(spec["permissions"], spec["data_access"])
    }
    assert sensitive == {spec["code"] for spec in DEFAULT_ROLES}
    organisation_level = {
        spec["code"]
        for spec in DEFAULT_ROLES
        if rules.sensitive_part(spec["permissions"], spec["data_access"]).organisation_level
    }
    assert organisation_level == {"directeur", "admin", "dpo"}


def test_a_role_of_indicators_only_takes_effect_at_once():
    assert not rules.is_sensitive(
        ["pilotage.view", "facility.view_overview"], {c: "none" for c in CATEGORIES}
    )
    assert rules.is_sensitive(["pilotage.view"], {"administrative": "read"})


@given(permission_lists, matrices)
def test_sensitive_iff_a_category_or_a_sensitive_permission(permissions, matrix):
    expected = any(level != "none" for level in matrix.values()) or any(
        code not in NOT_SENSITIVE for code in permissions
    )
    assert rules.is_sensitive(permissions, matrix) is expected
    part = rules.sensitive_part(permissions, matrix)
    assert part.permissions == {c for c in permissions if c not in NOT_SENSITIVE}
    assert part.levels == {c: level for c, level in matrix.items() if level != "none"}


@given(permission_lists, matrices)
def test_nothing_widens_itself(permissions, matrix):
    assert not rules.widening(permissions, matrix, permissions, matrix)


@given(permission_lists, matrices, permission_lists, matrices)
def test_a_widening_is_what_rises(before_p, before_m, after_p, after_m):
    change = rules.widening(before_p, before_m, after_p, after_m)
    assert change.permissions == {c for c in set(after_p) - set(before_p) if c not in NOT_SENSITIVE}
    assert change.levels == {
        c: level for c, level in after_m.items() if rules.rank(level) > rules.rank(before_m[c])
    }
    narrowing = set(after_p) <= set(before_p) and all(
        rules.rank(after_m[c]) <= rules.rank(before_m[c]) for c in CATEGORIES
    )
    if narrowing:
        assert not change
    assert change.organisation_level == bool(change.permissions & ORGANISATION_LEVEL)


@given(permission_lists, matrices, permission_lists, matrices)
def test_held_back_part_widens_nothing_and_approval_restores_the_edit(
    before_p, before_m, after_p, after_m
):
    """An edit splits into what applies at once (no sensitive widening) and the widening;
    approving the widening gives exactly the edit."""
    kept_p, kept_m = rules.without_widening(before_p, before_m, after_p, after_m)
    assert not rules.widening(before_p, before_m, kept_p, kept_m)
    # Narrowings and non-sensitive additions are not held back.
    assert {c for c in after_p if c in NOT_SENSITIVE or c in before_p} <= set(kept_p)
    assert all(
        kept_m[c] == after_m[c]
        for c in CATEGORIES
        if rules.rank(after_m[c]) <= rules.rank(before_m[c])
    )
    change = rules.widening(before_p, before_m, after_p, after_m)
    final_p, final_m = rules.apply_widening(kept_p, kept_m, change)
    assert set(final_p) == set(after_p) and final_m == after_m
    assert len(final_p) == len(set(final_p))


@given(permission_lists, matrices, permission_lists, matrices)
def test_approval_never_undoes_a_later_narrowing_beyond_what_was_asked(
    before_p, before_m, now_p, now_m
):
    """Applying an approved widening to the role as it is now only adds what was asked."""
    change = rules.widening(before_p, before_m, [*before_p, "person.export"], before_m)
    final_p, final_m = rules.apply_widening(now_p, now_m, change)
    assert set(final_p) == set(now_p) | change.permissions
    assert as_set(final_m) == {
        c: max(rules.rank(now_m[c]), rules.rank(change.levels.get(c, "none"))) for c in CATEGORIES
    }


# --------------------------------------------------------------------------- accounts

statuses = st.sampled_from(["active", "pending", "withdrawn", "suspended"])
holdings = st.lists(
    st.builds(
        rules.Holding,
        status=statuses,
        ended=st.booleans(),
        permissions=permission_lists.map(tuple),
        data_access=matrices,
    ),
    max_size=6,
)


def test_which_accounts_are_sensitive():
    doctor = rules.Holding("active", False, (), {"medical": "write"})
    dashboards = rules.Holding("active", False, ("pilotage.view",), {"medical": "none"})
    admin = rules.Holding("active", False, ("accounts.manage",), {})
    assert rules.is_sensitive_account([doctor])
    assert rules.is_sensitive_account([dashboards, admin])  # administrators too
    assert not rules.is_sensitive_account([dashboards])
    assert not rules.is_sensitive_account([])
    pending = rules.Holding("pending", False, (), {"medical": "read"})
    assert rules.is_sensitive_account([pending])  # waiting for approval counts
    withdrawn = rules.Holding("withdrawn", False, (), {"medical": "read"})
    ended = rules.Holding("active", True, (), {"medical": "read"})
    assert not rules.is_sensitive_account([withdrawn, ended])
    # An account that had sensitive access stays protected; a withdrawn grant never held.
    assert rules.is_protected_account([ended]) and not rules.is_protected_account([withdrawn])


@given(holdings)
def test_an_account_is_sensitive_iff_it_holds_a_sensitive_role(account):
    held = [h for h in account if h.status != "withdrawn" and not h.ended]
    expected = any(rules.is_sensitive(h.permissions, h.data_access) for h in held)
    assert rules.is_sensitive_account(account) is expected
    assert rules.is_sensitive_account(reversed(account)) is expected  # order does not matter
    # Protected: sensitive, or held a sensitive role that has ended since.
    was = any(
        rules.is_sensitive(h.permissions, h.data_access) for h in account if h.status != "withdrawn"
    )
    assert rules.is_protected_account(account) is was
    assert not rules.is_sensitive_account(account) or rules.is_protected_account(account)


@given(holdings)
def test_account_access_is_the_union_of_its_held_sensitive_parts(account):
    access = rules.account_access(account)
    held = [h for h in account if h.held]
    assert access.permissions == {
        c for h in held for c in h.permissions if rules.is_sensitive_permission(c)
    }
    for category in CATEGORIES:
        widest = max((rules.rank(h.data_access[category]) for h in held), default=0)
        assert rules.rank(access.levels.get(category, "none")) == widest
    # Each held role's sensitive part is within the account's access.
    for h in held:
        part = h.sensitive
        assert part.permissions <= access.permissions
        assert all(
            rules.rank(level) <= rules.rank(access.levels[c]) for c, level in part.levels.items()
        )
