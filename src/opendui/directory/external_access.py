"""Opening and closing an external professional's access to the persons they follow.

An administrator of the organisation (`accounts.manage`) ties a directory entry to an
OpenDUI account and gives that account a linked-persons assignment with a role of an
external profession (accounts.defaults.EXTERNAL_ROLE_CODES). What this may never do:

- open anything to the administrator themself;
- tie an entry to an account whose national identifier (idNat: 8 + RPPS, 0 + ADELI) is
  not the entry's: the account opens with Pro Santé Connect only (accounts.psc_only),
  so only the holder of that e-CPS can use it;
- give an account that already works inside the organisation (an assignment in force
  or to come) an external scope on top, or an external role anything facility-wide;
- choose the persons: they come from the links of the person's records
  (directory.PersonProfessional), kept by those who keep the administrative file.

Refusals are recorded in the audit trail like the openings and closings.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opendui.accounts.access import forget_grants, require
from opendui.accounts.defaults import EXTERNAL_ROLE_CODES, EXTERNAL_ROLE_PROFESSIONS
from opendui.accounts.grants import drop_linked_request, file_linked_access
from opendui.accounts.models import (
    Assignment,
    AssignmentStatus,
    LinkedPersonsAssignment,
    Role,
    User,
)
from opendui.accounts.professions import Profession
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, check_version, save_audited

from .models import ExternalProfessional

MANAGE_ACCOUNTS = "accounts.manage"


def entry_national_id(professional: ExternalProfessional) -> str:
    """The entry's idNat (idNat_PS, filled from the RPPS or ADELI by the directory)."""
    return professional.idnat_ps or ""


def refusal_reason(
    actor: Actor, professional: ExternalProfessional, account: User, role: Role
) -> str | None:
    """Why the access may not be opened (French, shown to the administrator), or None.

    Pure reading: the checks a forged form could try to get around, in one place."""
    if account.pk == actor.user.pk:
        return "Vous ne pouvez pas vous ouvrir un accès à vous-même."
    if not professional.active:
        return "Ce professionnel est désactivé dans l'annuaire."
    if not account.is_active:
        return "Ce compte OpenDUI est désactivé."
    national_id = entry_national_id(professional)
    if not national_id:
        return (
            "La fiche de l'annuaire n'a pas d'identifiant national (RPPS ou ADELI) : "
            "impossible de la rattacher à un compte."
        )
    if account.national_id != national_id:
        return (
            "L'identifiant national du compte (RPPS ou ADELI) n'est pas celui de la fiche "
            "de l'annuaire : rattachement refusé."
        )
    if role.code not in EXTERNAL_ROLE_CODES:
        return "Choisissez un rôle de professionnel extérieur."
    if EXTERNAL_ROLE_PROFESSIONS[role.code] != professional.profession_code:
        return (
            f"Le rôle « {role.name} » ne correspond pas à la profession de la fiche "
            f"({professional.profession_label or 'non renseignée'}) : les habilitations "
            "suivent la profession."
        )
    linked = professional.account_id
    if linked is not None and linked != account.pk:
        return "Cette fiche de l'annuaire est déjà rattachée à un autre compte."
    other = ExternalProfessional.objects.filter(account=account).exclude(pk=professional.pk)
    if other.exists():
        return "Ce compte est déjà rattaché à une autre fiche de l'annuaire."
    today = timezone.localdate()
    internal = Assignment.objects.filter(user=account).exclude(status="withdrawn")
    if internal.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exists():
        return (
            "Ce compte a des affectations dans l'organisme : un professionnel extérieur "
            "a son propre compte, ouvert avec Pro Santé Connect seulement."
        )
    return None


PROFESSIONS = {"10": Profession.MEDECIN, "60": Profession.INFIRMIER, "70": Profession.KINE}


def account_of(professional: ExternalProfessional) -> User | None:
    """The OpenDUI account holding the entry's RPPS (or ADELI), if any: an RPPS belongs
    to one account (User constraint), so there is nothing for the administrator to pick."""
    if professional.account_id is not None:
        return professional.account
    if professional.rpps:
        return User.objects.filter(rpps=professional.rpps).first()
    if professional.adeli:
        return User.objects.filter(adeli=professional.adeli).first()
    return None


def create_account(actor: Actor, professional: ExternalProfessional, email: str) -> User:
    """A new account for the entry: its names and national identifier copied from the
    directory (so they agree by construction), no password (Pro Santé Connect only)."""
    require(actor.user, MANAGE_ACCOUNTS, organisation=professional.organisation)
    if not (professional.rpps or professional.adeli):
        raise ValidationError(
            "La fiche de l'annuaire n'a ni RPPS ni ADELI : impossible d'ouvrir un compte."
        )
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email:
        raise ValidationError("Indiquez l'adresse e-mail du professionnel.")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError("Un compte existe déjà avec cette adresse e-mail.")
    if account_of(professional) is not None:
        raise ValidationError("Un compte existe déjà avec ce numéro RPPS ou ADELI.")
    user = User(
        email=email,
        first_name=professional.first_name or "-",
        last_name=professional.last_name,
        rpps=professional.rpps,
        adeli="" if professional.rpps else professional.adeli,
        profession=PROFESSIONS.get(professional.profession_code, Profession.OTHER),
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    save_audited(actor, user, "user.create", organisation_id=professional.organisation_id)
    return user


def open_access(
    actor: Actor,
    professional: ExternalProfessional,
    account: User,
    role: Role,
    *,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    expected_version: ExpectedVersion = CURRENT,
    new_account: bool = False,
) -> LinkedPersonsAssignment:
    """Tie `professional` to `account` and give it `role` on the persons it follows,
    PENDING: it grants nothing until another person, holding `grants.approve` for the
    whole organisation (the directeur général), approves the request filed with it
    (accounts.grants). `new_account`: the account was created by the actor for it.

    PermissionDenied without `accounts.manage` in the entry's organisation;
    ValidationError (French) for every other refusal, recorded in the audit trail;
    ConcurrentEditError when the entry changed since `expected_version` was read."""
    organisation = professional.organisation
    require(actor.user, MANAGE_ACCOUNTS, organisation=organisation)
    start_date = start_date or timezone.localdate()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        professional = ExternalProfessional.objects.select_for_update().get(pk=professional.pk)
        check_version(professional.version, expected_version)
        reason = refusal_reason(actor, professional, account, role)
        if reason is None and end_date is not None and end_date < start_date:
            reason = "La fin de l'accès ne peut précéder son début."
        if reason is None:
            assignment = _tie(actor, professional, account, role, start_date, end_date, new_account)
    if reason is not None:
        # Recorded once the locks are released, outside the refused transaction.
        _record_refusal(actor, professional, account, reason)
        raise ValidationError(reason)
    forget_grants(account)
    return assignment


def _tie(
    actor: Actor,
    professional: ExternalProfessional,
    account: User,
    role: Role,
    start_date: dt.date,
    end_date: dt.date | None,
    new_account: bool,
) -> LinkedPersonsAssignment:
    """The writes of `open_access`, in its transaction, the checks passed."""
    organisation = professional.organisation
    professional.account = account
    professional.version += 1
    professional.save(update_fields=["account", "version", "updated_at"])
    account.has_linked_access = True
    if account.has_usable_password():
        account.set_unusable_password()
    account.save(update_fields=["password", "has_linked_access"])
    # Pending: it grants nothing until a second person (organisation-wide holder of
    # grants.approve, the directeur général) approves the request filed with it.
    assignment = LinkedPersonsAssignment.objects.create(
        user=account,
        role=role,
        organisation=organisation,
        start_date=start_date,
        end_date=end_date,
        status=AssignmentStatus.PENDING,
        created_by=actor.user,
    )
    file_linked_access(actor, assignment, new_account=new_account)
    record(
        actor,
        EventKind.CHANGE,
        "directory.account_link",
        obj=professional,
        organisation_id=organisation.pk,
        details={
            "account": account.pk,
            "role": role.code,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
        },
    )
    return assignment


def close_access(
    actor: Actor, professional: ExternalProfessional, expected_version: ExpectedVersion = CURRENT
) -> int:
    """End today the linked-persons assignments of the entry's account and untie it;
    one still waiting for approval is withdrawn and its request cancelled.
    The number of assignments ended (0 when nothing was in force or to come)."""
    require(actor.user, MANAGE_ACCOUNTS, organisation=professional.organisation)
    with transaction.atomic():
        professional = ExternalProfessional.objects.select_for_update().get(pk=professional.pk)
        check_version(professional.version, expected_version)
        account_id = professional.account_id
        if account_id is None:
            return 0
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        open_rows = LinkedPersonsAssignment.objects.not_ended().filter(
            user_id=account_id, organisation_id=professional.organisation_id
        )
        # Ended yesterday: in force no more today. A row started today or still to come
        # is brought back to yesterday too (an end cannot precede its start).
        ended = 0
        for row in open_rows.select_for_update():
            if row.status == AssignmentStatus.PENDING:
                # Never approved: its request is cancelled, the row withdrawn, not ended.
                drop_linked_request(actor, row)
                continue
            row.start_date = min(row.start_date, yesterday)
            row.end_date = yesterday
            row.version += 1
            row.save(update_fields=["start_date", "end_date", "version", "updated_at"])
            ended += 1
        professional.account = None
        professional.version += 1
        professional.save(update_fields=["account", "version", "updated_at"])
        record(
            actor,
            EventKind.CHANGE,
            "directory.account_unlink",
            obj=professional,
            organisation_id=professional.organisation_id,
            details={"account": account_id, "ended": ended},
        )
    return ended


def _record_refusal(
    actor: Actor, professional: ExternalProfessional, account: User, reason: str
) -> None:
    record(
        actor,
        EventKind.SECURITY,
        "directory.account_link_refused",
        obj=professional,
        organisation_id=professional.organisation_id,
        details={"account": account.pk, "reason": reason},
    )
