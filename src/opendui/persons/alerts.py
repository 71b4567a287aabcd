"""Alerting the identity-vigilance referent about a possible duplicate one may not see.

`raise_identity_alert` runs the duplicate check again on the server (the page sends the
identity typed, never record ids) and keeps the records outside the reporter's scope;
`close_identity_alert` is the referent's answer. Both are audited changes naming those
records; the reporter is never shown who they are.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from opendui.accounts.access import require, scope_for
from opendui.audit.services import json_safe
from opendui.core.actor import Actor
from opendui.core.services import check_version, save_audited
from opendui.organisations.models import Facility

from .duplicates import Traits
from .merge import MERGE_PERMISSION
from .models_alerts import AlertStatus, IdentityAlert
from .services_create import check_duplicates

ENTERED_FIELDS = (
    "birth_name",
    "birth_first_names",
    "used_name",
    "used_first_name",
    "birth_date",
    "sex",
    "birth_place_code",
)
NOTHING_ELSEWHERE = (
    "Aucun dossier proche n'existe hors de votre périmètre pour cette identité : "
    "il n'y a rien à signaler au référent."
)


def _entered(data: dict[str, Any]) -> dict[str, Any]:
    return json_safe({name: data.get(name) or "" for name in ENTERED_FIELDS})


def raise_identity_alert(
    actor: Actor, facility: Facility, data: dict[str, Any], traits: Traits
) -> IdentityAlert:
    """Alert the referent(s) that the identity typed in `facility` resembles records
    outside the reporter's scope. A second alert of the same identity by the same person
    joins the open one."""
    require(actor.user, "person.create", facility=facility)
    check = check_duplicates(actor, facility, traits)
    if not check.elsewhere:
        raise ValidationError(NOTHING_ELSEWHERE)
    entered = _entered(data)
    key = hashlib.sha256(json.dumps(entered, sort_keys=True).encode()).hexdigest()
    matched = [p.pk for p in check.elsewhere]
    with transaction.atomic():
        existing = (
            IdentityAlert.objects.select_for_update()
            .filter(
                organisation_id=facility.organisation_id,
                raised_by=actor.user,
                entered_key=key,
                status=AlertStatus.OPEN,
            )
            .first()
        )
        if existing is not None:
            return existing
        alert = IdentityAlert(
            organisation_id=facility.organisation_id,
            facility=facility,
            raised_by=actor.user,
            raised_at=timezone.now(),
            entered=entered,
            entered_key=key,
        )
        save_audited(
            actor,
            alert,
            "identity_alert.create",
            person_ids=matched,
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
        )
        alert.matches.set(matched)
    return alert


def referent_alerts(user: Any) -> QuerySet[IdentityAlert]:
    """Alerts of the organisations where the user is an identity-vigilance referent
    (`identity.merge`, organisation-wide), open ones first, newest first."""
    organisations = scope_for(user, MERGE_PERMISSION).organisation_ids
    return (
        IdentityAlert.objects.filter(organisation_id__in=organisations)
        .select_related("facility", "raised_by", "closed_by")
        .prefetch_related("matches")
        .order_by("status", "-raised_at", "-id")  # "ouvert" sorts before "traite"
    )


def close_identity_alert(
    actor: Actor, alert: IdentityAlert, comment: str, expected_version: int | None
) -> IdentityAlert:
    """The referent's answer: the records were checked (merged, corrected or distinct)."""
    require(actor.user, MERGE_PERMISSION, organisation=alert.organisation)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Indiquez la suite donnée au signalement."})
    if not alert.is_open:
        raise ValidationError("Ce signalement est déjà traité.")
    check_version(alert.version, expected_version)
    alert.status = AlertStatus.CLOSED
    alert.closed_by = actor.user
    alert.closed_at = timezone.now()
    alert.closing_comment = comment
    return save_audited(
        actor,
        alert,
        "identity_alert.close",
        expected_version=expected_version,
        person_ids=list(alert.matches.values_list("pk", flat=True)),
        organisation_id=alert.organisation_id,
        facility_id=alert.facility_id,
    )
