"""The one place every grant goes through: nobody widens their own access.

An assignment, a role change or the reactivation of an account that widens access to
persons' data, to the audit trail or to the grants themselves (grant_rules: what is
*sensitive*) does not take effect when the administrator saves it: it becomes a
`GrantRequest` that someone else with authority over its scope approves, refuses, or
lets expire (`OPENDUI_GRANT_APPROVAL_DAYS`). Until then the assignment is PENDING,
which `Assignment.objects.active_on()` (and so `access.grants_of`) never counts; the
role keeps its former rights; the account stays closed. Grants that widen nothing
sensitive take effect at once; giving oneself an assignment is always refused.

Who decides (`decision_problem`): a holder of `grants.approve` (the director role by
default) assigned to the whole facility of the assignment or to its organisation; an
organisation-wide holder (the directeur général) for organisation-wide assignments,
for rights to the audit trail or to administration (`grant_rules.MANAGEMENT`), for
role changes (roles are installation-wide: in every organisation using the role) and
for reactivations reaching several facilities. Never the requester, never the person
the grant widens (the grantee, or a holder of the role being widened): a small
organisation with one administrator works, since the approver is another person, not
another administrator.

Accounts: an administrator may not take over an account that has (or had) sensitive
access (`is_protected_account`, grant_rules): no temporary password for it
(`refuse_temporary_password`, a security event), and a change of its login e-mail is a
request of kind LOGIN_EMAIL (`request_login_email_change`), approved under the same rules
as a grant of that account's access; the old address is told when it is asked and when
it takes effect (accounts.notices).

Every step is a change event in the audit trail: "grant.request", "grant.approve",
"grant.refuse", "grant.cancel", "grant.expire" (with the assignment, role or account
change it carries), and "grant.self_refused" for an attempt to assign oneself.

Expiry: the nightly job `expire_grant_requests` (jobs/schedule.py) stores the status
of requests past their date and withdraws their assignments, audited; until it runs,
a request past its date is shown as expired and cannot be approved (`is_open`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, check_version, save_audited

from . import grant_rules
from .access import grants_of, scope_for
from .errors import AdminRefused
from .grant_rules import Holding, Widening
from .models import (
    Assignment,
    AssignmentStatus,
    GrantKind,
    GrantRequest,
    GrantStatus,
    LinkedPersonsAssignment,
    Role,
    User,
)
from .notices import notify_owner
from .permissions import FUNCTIONAL_PERMISSIONS

APPROVE = "grants.approve"
SELF_ASSIGNMENT = (
    "Personne ne peut s'attribuer une affectation à soi-même : un autre administrateur "
    "doit la créer. Rien n'a été enregistré."
)


def approval_delay() -> dt.timedelta:
    return dt.timedelta(days=settings.GRANT_APPROVAL_DAYS)


def _file(actor: Actor, **fields: Any) -> GrantRequest:
    """Record a new pending request by `actor`, dated and audited ("grant.request").

    Its approval delay starts now; the audit event names the organisation and the
    facility whose director approves (None: the organisation's).
    """
    now = timezone.now()
    request = GrantRequest(
        requested_by=actor.user, requested_at=now, expires_at=now + approval_delay(), **fields
    )
    save_audited(
        actor,
        request,
        "grant.request",
        organisation_id=request.organisation_id,
        facility_id=request.approval_facility_id,
    )
    return request


def role_widening(role: Role) -> Widening:
    """What giving `role` to someone opens that is sensitive (empty: takes effect at once)."""
    return grant_rules.sensitive_part(role.permissions, role.data_access)


def _not_ended(day: dt.date | None = None) -> Q:
    day = day or timezone.localdate()
    return Q(end_date__isnull=True) | Q(end_date__gte=day)


def _ordered(codes: Iterable[str]) -> list[str]:
    """Functional permission codes in catalogue order (as the role form saves them)."""
    wanted = set(codes)
    return [p.code for p in FUNCTIONAL_PERMISSIONS if p.code in wanted]


# --------------------------------------------------------------------------- assignments


def refuse_self_assignment(actor: Actor, target: User, organisation_id: int | None) -> None:
    """Refuse, and record the attempt, when an administrator targets their own account.

    Called before the service's transaction, so the security event outlives the refusal."""
    if actor.user is None or target.pk != actor.user.pk:
        return
    record(
        actor,
        EventKind.SECURITY,
        "grant.self_refused",
        obj=target,
        organisation_id=organisation_id,
        details={"kind": GrantKind.ASSIGNMENT.value},
    )
    raise AdminRefused(SELF_ASSIGNMENT)


def give_assignment(
    actor: Actor, assignment: Assignment, *, new_account: bool = False
) -> GrantRequest | None:
    """Save a validated new assignment: in force at once when its role opens nothing
    sensitive, else PENDING with the request that awaits approval (returned).

    The caller holds a transaction and has checked `accounts.manage`."""
    if actor.user is None:
        raise PermissionDenied("grants: no requester")
    if assignment.user_id == actor.user.pk:
        raise AdminRefused(SELF_ASSIGNMENT)
    widening = role_widening(assignment.role)
    organisation_id = assignment.organisation_id
    if not widening:
        assignment.status = AssignmentStatus.ACTIVE
        save_audited(actor, assignment, "assignment.create", organisation_id=organisation_id)
        return None
    assignment.status = AssignmentStatus.PENDING
    save_audited(actor, assignment, "assignment.create", organisation_id=organisation_id)
    request = _file(
        actor,
        kind=GrantKind.ASSIGNMENT,
        organisation_id=organisation_id,
        approval_facility_id=(
            None
            if assignment.facility_id is None or widening.organisation_level
            else assignment.facility_id
        ),
        assignment=assignment,
        grantee_id=assignment.user_id,
        new_account=new_account,
    )
    return request


def give_creator_role(actor: Actor, assignment: Assignment) -> Assignment:
    """The creator of a new organisation receives in it, organisation-wide, a role they
    already hold organisation-wide elsewhere (organisations.services.create_organisation).

    The one grant to oneself: the organisation has just been created, so it has no
    record, no professional and no approver yet, and the creator gets no right they did
    not hold already. Anything else is refused."""
    user = actor.user
    if user is None or assignment.user_id != user.pk or assignment.facility_id is not None:
        raise PermissionDenied("grants: creator role")
    held = {g.role_code for g in grants_of(user) if g.facility_id is None}
    if assignment.role.code not in held:
        raise PermissionDenied("grants: creator role not held")
    if Assignment.objects.filter(organisation_id=assignment.organisation_id).exists():
        raise PermissionDenied("grants: organisation already staffed")
    assignment.status = AssignmentStatus.ACTIVE
    save_audited(actor, assignment, "assignment.create", organisation_id=assignment.organisation_id)
    return assignment


# --------------------------------------------------------------------------- roles


def open_role_change(role: Role) -> GrantRequest | None:
    return (
        GrantRequest.objects.filter(
            kind=GrantKind.ROLE_CHANGE,
            role=role,
            status=GrantStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .order_by("-pk")
        .first()
    )


def hold_back_widening(
    role: Role, before_permissions: list[str], before_access: dict[str, str]
) -> Widening:
    """Split a role edit: leave on `role` what may take effect at once (narrowings and
    non-sensitive additions) and return the sensitive widening, which waits for the
    directeur général (`request_role_change`)."""
    widening = grant_rules.widening(
        before_permissions, before_access, role.permissions, role.data_access
    )
    if not widening:
        return widening
    pending = open_role_change(role)
    if pending is not None:
        raise AdminRefused(
            f"Un élargissement de ce rôle attend déjà une approbation (demande n° {pending.pk}) : "
            "attendez la décision ou annulez la demande avant d'en faire une autre. "
            "Rien n'a été enregistré.",
            field="permissions",
        )
    permissions, matrix = grant_rules.without_widening(
        before_permissions, before_access, role.permissions, role.data_access
    )
    role.permissions = _ordered(permissions)
    role.data_access = matrix
    return widening


def request_role_change(
    actor: Actor, role: Role, widening: Widening, organisation_id: int
) -> GrantRequest:
    """Record a role's sensitive widening as a request for the directeur général."""
    if actor.user is None:
        raise PermissionDenied("grants: no requester")
    request = _file(
        actor,
        kind=GrantKind.ROLE_CHANGE,
        organisation_id=organisation_id,
        role=role,
        added_permissions=_ordered(widening.permissions),
        raised_levels=dict(widening.levels),
    )
    return request


# --------------------------------------------------------------------------- reactivation


def _sensitive_assignments(user_id: int) -> list[tuple[Assignment, Widening]]:
    rows = (
        Assignment.objects.filter(_not_ended(), user_id=user_id, status=AssignmentStatus.ACTIVE)
        .select_related("role")
        .order_by("pk")
    )
    return [(a, w) for a in rows if (w := role_widening(a.role))]


def request_reactivation(actor: Actor, user: User, organisation_id: int) -> GrantRequest | None:
    """Reopening an account gives back its assignments: when one of them is sensitive,
    the account stays closed until approved (the request is returned); else None and
    the caller reopens it at once."""
    if actor.user is None:
        raise PermissionDenied("grants: no requester")
    sensitive = _sensitive_assignments(user.pk)
    if not sensitive:
        return None
    pending = GrantRequest.objects.filter(
        kind=GrantKind.REACTIVATION, grantee=user, status=GrantStatus.PENDING
    ).first()
    if pending is not None and pending.is_open():
        raise AdminRefused(
            f"La réactivation de ce compte attend déjà une approbation (demande n° {pending.pk})."
        )
    if pending is not None:  # past its date, not yet stored as expired by the nightly job
        _expire(pending, timezone.now())
    facilities = {
        None if a.facility_id is None or w.organisation_level else a.facility_id
        for a, w in sensitive
    }
    request = _file(
        actor,
        kind=GrantKind.REACTIVATION,
        organisation_id=organisation_id,
        approval_facility_id=next(iter(facilities)) if len(facilities) == 1 else None,
        grantee=user,
    )
    return request


# --------------------------------------------------------------------------- accounts

TEMPORARY_REFUSAL_MESSAGE = (
    "Ce professionnel a ou a eu accès aux données des personnes accompagnées, au journal "
    "d'audit ou aux droits d'administration : un mot de passe temporaire, que vous verriez, "
    "n'est pas possible pour son compte. Seul un lien à usage unique envoyé à sa propre "
    "adresse e-mail peut réinitialiser son mot de passe. Rien n'a été modifié."
)


def _holdings(user_id: int) -> list[tuple[Assignment, Holding]]:
    """The account's assignments that took effect or wait for approval, with their roles
    as grant_rules sees them (one query)."""
    today = timezone.localdate()
    rows = (
        Assignment.objects.filter(user_id=user_id)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .select_related("role", "organisation", "facility", "unit")
        .order_by("pk")
    )
    return [
        (
            a,
            Holding(
                status=a.status,
                ended=a.end_date is not None and a.end_date < today,
                permissions=tuple(a.role.permissions),
                data_access=dict(a.role.data_access),
            ),
        )
        for a in rows
    ]


def is_sensitive_account(user: User) -> bool:
    """The account holds (active or pending) an assignment with a sensitive role."""
    return grant_rules.is_sensitive_account(h for _, h in _holdings(user.pk))


def is_protected_account(user: User) -> bool:
    """Sensitive, or was: no administrator alone may hand its login to someone else."""
    return grant_rules.is_protected_account(h for _, h in _holdings(user.pk))


def account_access(user: User) -> Widening:
    """The sensitive access the account holds or waits for (what its login opens)."""
    return grant_rules.account_access(h for _, h in _holdings(user.pk))


def held_access(user: User) -> tuple[list[Assignment], Widening]:
    """The account's assignments in force or pending (not ended) and the sensitive access
    they give, for the approval page of a new login e-mail (one query)."""
    holdings = _holdings(user.pk)
    return [a for a, h in holdings if h.held], grant_rules.account_access(h for _, h in holdings)


def _account_scopes(user_id: int) -> set[tuple[int, int | None]]:
    """Who must approve a change of how the account logs in: as for a grant of its
    sensitive assignments (held ones; an account that only had some, as for those)."""
    sensitive = [(a, h) for a, h in _holdings(user_id) if h.sensitive]
    chosen = [(a, h) for a, h in sensitive if h.held] or sensitive
    return {
        (
            a.organisation_id,
            None if a.facility_id is None or h.sensitive.organisation_level else a.facility_id,
        )
        for a, h in chosen
    }


def refuse_temporary_password(actor: Actor, target: User, organisation_id: int | None) -> None:
    """Refuse, and record as a security event, a temporary password for a protected
    account: the administrator would see it and could log in as the account.

    Called before the service's transaction, so the event outlives the refusal."""
    record(
        actor,
        EventKind.SECURITY,
        "auth.temporary_password_refused",
        obj=target,
        organisation_id=organisation_id,
        details={"reason": "sensitive_account"},
    )
    raise AdminRefused(TEMPORARY_REFUSAL_MESSAGE, field="mode")


def open_login_email_change(user: User) -> GrantRequest | None:
    return open_only(GrantRequest.objects.filter(kind=GrantKind.LOGIN_EMAIL, grantee=user)).first()


def latest_login_email_change(user: User) -> GrantRequest | None:
    """The newest change of login e-mail asked for the account, whatever its state."""
    return (
        GrantRequest.objects.filter(kind=GrantKind.LOGIN_EMAIL, grantee=user)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
        .first()
    )


def request_login_email_change(
    actor: Actor, user: User, new_email: str, organisation_id: int
) -> GrantRequest:
    """Record the change of a protected account's login e-mail as a request; the login
    e-mail stays the current one until approved, and the current address is told.

    The caller holds a transaction, has locked `user`, checked accounts.manage and
    normalised `new_email` (different from the current one)."""
    if actor.user is None:
        raise PermissionDenied("grants: no requester")
    pending = GrantRequest.objects.filter(
        kind=GrantKind.LOGIN_EMAIL, grantee=user, status=GrantStatus.PENDING
    ).first()
    if pending is not None and pending.is_open():
        raise AdminRefused(
            "Un changement d'adresse de connexion de ce compte attend déjà une approbation "
            f"(demande n° {pending.pk}) : attendez la décision ou annulez la demande avant "
            "d'en faire une autre. Rien n'a été enregistré.",
            field="email",
        )
    if pending is not None:  # past its date, not yet stored as expired by the nightly job
        _expire(pending, timezone.now())
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise AdminRefused("Un professionnel avec cette adresse e-mail existe déjà.", field="email")
    if open_only(
        GrantRequest.objects.filter(kind=GrantKind.LOGIN_EMAIL, new_email__iexact=new_email)
    ).exists():
        raise AdminRefused(
            "Cette adresse est déjà demandée comme adresse de connexion d'un autre compte. "
            "Rien n'a été enregistré.",
            field="email",
        )
    facilities = {facility for _, facility in _account_scopes(user.pk)}
    request = _file(
        actor,
        kind=GrantKind.LOGIN_EMAIL,
        organisation_id=organisation_id,
        approval_facility_id=next(iter(facilities)) if len(facilities) == 1 else None,
        grantee=user,
        old_email=user.email,
        new_email=new_email,
    )
    notify_owner(user, "login_email_requested", by=actor.user, request=request)
    return request


def file_linked_access(
    actor: Actor, linked: LinkedPersonsAssignment, *, new_account: bool = False
) -> GrantRequest:
    """File the approval request of an external professional's PENDING access to the
    persons they follow. Organisation scope: their persons may live in any facility, so
    only an organisation-wide approver (the directeur général) decides."""
    return _file(
        actor,
        kind=GrantKind.LINKED_ACCESS,
        organisation_id=linked.organisation_id,
        approval_facility=None,
        linked_assignment=linked,
        grantee_id=linked.user_id,
        new_account=new_account,
    )


def drop_linked_request(actor: Actor, linked: LinkedPersonsAssignment) -> None:
    """The access is closed before its approval: its pending request is cancelled and
    the assignment withdrawn (called in the closing transaction, audited)."""
    request = GrantRequest.objects.filter(linked_assignment=linked).first()
    if request is not None:
        request = _locked(request.pk)
    if request is not None and request.status == GrantStatus.PENDING:
        _close(actor, request, GrantStatus.CANCELLED, "grant.cancel")
    if linked.status == AssignmentStatus.PENDING:
        linked.status = AssignmentStatus.WITHDRAWN
        save_audited(
            actor,
            linked,
            "linked_assignment.withdraw",
            expected_version=CURRENT,  # locked by the caller
            organisation_id=linked.organisation_id,
        )


# --------------------------------------------------------------------------- who decides


def _required_scopes(request: GrantRequest) -> set[tuple[int, int | None]]:
    """(organisation, facility or None for organisation level) the approver must cover."""
    if request.kind == GrantKind.ROLE_CHANGE:
        using = Assignment.objects.filter(_not_ended(), role_id=request.role_id).exclude(
            status=AssignmentStatus.WITHDRAWN
        )
        organisations = set(using.values_list("organisation_id", flat=True))
        return {(org, None) for org in organisations | {request.organisation_id}}
    if request.kind == GrantKind.LOGIN_EMAIL:
        scopes = _account_scopes(request.grantee_id)
        if scopes:
            return scopes
    if request.kind == GrantKind.REACTIVATION:
        scopes = {
            (
                a.organisation_id,
                None if a.facility_id is None or w.organisation_level else a.facility_id,
            )
            for a, w in _sensitive_assignments(request.grantee_id)
        }
        if scopes:
            return scopes
    return {(request.organisation_id, request.approval_facility_id)}


def _beneficiaries(request: GrantRequest) -> set[int]:
    """Whose access the grant widens: the grantee, or every holder of the role."""
    if request.kind == GrantKind.ROLE_CHANGE:
        return set(
            Assignment.objects.filter(_not_ended(), role_id=request.role_id)
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .values_list("user_id", flat=True)
        )
    return {request.grantee_id}


def covers(user: Any, scopes: Iterable[tuple[int, int | None]]) -> bool:
    """Does `user` hold grants.approve over every scope? Organisation level needs an
    organisation-wide assignment; a facility, one to the whole facility or organisation
    (a unit assignment approves nothing)."""
    scope = scope_for(user, APPROVE)
    return all(
        org in scope.organisation_ids or (facility is not None and facility in scope.facility_ids)
        for org, facility in scopes
    )


def decision_problem(user: Any, request: GrantRequest) -> str | None:
    """Why `user` may not approve or refuse `request` (French), or None when they may."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "Connexion requise."
    if user.pk == request.requested_by_id:
        return (
            "Vous avez fait cette demande : une autre personne, qui a autorité sur ce "
            "périmètre, doit l'approuver."
        )
    if user.pk in _beneficiaries(request):
        if request.kind == GrantKind.LOGIN_EMAIL:
            return (
                "Ce changement concerne votre propre compte : une autre personne doit l'approuver."
            )
        return (
            "Cette habilitation élargirait vos propres accès : une autre personne doit l'approuver."
        )
    if not covers(user, _required_scopes(request)):
        return (
            "Vous n'avez pas autorité sur ce périmètre : la demande revient à la direction "
            "de l'établissement concerné, ou au directeur général pour tout l'organisme, "
            "le journal d'audit, les droits d'administration et les rôles."
        )
    return None


def _managed(user: Any) -> frozenset[int]:
    return (
        scope_for(user, "accounts.manage").organisation_ids
        | scope_for(user, "roles.manage").organisation_ids
    )


def may_view(user: Any, request: GrantRequest) -> bool:
    """The requester, the administrators of its organisation and those with authority to
    decide it (even when it concerns them) see a request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        user.pk == request.requested_by_id
        or request.organisation_id in _managed(user)
        or covers(user, _required_scopes(request))
    )


def may_cancel(user: Any, request: GrantRequest) -> bool:
    """The requester, or another administrator of the organisation (a cancellation only
    narrows)."""
    return bool(user is not None and user.is_authenticated) and (
        user.pk == request.requested_by_id or request.organisation_id in _managed(user)
    )


# --------------------------------------------------------------------------- decisions


def _locked(pk: int) -> GrantRequest:
    return GrantRequest.objects.select_for_update().get(pk=pk)


def _still_open(request: GrantRequest, expected_version: ExpectedVersion | None) -> None:
    check_version(request.version, expected_version)
    if request.status != GrantStatus.PENDING:
        raise AdminRefused(
            f"Cette demande est déjà {request.get_status_display()} : rien n'a été modifié."
        )
    if not request.is_open():
        raise AdminRefused(
            "Cette demande a expiré sans décision : elle ne peut plus être approuvée. "
            "L'administrateur peut en faire une nouvelle."
        )


def _close(
    actor: Actor, request: GrantRequest, status: GrantStatus, action: str, reason: str = ""
) -> None:
    request.status = status
    request.decided_by = actor.user
    request.decided_at = timezone.now()
    request.reason = reason
    save_audited(
        actor,
        request,
        action,
        expected_version=CURRENT,  # locked by the decision, whose version was checked
        organisation_id=request.organisation_id,
        facility_id=request.approval_facility_id,
    )


def _withdraw_assignment(actor: Actor, request: GrantRequest, action: str) -> None:
    if request.linked_assignment_id is not None:
        _withdraw_linked(actor, request, action)
        return
    if request.assignment_id is None:
        return
    assignment = Assignment.objects.select_for_update().get(pk=request.assignment_id)
    if assignment.status == AssignmentStatus.PENDING:
        assignment.status = AssignmentStatus.WITHDRAWN
        save_audited(
            actor,
            assignment,
            action,
            expected_version=CURRENT,  # read under lock just above
            organisation_id=assignment.organisation_id,
        )


def _withdraw_linked(actor: Actor, request: GrantRequest, action: str) -> None:
    """A refused, cancelled or expired external access never takes effect."""
    linked = LinkedPersonsAssignment.objects.select_for_update().get(
        pk=request.linked_assignment_id
    )
    if linked.status == AssignmentStatus.PENDING:
        linked.status = AssignmentStatus.WITHDRAWN
        save_audited(
            actor,
            linked,
            f"linked_{action}",
            expected_version=CURRENT,  # read under lock just above
            organisation_id=linked.organisation_id,
        )


def _apply_linked(actor: Actor, request: GrantRequest) -> None:
    """The external professional's access takes effect (its grants are reloaded)."""
    linked = LinkedPersonsAssignment.objects.select_for_update().get(
        pk=request.linked_assignment_id
    )
    if linked.status != AssignmentStatus.PENDING:
        raise AdminRefused("Cet accès n'attend plus d'approbation.")
    linked.status = AssignmentStatus.ACTIVE
    save_audited(
        actor,
        linked,
        "linked_assignment.approve",
        expected_version=CURRENT,  # read under lock just above
        organisation_id=request.organisation_id,
    )


def _apply(actor: Actor, request: GrantRequest) -> None:
    """What the approval gives, in the approval's transaction."""
    organisation_id = request.organisation_id
    if request.kind == GrantKind.ASSIGNMENT:
        assignment = Assignment.objects.select_for_update().get(pk=request.assignment_id)
        if assignment.status != AssignmentStatus.PENDING:
            raise AdminRefused("Cette affectation n'attend plus d'approbation.")
        assignment.status = AssignmentStatus.ACTIVE
        save_audited(
            actor,
            assignment,
            "assignment.approve",
            expected_version=CURRENT,  # read under lock just above
            organisation_id=organisation_id,
        )
    elif request.kind == GrantKind.ROLE_CHANGE:
        role = Role.objects.select_for_update().get(pk=request.role_id)
        change = Widening(frozenset(request.added_permissions), dict(request.raised_levels))
        permissions, matrix = grant_rules.apply_widening(role.permissions, role.data_access, change)
        role.permissions, role.data_access = _ordered(permissions), matrix
        save_audited(
            actor, role, "role.widen", expected_version=CURRENT, organisation_id=organisation_id
        )
    elif request.kind == GrantKind.LOGIN_EMAIL:
        _change_login_email(actor, request)
    elif request.kind == GrantKind.LINKED_ACCESS:
        _apply_linked(actor, request)
    else:
        account = User.objects.select_for_update().get(pk=request.grantee_id)
        account.is_active = True
        save_audited(
            actor,
            account,
            "user.reactivate",
            expected_version=CURRENT,  # read under lock just above
            organisation_id=organisation_id,
        )
        notify_owner(account, "reactivated", by=actor.user, request=request)


def _change_login_email(actor: Actor, request: GrantRequest) -> None:
    """The approved address becomes the login e-mail; the former one is told."""
    account = User.objects.select_for_update().get(pk=request.grantee_id)
    if account.email != request.old_email:
        raise AdminRefused(
            "L'adresse de connexion de ce compte n'est plus celle de la demande : elle ne "
            "peut plus être approuvée. Rien n'a été modifié."
        )
    taken = AdminRefused(
        "Cette adresse est devenue celle d'un autre compte entre-temps : la demande ne peut "
        "plus être approuvée. Rien n'a été modifié."
    )
    if User.objects.filter(email__iexact=request.new_email).exclude(pk=account.pk).exists():
        raise taken
    account.email = request.new_email
    try:
        with transaction.atomic():
            save_audited(
                actor,
                account,
                "user.change_login_email",
                expected_version=CURRENT,  # read under lock above
                organisation_id=request.organisation_id,
            )
    except IntegrityError:  # taken by a concurrent transaction
        raise taken from None
    notify_owner(account, "login_email_changed", by=actor.user, request=request)


def approve(
    actor: Actor,
    request: GrantRequest,
    *,
    reason: str = "",
    expected_version: ExpectedVersion | None,
) -> GrantRequest:
    """Approve: the grant takes effect with its audit rows, all in one transaction."""
    with transaction.atomic():
        current = _locked(request.pk)
        problem = decision_problem(actor.user, current)
        if problem:
            raise PermissionDenied(problem)
        _still_open(current, expected_version)
        _apply(actor, current)
        _close(actor, current, GrantStatus.APPROVED, "grant.approve", reason.strip())
    return current


def refuse(
    actor: Actor, request: GrantRequest, *, reason: str, expected_version: ExpectedVersion | None
) -> GrantRequest:
    """Refuse with a reason: the assignment is withdrawn, the role and account unchanged."""
    reason = reason.strip()
    if not reason:
        raise AdminRefused("Indiquez le motif du refus.", field="reason")
    with transaction.atomic():
        current = _locked(request.pk)
        problem = decision_problem(actor.user, current)
        if problem:
            raise PermissionDenied(problem)
        _still_open(current, expected_version)
        _withdraw_assignment(actor, current, "assignment.withdraw")
        _close(actor, current, GrantStatus.REFUSED, "grant.refuse", reason)
    return current


def cancel(
    actor: Actor, request: GrantRequest, *, expected_version: ExpectedVersion | None
) -> GrantRequest:
    """Withdraw a request before its decision (the requester or an administrator)."""
    with transaction.atomic():
        current = _locked(request.pk)
        if not may_cancel(actor.user, current):
            raise PermissionDenied("grants: cancel")
        check_version(current.version, expected_version)
        if current.status != GrantStatus.PENDING:
            raise AdminRefused(
                f"Cette demande est déjà {current.get_status_display()} : rien n'a été modifié."
            )
        _withdraw_assignment(actor, current, "assignment.withdraw")
        _close(actor, current, GrantStatus.CANCELLED, "grant.cancel")
    return current


EXPIRY_ACTOR = "grants.expire"


def _expire(request: GrantRequest, now: dt.datetime) -> None:
    actor = Actor.system(EXPIRY_ACTOR)
    _withdraw_assignment(actor, request, "assignment.withdraw")
    request.status = GrantStatus.EXPIRED
    save_audited(
        actor,
        request,
        "grant.expire",
        expected_version=CURRENT,  # the nightly job locked it (expire_overdue)
        organisation_id=request.organisation_id,
        facility_id=request.approval_facility_id,
    )


def expire_overdue(now: dt.datetime | None = None) -> int:
    """Store as expired the pending requests past their date (nightly job); returns how many."""
    now = now or timezone.now()
    count = 0
    due = GrantRequest.objects.filter(status=GrantStatus.PENDING, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            current = _locked(pk)
            if current.status == GrantStatus.PENDING and current.expires_at <= now:
                _expire(current, now)
                count += 1
    return count


# --------------------------------------------------------------------------- reads


def _with_details(requests: QuerySet[GrantRequest]) -> QuerySet[GrantRequest]:
    return requests.select_related(
        "organisation",
        "approval_facility",
        "grantee",
        "requested_by",
        "decided_by",
        "role",
        "assignment__role",
        "assignment__facility",
        "assignment__unit",
        "linked_assignment__role",
    )


def awaiting(user: Any, now: dt.datetime | None = None) -> QuerySet[GrantRequest]:
    """Open requests `user` may decide, oldest first: within their grants.approve scope,
    neither made by them nor to them. (A role change of a role they hold is listed and
    refused at decision time: `decision_problem`.)"""
    scope = scope_for(user, APPROVE)
    if not (scope.organisation_ids or scope.facility_ids):
        return GrantRequest.objects.none()
    return _with_details(
        GrantRequest.objects.filter(
            Q(organisation_id__in=scope.organisation_ids)
            | Q(approval_facility_id__in=scope.facility_ids),
            status=GrantStatus.PENDING,
            expires_at__gt=now or timezone.now(),
        )
        .exclude(requested_by=user)
        .exclude(grantee=user)
    ).order_by("expires_at", "pk")


def open_only(requests: QuerySet[GrantRequest]) -> QuerySet[GrantRequest]:
    """Pending and not past their date."""
    return requests.filter(status=GrantStatus.PENDING, expires_at__gt=timezone.now())


def visible_to(user: Any) -> QuerySet[GrantRequest]:
    """Requests `user` may see in a list: made by them, in the organisations they
    administer, or within their grants.approve scope. Newest first."""
    managed = _managed(user)
    scope = scope_for(user, APPROVE)
    return _with_details(
        GrantRequest.objects.filter(
            Q(requested_by=user)
            | Q(organisation_id__in=managed | scope.organisation_ids)
            | Q(approval_facility_id__in=scope.facility_ids)
        )
    ).order_by("-requested_at", "-pk")


def pending_in_administered(user: Any, now: dt.datetime | None = None) -> QuerySet[GrantRequest]:
    """Open requests in the organisations `user` administers (the administrator's view)."""
    return GrantRequest.objects.filter(
        Q(requested_by=user) | Q(organisation_id__in=_managed(user)),
        status=GrantStatus.PENDING,
        expires_at__gt=now or timezone.now(),
    )


def pending_role_changes() -> dict[int, list[int]]:
    """Role id → ids of its open widening requests (one query, for the role list)."""
    pending: dict[int, list[int]] = {}
    rows = open_only(GrantRequest.objects.filter(kind=GrantKind.ROLE_CHANGE)).values_list(
        "role_id", "pk"
    )
    for role_id, pk in rows.order_by("pk"):
        pending.setdefault(role_id, []).append(pk)
    return pending


def beneficiaries_of_role_change(request: GrantRequest, limit: int = 20) -> tuple[list[User], int]:
    """Who the role change would widen (the first `limit`, and how many in all)."""
    holders = (
        User.objects.filter(
            assignments__in=Assignment.objects.filter(
                _not_ended(), role_id=request.role_id
            ).exclude(status=AssignmentStatus.WITHDRAWN)
        )
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    shown = list(holders[: limit + 1])
    if len(shown) <= limit:
        return shown, len(shown)
    return shown[:limit], holders.count()
