"""Identity vigilance (RNIV) on a person's record: every status change goes through here.

The rules are the pure functions of `persons.rniv`; this module applies them to a
Person, in one transaction with the status history row and the audit change row,
after checking the actor may edit the identity. A refused transition raises
`IdentityRuleError` (French message) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import require
from opendui.audit.services import record_change, snapshot
from opendui.core.actor import Actor
from opendui.core.text import search_key

from . import rniv
from .models import IdentityStatusChange, Person
from .rniv import IdentityRuleError

__all__ = [
    "IdentityRuleError",
    "InsiTraits",
    "change_strict_traits",
    "mark_attribute",
    "record_document_check",
    "record_insi_retrieval",
    "trait_differences",
]

Transition = tuple[rniv.IdentityState, str | None]

STRICT_TRAITS = (
    "birth_name",
    "birth_first_names",
    "first_name",
    "birth_date",
    "sex",
    "birth_place_code",
)
_ATTRIBUTE_FIELDS = {
    rniv.IdentityAttribute.DOUTEUSE: "identity_doubtful",
    rniv.IdentityAttribute.FICTIVE: "identity_fictitious",
    rniv.IdentityAttribute.HOMONYME: "identity_homonym",
}


@dataclass(frozen=True)
class InsiTraits:
    """The strict traits and INS returned by the INSi téléservice for one identity."""

    birth_name: str
    birth_first_names: tuple[str, ...]
    sex: str
    birth_date: dt.date
    birth_place_code: str
    matricule: str
    oid: str


def trait_differences(person: Person, traits: InsiTraits) -> list[str]:
    """French descriptions of the strict traits that differ (accents and case ignored)."""
    differences = []
    if search_key(person.birth_name) != search_key(traits.birth_name):
        differences.append(f"nom de naissance : « {person.birth_name} » / « {traits.birth_name} »")
    # The full list when it was entered; else the first first name against INSi's first.
    if person.birth_first_names:
        entered = search_key(person.birth_first_names)
        returned = search_key(" ".join(traits.birth_first_names))
    else:
        entered = search_key(person.first_name)
        returned = search_key(traits.birth_first_names[0] if traits.birth_first_names else "")
    if entered != returned:
        differences.append(f"prénoms de naissance : « {entered} » / « {returned} »")
    if person.sex != traits.sex:
        differences.append(f"sexe : {person.sex} / {traits.sex}")
    if person.birth_date != traits.birth_date:
        differences.append(
            f"date de naissance : {person.birth_date:%d/%m/%Y} / {traits.birth_date:%d/%m/%Y}"
        )
    if person.birth_place_code and person.birth_place_code != traits.birth_place_code:
        differences.append(
            f"lieu de naissance : {person.birth_place_code} / {traits.birth_place_code}"
        )
    return differences


def _apply(
    actor: Actor,
    person: Person,
    event: str,
    transition: Callable[[rniv.IdentityState], rniv.IdentityState | Transition],
    *,
    reason: str = "",
    document_type: str = "",
    update: Callable[[Person, rniv.IdentityState], None] | None = None,
) -> tuple[Person, IdentityStatusChange]:
    """Lock the row, compute the new state from the stored one, save state + history + audit.

    `transition` returns the new state, or (state, reason) when the rule explains itself."""
    require(actor.user, "person.edit_identity", person=person)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(locked)
        old = locked.identity_state
        result = transition(old)
        new, why = result if isinstance(result, tuple) else (result, None)
        if update is not None:
            update(locked, new)
        locked.identity_retrieved_from_insi = new.retrieved_from_insi
        locked.identity_document_checked = new.document_checked
        if not new.document_checked:
            locked.identity_document_type = ""
        for attribute, field_name in _ATTRIBUTE_FIELDS.items():
            setattr(locked, field_name, attribute in new.attributes)
        locked.version += 1
        locked.save()
        history = IdentityStatusChange.objects.create(
            person=locked,
            at=timezone.now(),
            by=actor.user,
            event=event,
            from_status=old.status.value,
            to_status=new.status.value,
            reason=reason or why or "",
            document_type=document_type,
        )
        record_change(
            actor,
            f"identity.{event}",
            locked,
            before,
            person_ids=[locked.pk],
            organisation_id=locked.organisation_id,
        )
    return locked, history


def record_insi_retrieval(actor: Actor, person: Person, traits: InsiTraits) -> Person:
    """The trained user accepts the identity returned by INSi: PROV → RECUP, VALI → QUAL.

    Refused, with the differing traits named, when INSi's strict traits do not
    match the entered ones: nothing is overwritten without the user correcting them.
    """
    differences = trait_differences(person, traits)
    if differences:
        raise IdentityRuleError(
            "Les traits renvoyés par l'INSi diffèrent de ceux saisis ("
            + " ; ".join(differences)
            + ") : corrigez l'identité après vérification avant de l'accepter."
        )

    def store_ins(locked: Person, new: rniv.IdentityState) -> None:
        locked.ins_matricule, locked.ins_oid = traits.matricule, traits.oid
        locked.birth_first_names = " ".join(traits.birth_first_names)
        locked.birth_place_code = traits.birth_place_code

    return _apply(
        actor,
        person,
        "insi_retrieval",
        lambda state: rniv.record_insi_retrieval(state, traits_match=True),
        update=store_ins,
    )[0]


def record_document_check(
    actor: Actor,
    person: Person,
    document: rniv.DocumentType | str,
    *,
    on: dt.date | None = None,
    ehpad_direct_admission: bool = False,
) -> Person:
    """The traits were checked against an identity document: PROV → VALI, RECUP → QUAL."""
    day = on or timezone.localdate()
    age = (
        day.year
        - person.birth_date.year
        - ((day.month, day.day) < (person.birth_date.month, person.birth_date.day))
    )
    document = rniv.DocumentType(document)

    def set_document(locked: Person, new: rniv.IdentityState) -> None:
        locked.identity_document_type = document.value

    return _apply(
        actor,
        person,
        "document_check",
        lambda state: rniv.record_document_check(
            state, document, person_is_minor=age < 18, ehpad_direct_admission=ehpad_direct_admission
        ),
        document_type=document.value,
        update=set_document,
    )[0]


def mark_attribute(
    actor: Actor, person: Person, attribute: rniv.IdentityAttribute | str, *, reason: str
) -> Person:
    """Flag the identity douteuse, fictive or homonyme (a reason is required)."""
    if not reason.strip():
        raise IdentityRuleError("Indiquez le motif du signalement de l'identité.")
    return _apply(
        actor,
        person,
        f"mark_{rniv.IdentityAttribute(attribute).value.lower()}",
        lambda state: rniv.mark_attribute(state, attribute),
        reason=reason.strip(),
    )[0]


def change_strict_traits(
    actor: Actor, person: Person, **traits: object
) -> tuple[Person, str | None]:
    """Correct strict traits; after validation or qualification the status drops, and the
    returned French reason says why (None when nothing had to drop)."""
    unknown = set(traits) - set(STRICT_TRAITS)
    if unknown:
        raise ValueError(f"not strict traits: {sorted(unknown)}")
    changed = {name: value for name, value in traits.items() if getattr(person, name) != value}
    if not changed:
        return person, None

    def set_traits(locked: Person, new: rniv.IdentityState) -> None:
        for name, value in changed.items():
            setattr(locked, name, value)
        if not new.retrieved_from_insi:
            # The INS was retrieved for the former traits: it must be retrieved again.
            locked.ins_matricule, locked.ins_oid = "", ""

    saved, history = _apply(
        actor, person, "strict_trait_change", rniv.change_strict_trait, update=set_traits
    )
    return saved, history.reason or None
