"""Nightly re-check of the accounts' national identifiers against the Annuaire Santé.

An account holding an RPPS, RPPS+ or ADELI logs in with Pro Santé Connect by that
identifier, and the national services (DMP's VIHF) read its profession from the account.
A professional struck off, or an identifier typed on the wrong account, must not go
unnoticed: each night the active accounts with an identifier, not confirmed for
`ANNUAIRE_REFRESH_DAYS`, are looked up again.

- Known, active, same profession and names: `annuaire_checked_at` is set to the check's
  time (« vérifié dans l'Annuaire le … » on the account's page).
- Names differ (a change of name, a typo): the account is no longer « vérifié »
  (`annuaire_checked_at` null), nothing else; the administrator corrects it from the
  account's page with the Annuaire lookup.
- An identifier the Annuaire *no longer* knows (unknown or inactive there, the account
  confirmed before), or another profession than the Annuaire's: no longer « vérifié »
  either, and a security notice for the administrators: an audit event
  (`account.annuaire_mismatch`) and a mail to each (accounts.tasks.notify_annuaire_mismatch),
  once per problem until the account is confirmed again. The account is never disabled
  by the job: deciding is the administrator's (a homonym's merge at the Annuaire, a slow
  update…).
- An identifier the Annuaire has never confirmed and does not know: the account stays
  « non vérifié dans l'Annuaire », as its page already says, without a notice (an
  identifier typed by hand that nobody confirmed is not news); it is looked up again each
  night and confirmed as soon as the Annuaire knows it.

The Annuaire down: AnnuaireError propagates, the job is retried; the accounts not reached
keep their dates, so the next attempt starts with them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from opendui.annuaire.client import AnnuaireClient
from opendui.annuaire.parsing import Practitioner, fold
from opendui.audit.models import AuditEvent, EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor

from .models import User

RECHECK_ACTOR = "annuaire.recheck"
MISMATCH_ACTION = "account.annuaire_mismatch"


class Problem(StrEnum):
    """What the Annuaire says against the account (the notice's reason)."""

    UNKNOWN = "unknown"  # the identifier is not (or no longer) active in the Annuaire
    PROFESSION = "profession"  # the Annuaire gives another profession
    NAMES = "names"  # names differ: not a security matter, no notice


#: French wording of each problem, for the notice and the audit trail's reader.
PROBLEM_LABELS = {
    Problem.UNKNOWN: "identifiant national inconnu ou inactif dans l'Annuaire Santé",
    Problem.PROFESSION: "profession différente de celle de l'Annuaire Santé",
    Problem.NAMES: "nom ou prénom différent de ceux de l'Annuaire Santé",
}
NOTICE_PROBLEMS = frozenset({Problem.UNKNOWN, Problem.PROFESSION})


def profession_code(profession: str) -> str:
    """The national code of an account's profession ('G15:10' → '10'; '' for 'AUTRE')."""
    return profession.partition(":")[2]


def problem_of(user: User, practitioner: Practitioner | None) -> Problem | None:
    """What is wrong with `user` by the Annuaire's record of its identifier (None: all
    agrees). Pure: no query, no clock."""
    if practitioner is None or not practitioner.active:
        return Problem.UNKNOWN
    if practitioner.profession_code and (
        profession_code(user.profession) != practitioner.profession_code
    ):
        return Problem.PROFESSION
    if fold(user.last_name) != fold(practitioner.last_name) or (
        practitioner.first_name and fold(user.first_name) != fold(practitioner.first_name)
    ):
        return Problem.NAMES
    return None


RECHECK_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "profession",
    "rpps",
    "rpps_plus",
    "adeli",
    "annuaire_checked_at",
    "is_active",
)


def accounts_to_recheck(checked_before: dt.datetime) -> QuerySet[User]:
    """Active accounts with a national identifier, not confirmed since `checked_before`
    (never confirmed first, then the oldest), in a stable order."""
    has_id = ~Q(rpps="") | ~Q(rpps_plus="") | ~Q(adeli="")
    due = Q(annuaire_checked_at__isnull=True) | Q(annuaire_checked_at__lt=checked_before)
    return (
        User.objects.filter(has_id, due, is_active=True)
        .order_by(F("annuaire_checked_at").asc(nulls_first=True), "pk")
        .only(*RECHECK_FIELDS)
    )


@dataclass
class RecheckSummary:
    checked: int = 0
    confirmed: int = 0
    unconfirmed: int = 0  # names differ, or never confirmed and unknown: no notice
    flagged: int = 0  # a notice for the administrators
    already_flagged: int = 0  # the same problem was noticed already


def _already_noticed(user: User, problem: Problem, national_id: str) -> bool:
    """A notice of the same problem for the same identifier since the account was last
    confirmed (none before it was ever confirmed counts as well)."""
    last = (
        AuditEvent.objects.filter(
            action=MISMATCH_ACTION, object_type=User._meta.label_lower, object_id=str(user.pk)
        )
        .order_by("-seq")
        .first()
    )
    if last is None:
        return False
    if user.annuaire_checked_at is not None and last.occurred_at < user.annuaire_checked_at:
        return False
    return last.details.get("reason") == problem and last.details.get("national_id") == national_id


def _flag(user: User, problem: Problem, practitioner: Practitioner | None) -> bool:
    """Unverify the account and, for a security problem not noticed yet, record the notice
    and queue its mail to the administrators; True when a notice was recorded."""
    from .tasks import notify_annuaire_mismatch

    national_id = user.national_id
    with transaction.atomic():
        notice = problem in NOTICE_PROBLEMS and not _already_noticed(user, problem, national_id)
        User.objects.filter(pk=user.pk).update(annuaire_checked_at=None)
        if notice:
            details = {"reason": str(problem), "national_id": national_id}
            if problem is Problem.PROFESSION and practitioner is not None:
                details |= {
                    "profession": profession_code(user.profession),
                    "annuaire_profession": practitioner.profession_code,
                }
            record(
                Actor.system(RECHECK_ACTOR),
                EventKind.SECURITY,
                MISMATCH_ACTION,
                obj=user,
                details=details,
            )
            notify_annuaire_mismatch.enqueue(user.pk, str(problem))
    return notice


def recheck_accounts(
    client: AnnuaireClient, *, now: dt.datetime | None = None, batch: int = 500
) -> RecheckSummary:
    """Look up again (at most `batch`) accounts due, as the module says. AnnuaireError
    propagates: what was done before it stays done."""
    now = now or timezone.now()
    days = int(getattr(settings, "ANNUAIRE_REFRESH_DAYS", 1) or 1)
    # An hour of slack: the job runs at a fixed time, a day after the last run.
    checked_before = now - dt.timedelta(days=days) + dt.timedelta(hours=1)
    summary = RecheckSummary()
    for user in accounts_to_recheck(checked_before)[:batch]:
        practitioner = client.practitioner_by_idnat(user.national_id)
        summary.checked += 1
        problem = problem_of(user, practitioner)
        if problem is None:
            User.objects.filter(pk=user.pk).update(annuaire_checked_at=now)
            summary.confirmed += 1
        elif problem is Problem.NAMES or (
            problem is Problem.UNKNOWN and user.annuaire_checked_at is None
        ):
            User.objects.filter(pk=user.pk).update(annuaire_checked_at=None)
            summary.unconfirmed += 1
        elif _flag(user, problem, practitioner):
            summary.flagged += 1
        else:
            summary.already_flagged += 1
    return summary
