"""Creating a person's record: identity, first stay, local identifier, audit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone

from opendui.accounts.access import require
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.services import save_audited
from opendui.organisations.models import Facility, ManagingOrganisation, Unit
from opendui.stays.models import Stay, StayMode
from opendui.stays.services import create_admission_request, default_mode

from . import traits as rules
from .duplicates import Traits, candidate_score
from .models import Person
from .selectors import visible_persons

LOCAL_ID_PREFIX = "U"
LOCAL_ID_DIGITS = 7
_LOCAL_ID = re.compile(rf"^{LOCAL_ID_PREFIX}[0-9]{{{LOCAL_ID_DIGITS}}}$")
IDENTITY_FIELDS = (
    "birth_name",
    "birth_first_names",
    "used_name",
    "used_first_name",
    "birth_date",
    "sex",
    "birth_place_code",
)
ADMISSION, REQUEST = "admission", "demande"  # how a new person enters the facility
MAX_PREFILTERED = 200  # the SQL prefilter is bounded; scoring runs in Python on this set


def next_local_id(organisation: ManagingOrganisation) -> str:
    """The number after the highest 'U' + 7 digits identifier of the organisation.

    Call inside a transaction holding the organisation row (select_for_update), so
    that two creations at the same time do not take the same number.
    """
    highest = Person.objects.filter(
        organisation=organisation, local_id__regex=_LOCAL_ID.pattern
    ).aggregate(highest=Max("local_id"))["highest"]
    number = int(highest[len(LOCAL_ID_PREFIX) :]) + 1 if highest else 1
    return f"{LOCAL_ID_PREFIX}{number:0{LOCAL_ID_DIGITS}d}"


def create_person(
    actor: Actor,
    facility: Facility,
    unit: Unit | None,
    data: Mapping[str, Any],
    *,
    start_date: dt.date | None = None,
    entry: str = ADMISSION,
    mode: str = "",
) -> Person:
    """Create a person entering `facility`: admitted at once (ADMISSION: a stay in
    `facility` and `unit` starting today or `start_date`, in `mode` or else the
    facility's default mode, stays.services.default_mode) or applying (REQUEST: an
    admission request on the facility's waiting list, received today; the mode is
    chosen at the admission).

    `data` holds the identity traits (IDENTITY_FIELDS); the first birth first name is
    taken from the ordered birth first names. The person and the stay or request are
    written with their audit rows in one transaction.
    """
    if actor.user is not None:
        require(actor.user, "person.create", facility=facility)
    if entry not in (ADMISSION, REQUEST):
        raise ValidationError({"entry": f"Mode d'entrée inconnu : « {entry} »."})
    if unit is not None and unit.facility_id != facility.pk:
        raise ValidationError({"unit": "Cette unité n'appartient pas à l'établissement choisi."})
    if unit is not None and entry == REQUEST:
        raise ValidationError(
            {
                "unit": "Une demande d'admission ne porte pas d'unité : elle se choisit à l'admission."
            }
        )
    if entry == ADMISSION:
        mode = mode or default_mode(facility)
        if not mode:
            raise ValidationError(
                {
                    "mode": f"Indiquez le mode d'accueil : « {facility} » n'en a pas par "
                    "défaut (aucune place enregistrée)."
                }
            )
        if mode not in StayMode.values:
            raise ValidationError({"mode": f"Mode d'accueil inconnu : « {mode} »."})
    elif mode:
        raise ValidationError(
            {
                "mode": "Une demande d'admission ne porte pas de mode d'accueil : il se choisit à l'admission."
            }
        )
    # The RNIV character rules (persons.traits): every trait checked and stored in INS
    # form, whatever the caller (the form did it already; a script may not have).
    try:
        identity = rules.validate_identity(
            {name: data.get(name) for name in IDENTITY_FIELDS}, today=timezone.localdate()
        )
    except rules.TraitsInvalid as error:
        raise ValidationError({f: [m] for f, m in error.errors.items()}) from error
    traits = {name: getattr(identity, name) for name in IDENTITY_FIELDS}
    with transaction.atomic():
        organisation = ManagingOrganisation.objects.select_for_update().get(
            pk=facility.organisation_id
        )
        person = Person(
            organisation=organisation,
            local_id=next_local_id(organisation),
            first_name=identity.first_name,
            **traits,
        )
        person.refresh_search_keys()
        person.full_clean(exclude=["organisation"])
        # The person's id exists only once saved: the generator is read by the audit then.
        save_audited(
            actor,
            person,
            "person.create",
            person_ids=(p.pk for p in [person]),
            organisation_id=organisation.pk,
            facility_id=facility.pk,
        )
        if entry == REQUEST:
            create_admission_request(actor, person, facility, timezone.localdate())
            return person
        stay = Stay(
            person=person,
            facility=facility,
            unit=unit,
            start_date=start_date or timezone.localdate(),
            mode=mode,
        )
        save_audited(
            actor,
            stay,
            "person.create",
            person_ids=[person.pk],
            organisation_id=organisation.pk,
            facility_id=facility.pk,
        )
    return person


@dataclass(frozen=True)
class DuplicateCheck:
    """The outcome of a duplicate check, as the professional may see it.

    `shown`: likely duplicates within the reader's scope, with their score, best first;
    `elsewhere`: those outside it. Their traits and ids are never shown to the reader
    (they would disclose who is accompanied in another facility); the page says only that
    a close record exists elsewhere and offers to alert the identity-vigilance referent.
    """

    shown: list[tuple[Person, int]] = field(default_factory=list)
    elsewhere: list[Person] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.shown or self.elsewhere)


def check_duplicates(actor: Actor, facility: Facility, entered: Traits) -> DuplicateCheck:
    """The duplicate check of a record being created in `facility`, split by the reader's
    scope and audited.

    Candidates are looked for in the whole organisation (a duplicate in another facility
    is still a duplicate), then split by `person.view_identity`, the scope of the record
    page, so the check never shows what the record would refuse. Every check writes an
    access event naming every person it matched, shown or not.
    """
    if actor.user is not None:
        require(actor.user, "person.create", facility=facility)
    candidates = duplicate_candidates(facility.organisation_id, entered)
    ids = [person.pk for person, _ in candidates]
    # Archived records the reader may still open (person.view_archived) are shown too.
    visible = set(
        visible_persons(actor.user, archived=True).filter(pk__in=ids).values_list("pk", flat=True)
    )
    outcome = DuplicateCheck(
        shown=[(p, score) for p, score in candidates if p.pk in visible],
        elsewhere=[p for p, _ in candidates if p.pk not in visible],
    )
    record(
        actor,
        EventKind.ACCESS,
        "person.duplicate_check",
        person_ids=ids,
        obj=facility,
        organisation_id=facility.organisation_id,
        facility_id=facility.pk,
        details={
            "shown": [p.pk for p, _ in outcome.shown],
            "elsewhere": [p.pk for p in outcome.elsewhere],
        },
    )
    return outcome


def duplicate_candidates(
    organisation: ManagingOrganisation | int, entered: Traits, limit: int = 10
) -> list[tuple[Person, int]]:
    """Persons of the organisation likely to be the one entered, best first, with their score.

    Whatever the reader's scope: pages show them through `check_duplicates`, which hides
    and audits; the merge proposal filters them by the reader's scope itself.

    A bounded SQL prefilter (same birth date, or a birth or used name equal to the
    entered birth or used name) then `candidate_score` on that small set. The prefilter
    keeps the rows matching on both the name and the birth date first: with a common
    name (thousands of MARTIN) a bound taken in id order would drop the very person
    being entered again.
    """
    keys = entered.name_keys()
    same_name = Q(birth_name_key__in=keys) | Q(used_name_key__in=keys)
    condition = same_name
    closeness: Any = Case(When(same_name, then=Value(1)), default=Value(0))
    if entered.birth_date is not None:
        same_date = Q(birth_date=entered.birth_date)
        condition |= same_date
        closeness += Case(When(same_date, then=Value(2)), default=Value(0))
    organisation_id = getattr(organisation, "pk", organisation)
    prefiltered = (
        Person.objects.filter(condition, organisation_id=organisation_id, merged_into=None)
        .annotate(closeness=closeness)
        .order_by("-closeness", "id")[:MAX_PREFILTERED]
    )
    scored = []
    for person in prefiltered:
        score = candidate_score(
            entered,
            Traits.of(
                birth_name=person.birth_name,
                birth_date=person.birth_date,
                birth_first_names=person.birth_first_names,
                first_name=person.first_name,
                used_name=person.used_name,
                used_first_name=person.used_first_name,
            ),
        )
        if score is not None:
            scored.append((person, score))
    scored.sort(key=lambda item: (-item[1], item[0].birth_name_key, item[0].pk))
    return scored[:limit]
