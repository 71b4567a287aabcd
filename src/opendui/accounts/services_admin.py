"""Administration of professionals, assignments and roles: every write goes through here.

Each function checks the actor's permission again (views already refused with an
audited 403), validates with the model's own rules, writes in one transaction and
records an audit change row with the before/after values (secrets never logged).

Who may manage what, when professionals and roles are shared between organisations
of the same installation:

- a professional is *visible* to an administrator (accounts.manage) who manages one of
  the organisations the professional has (or had) an assignment in; assignments are
  added and ended only in organisations the administrator manages;
- changes to the *account itself* (identity, deactivation, unlocking, second factor)
  need accounts.manage in every organisation where the professional currently works,
  since the account is shared by all of them;
- roles are installation-wide data: a role can be changed by an administrator
  (roles.manage) who manages every organisation that currently uses it, so the
  administrator of one organisation cannot widen access in another.

No account widens its own access: every new assignment, role change and reactivation
goes through accounts.grants, which refuses assigning oneself and holds back what
opens persons' data, the audit trail or the grants until a second person approves.

Nor through another account: an administrator cannot make themself able to log in as an
account that has (or had) sensitive access (grants.is_protected_account). Its password
is reset only by a one-time link to its own address (no temporary password), a new
login e-mail waits for a second person (`update_user`), and its owner is told by mail
of every reset, unlock and reactivation (accounts.notices).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from opendui.audit.services import snapshot
from opendui.core.actor import Actor
from opendui.core.services import check_version, save_audited

from . import grants
from .access import grants_of, scope_for
from .errors import AdminRefused
from .models import Assignment, GrantRequest, Role, User
from .notices import notify_owner
from .permissions import CATALOGUE, FUNCTIONAL_PERMISSIONS, AccessLevel, DataCategory

ACCOUNT_FIELDS = (
    "email",  # the login: for a protected account, changed only once approved
    "first_name",
    "last_name",
    "profession",
    "activity_role",
    "rpps",
    "adeli",
    "rpps_plus",
)
ASSIGNMENT_FIELDS = ("role", "organisation", "facility", "unit", "start_date", "end_date")
ROLE_FIELDS = ("name", "description", "requires_totp")
# Permissions an administrator may not take away from themselves (no lock-out by mistake).
SELF_PROTECTED = ("accounts.manage", "roles.manage")


# --------------------------------------------------------------------------- reads / scope


def managed_organisation_ids(user: Any, code: str = "accounts.manage") -> frozenset[int]:
    """Organisations where `user` holds `code` through an organisation-wide assignment."""
    return scope_for(user, code).organisation_ids


def users_managed_by(user: Any, query: str = "") -> QuerySet[User]:
    """Professionals with an assignment (past, current or future) in an organisation `user`
    manages, filtered by name or e-mail, each with `current_assignments` there (prefetched)."""
    managed = managed_organisation_ids(user)
    users = User.objects.filter(
        Exists(Assignment.objects.filter(user=OuterRef("pk"), organisation_id__in=managed))
    )
    for term in query.split():
        users = users.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    current = (
        Assignment.objects.active_on()
        .filter(organisation_id__in=managed)
        .select_related("role")
        .order_by("role__name")
    )
    return users.order_by("last_name", "first_name", "pk").prefetch_related(
        Prefetch("assignments", queryset=current, to_attr="current_assignments")
    )


def assignments_shown_to(user: Any, target: User) -> QuerySet[Assignment]:
    """The target's assignments in the organisations `user` manages, newest first."""
    return (
        Assignment.objects.filter(user=target, organisation_id__in=managed_organisation_ids(user))
        .select_related("role", "organisation", "facility", "unit__facility", "grant_request")
        .order_by("-start_date", "-pk")
    )


@dataclass(frozen=True)
class Reach:
    """Whether an administrator may act on an account or a role.

    `organisation_id` is where the change is recorded in the audit trail; when the
    action is refused, `blocking_id` names an organisation the administrator does
    not manage (None when there is none to name, e.g. an account with no assignment).
    """

    organisation_id: int | None
    blocking_id: int | None = None

    @property
    def allowed(self) -> bool:
        return self.organisation_id is not None and self.blocking_id is None


def _current_q(day: dt.date | None = None) -> Q:
    """Assignments not ended yet (current or starting later)."""
    day = day or timezone.localdate()
    return Q(end_date__isnull=True) | Q(end_date__gte=day)


def account_reach(user: Any, target: User, *, account_level: bool) -> Reach:
    """May `user` see (account_level=False) or change the account of (True) `target`?"""
    managed = managed_organisation_ids(user)
    today = timezone.localdate()
    rows = [
        (org, end is None or end >= today)
        for org, end in Assignment.objects.filter(user=target).values_list(
            "organisation_id", "end_date"
        )
    ]
    everywhere = {org for org, _ in rows}
    own = sorted(everywhere & managed)
    if not own:
        return Reach(None, min(everywhere) if everywhere else None)
    if account_level:
        elsewhere = sorted({org for org, current in rows if current} - managed)
        if elsewhere:
            return Reach(own[0], elsewhere[0])
    return Reach(own[0])


def role_reach(user: Any, role: Role) -> Reach:
    """May `user` change `role`? Needs roles.manage in every organisation using it now."""
    managed = managed_organisation_ids(user, "roles.manage")
    if not managed:
        return Reach(None)
    users_of_role = set(
        Assignment.objects.filter(_current_q(), role=role).values_list("organisation_id", flat=True)
    )
    elsewhere = sorted(users_of_role - managed)
    own = sorted(users_of_role & managed) or sorted(managed)
    return Reach(own[0], elsewhere[0] if elsewhere else None)


def roles_shared_beyond(user: Any) -> set[int]:
    """Ids of the roles `user` may not change: in use in an organisation they do not manage
    (one query, for the role list)."""
    managed = managed_organisation_ids(user, "roles.manage")
    return set(
        Assignment.objects.filter(_current_q())
        .exclude(organisation_id__in=managed)
        .values_list("role_id", flat=True)
        .distinct()
    )


def _require(reach: Reach) -> int:
    if not reach.allowed:
        raise PermissionDenied("accounts administration")
    assert reach.organisation_id is not None
    return reach.organisation_id


# --------------------------------------------------------------------------- professionals


def _locked(user_id: int) -> User:
    """The stored row, locked for the rest of the transaction (no lost concurrent update of
    the fields the login code writes: password, failure counter, TOTP counter)."""
    return User.objects.select_for_update().get(pk=user_id)


def create_user(
    actor: Actor,
    fields: Mapping[str, Any],
    password: str | None,
    assignment: Mapping[str, Any],
) -> User:
    """Create a professional together with their first assignment (so they are visible to the
    organisation that created them). No `password`: the account cannot log in by password."""
    organisation = assignment["organisation"]
    if organisation.pk not in managed_organisation_ids(actor.user):
        raise PermissionDenied("accounts.manage")
    user = User(**{name: fields[name] for name in ACCOUNT_FIELDS if name in fields})
    user.annuaire_checked_at = fields.get("annuaire_checked_at")
    user.email = User.objects.normalize_email(user.email).lower()
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    _validate(user, exclude=["password"])
    try:
        with transaction.atomic():
            save_audited(actor, user, "user.create", organisation_id=organisation.pk)
            _create_assignment(actor, user, assignment, new_account=True)
    except IntegrityError:
        raise AdminRefused(
            "Un professionnel avec cette adresse e-mail ou ce numéro RPPS existe déjà."
        ) from None
    return user


def update_user(
    actor: Actor, target: User, fields: Mapping[str, Any], expected_version: int | None
) -> User:
    """Change the identity and national identifiers of a professional's account.

    The e-mail is the login: for an account with (or that had) sensitive access, a new
    one becomes a grant request (`pending_request` on the returned user) and the current
    address stays the login until a second person approves; the other fields apply now."""
    organisation_id = _require(account_reach(actor.user, target, account_level=True))
    request: GrantRequest | None = None
    try:
        with transaction.atomic():
            user = _locked(target.pk)
            check_version(user.version, expected_version)
            stored = snapshot(user)
            current_email = user.email
            for name in (*ACCOUNT_FIELDS, "annuaire_checked_at"):
                if name in fields:
                    setattr(user, name, fields[name])
            user.email = User.objects.normalize_email(user.email).lower()
            _validate(user, exclude=["password"])
            if user.email != current_email and grants.is_protected_account(user):
                new_email, user.email = user.email, current_email
                request = grants.request_login_email_change(actor, user, new_email, organisation_id)
            if snapshot(user) != stored:
                save_audited(
                    actor,
                    user,
                    "user.update",
                    expected_version=expected_version,
                    organisation_id=organisation_id,
                )
    except IntegrityError:
        raise AdminRefused(
            "Un professionnel avec cette adresse e-mail ou ce numéro RPPS existe déjà."
        ) from None
    user.pending_request = request
    return user


def takeover_protected(target: User) -> bool:
    """Whether the account has or had sensitive access: no temporary password for it, and
    a new login e-mail waits for approval (for the pages to say so)."""
    return grants.is_protected_account(target)


def _account_action(
    actor: Actor,
    target: User,
    action: str,
    expected_version: int | None,
    change: Any,
    notice: str | None = None,
) -> User:
    organisation_id = _require(account_reach(actor.user, target, account_level=True))
    with transaction.atomic():
        user = _locked(target.pk)
        change(user)
        save_audited(
            actor, user, action, expected_version=expected_version, organisation_id=organisation_id
        )
        if notice is not None:
            notify_owner(user, notice, by=actor.user)
    return user


def deactivate_user(actor: Actor, target: User, expected_version: int | None) -> User:
    """Close the account (never deleted): no login, and open sessions end at the next request."""
    if actor.user is not None and target.pk == actor.user.pk:
        raise AdminRefused("Vous ne pouvez pas désactiver votre propre compte.")

    def change(user: User) -> None:
        user.is_active = False

    return _account_action(actor, target, "user.deactivate", expected_version, change)


def reactivate_user(actor: Actor, target: User, expected_version: int | None) -> User:
    """Reopen the account. When its assignments give access to persons' data, the audit
    trail or the grants, it stays closed until a second person approves (accounts.grants);
    `pending_request` on the returned user then names the request."""
    organisation_id = _require(account_reach(actor.user, target, account_level=True))
    with transaction.atomic():
        user = _locked(target.pk)
        check_version(user.version, expected_version)
        if user.is_active:
            raise AdminRefused("Ce compte est déjà actif.")
        request = grants.request_reactivation(actor, user, organisation_id)
        if request is None:
            user.is_active = True
            save_audited(
                actor,
                user,
                "user.reactivate",
                expected_version=expected_version,
                organisation_id=organisation_id,
            )
            notify_owner(user, "reactivated", by=actor.user)
    user.pending_request = request
    return user


def unlock_user(actor: Actor, target: User, expected_version: int | None) -> User:
    """Lift the lockouts that follow repeated login failures (from every address). The
    owner is told: unlocking again and again would otherwise let someone go on guessing
    their password unnoticed."""
    from .lockout import clear_account

    def change(user: User) -> None:
        user.locked_until = None
        user.failed_logins = 0
        clear_account(user.email)

    return _account_action(actor, target, "user.unlock", expected_version, change, "unlocked")


def reset_totp(actor: Actor, target: User, expected_version: int | None) -> User:
    """Forget the second factor (lost phone): the professional must enrol a new one at the
    next login, even when no role of theirs requires one. Allowed for every account: it
    reveals no password, and enrolment during a login comes after the password, which only
    the owner knows for a protected account (no temporary password, no new login address
    without approval). The owner is told."""

    def change(user: User) -> None:
        user.totp_secret = ""
        user.totp_confirmed_at = None
        user.totp_last_counter = 0
        user.totp_enrolment_required = True

    return _account_action(actor, target, "user.reset_totp", expected_version, change, "totp_reset")


PASSWORD_RESET_MODES = ("temporary", "link")


def reset_password(
    actor: Actor, target: User, expected_version: int | None, mode: str, origin: str
) -> str | None:
    """Reset a forgotten password; the professional must choose their own at the next login.

    `temporary`: a generated password, returned once to be shown to the administrator (it is
    stored only hashed), refused for an account with (or that had) sensitive access: the
    administrator could log in as it (grants.refuse_temporary_password, a security event).
    `link`: the old password stops working and a one-time link to choose one is mailed to
    the professional's current login address (origin: the site's scheme and host); the
    link is made by the job when it sends the mail, so the administrator never sees it.
    Open sessions end (Django ties them to the password hash). Audited; the owner is told
    (the link mail says an administrator reset the password).
    """
    from opendui.audit.models import EventKind
    from opendui.audit.services import record

    from .passwords import temporary_password
    from .tasks import send_password_link

    if mode not in PASSWORD_RESET_MODES:
        raise AdminRefused("Choisissez comment transmettre le nouveau mot de passe.", "mode")
    organisation_id = _require(account_reach(actor.user, target, account_level=True))
    if actor.user is not None and target.pk == actor.user.pk:
        raise AdminRefused(
            "Pour votre propre compte, changez votre mot de passe depuis « Sécurité du compte »."
        )
    if not target.is_active:
        raise AdminRefused("Ce compte est désactivé : réactivez-le d'abord.")
    if mode == "temporary" and grants.is_protected_account(target):
        grants.refuse_temporary_password(actor, target, organisation_id)
    password = None
    with transaction.atomic():
        user = _locked(target.pk)
        if mode == "temporary":
            password = temporary_password(user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.must_change_password = True
        save_audited(
            actor,
            user,
            "user.reset_password",
            expected_version=expected_version,
            organisation_id=organisation_id,
        )
        record(
            actor,
            EventKind.SECURITY,
            "auth.password_reset_by_admin",
            obj=user,
            details={"mode": mode},
            organisation_id=organisation_id,
        )
        if mode == "link":
            send_password_link.enqueue(user.pk, origin, "admin")
        else:
            notify_owner(user, "password_reset", by=actor.user)
    return password


# --------------------------------------------------------------------------- assignments


def _create_assignment(
    actor: Actor, user: User, fields: Mapping[str, Any], *, new_account: bool = False
) -> Assignment:
    assignment = Assignment(
        user=user, **{name: fields[name] for name in ASSIGNMENT_FIELDS if name in fields}
    )
    if assignment.organisation_id not in managed_organisation_ids(actor.user):
        raise PermissionDenied("accounts.manage")
    if assignment.start_date is None:
        assignment.start_date = timezone.localdate()
    _validate(assignment)
    # In force at once, or PENDING until a second person approves (accounts.grants).
    grants.give_assignment(actor, assignment, new_account=new_account)
    return assignment


def create_assignment(actor: Actor, target: User, fields: Mapping[str, Any]) -> Assignment:
    """Give `target` a role in a whole organisation, one facility or one unit, for a period.

    Never to oneself. When the role opens persons' data, the audit trail or the grants,
    the assignment waits for approval (status PENDING, `assignment.grant_request`)."""
    _require(account_reach(actor.user, target, account_level=False))
    organisation = fields.get("organisation")
    grants.refuse_self_assignment(actor, target, getattr(organisation, "pk", None))
    with transaction.atomic():
        return _create_assignment(actor, target, fields)


def end_assignment(
    actor: Actor, assignment: Assignment, end_date: dt.date, expected_version: int | None
) -> Assignment:
    """Set the last day of an assignment (never deleted). Access stops the day after."""
    if assignment.organisation_id not in managed_organisation_ids(actor.user):
        raise PermissionDenied("accounts.manage")
    with transaction.atomic():
        current = (
            Assignment.objects.select_for_update().select_related("role").get(pk=assignment.pk)
        )
        if current.end_date is not None and current.end_date < timezone.localdate():
            raise AdminRefused("Cette affectation est déjà terminée.")
        if current.end_date is not None and end_date > current.end_date:
            raise AdminRefused(
                "Pour prolonger une affectation, créez-en une nouvelle.", field="end_date"
            )
        if (
            actor.user is not None
            and current.user_id == actor.user.pk
            and set(current.role.permissions) & set(SELF_PROTECTED)
        ):
            raise AdminRefused(
                "Vous ne pouvez pas terminer votre propre affectation d'administration : "
                "demandez-le à un autre administrateur."
            )
        current.end_date = end_date
        _validate(current)
        save_audited(
            actor,
            current,
            "assignment.end",
            expected_version=expected_version,
            organisation_id=current.organisation_id,
        )
    return current


# --------------------------------------------------------------------------- roles


def clean_role_permissions(codes: Iterable[str]) -> list[str]:
    """Functional permission codes in catalogue order; an unknown code is refused."""
    codes = list(codes)
    functional = [p.code for p in FUNCTIONAL_PERMISSIONS]
    unknown = sorted(code for code in set(codes) if code not in functional)
    if unknown:
        raise AdminRefused(
            "Permissions inconnues ou non attribuables : " + ", ".join(unknown), field="permissions"
        )
    return [code for code in functional if code in codes]


def clean_data_access(matrix: Mapping[str, str]) -> dict[str, str]:
    """A complete data-category matrix; unknown categories or levels are refused."""
    categories = [c.value for c in DataCategory]
    levels = {level.value for level in AccessLevel}
    if set(matrix) - set(categories) or set(matrix.values()) - levels:
        raise AdminRefused("Matrice des catégories de données invalide.", field="data_access")
    return {c: matrix.get(c, AccessLevel.NONE.value) for c in categories}


def _apply_role_fields(role: Role, fields: Mapping[str, Any]) -> None:
    for name in ROLE_FIELDS:
        if name in fields:
            setattr(role, name, fields[name])
    if "permissions" in fields:
        role.permissions = clean_role_permissions(fields["permissions"])
    if "data_access" in fields:
        role.data_access = clean_data_access(fields["data_access"])


def create_role(actor: Actor, fields: Mapping[str, Any]) -> Role:
    """A custom role (not built in); its code is a unique slug."""
    managed = managed_organisation_ids(actor.user, "roles.manage")
    if not managed:
        raise PermissionDenied("roles.manage")
    role = Role(code=fields["code"], is_builtin=False)
    _apply_role_fields(role, fields)
    _validate(role)
    try:
        with transaction.atomic():
            save_audited(actor, role, "role.create", organisation_id=min(managed))
    except IntegrityError:
        raise AdminRefused("Un rôle avec ce code existe déjà.", field="code") from None
    return role


def update_role(
    actor: Actor, role: Role, fields: Mapping[str, Any], expected_version: int | None
) -> Role:
    """Change a role's name, permissions and data matrix. The code of a built-in role is fixed.

    Takes effect at each holder's next request (grants are loaded per request), except a
    sensitive widening (grant_rules), which becomes a request for the directeur général
    (`pending_request` on the returned role; accounts.grants)."""
    organisation_id = _require(role_reach(actor.user, role))
    try:
        with transaction.atomic():
            current = Role.objects.select_for_update().get(pk=role.pk)
            check_version(current.version, expected_version)
            stored = snapshot(current)
            before_permissions = list(current.permissions)
            before_access = dict(current.data_access)
            if "code" in fields and not current.is_builtin:
                current.code = fields["code"]
            _apply_role_fields(current, fields)
            # Narrowings take effect now; a sensitive widening waits for approval.
            widening = grants.hold_back_widening(current, before_permissions, before_access)
            _refuse_self_lockout(actor, current, set(before_permissions) - set(current.permissions))
            _validate(current)
            if snapshot(current) != stored:
                save_audited(
                    actor,
                    current,
                    "role.update",
                    expected_version=expected_version,
                    organisation_id=organisation_id,
                )
            current.pending_request = (
                grants.request_role_change(actor, current, widening, organisation_id)
                if widening
                else None
            )
    except IntegrityError:
        raise AdminRefused("Un rôle avec ce code existe déjà.", field="code") from None
    return current


def _refuse_self_lockout(actor: Actor, role: Role, removed: set[str]) -> None:
    """An administrator may not remove, from a role they hold, the administration right that
    no other role of theirs gives them."""
    if actor.user is None:
        return
    grants = grants_of(actor.user)
    if not any(g.role_code == role.code for g in grants):
        return
    for code in SELF_PROTECTED:
        if code not in removed:
            continue
        elsewhere = any(
            g.role_code != role.code and code in g.permissions and g.facility_id is None
            for g in grants
        )
        if not elsewhere:
            raise AdminRefused(
                "Vous ne pouvez pas retirer de votre propre rôle la permission "
                f"« {CATALOGUE[code].label} » : vous perdriez l'accès à cette administration.",
                field="permissions",
            )


# --------------------------------------------------------------------------- helpers


def _validate(instance: Any, exclude: list[str] | None = None) -> None:
    """The model's own validation (field validators, clean(), uniqueness): raises
    ValidationError with French messages per field, before anything is written."""
    instance.full_clean(exclude=exclude)
