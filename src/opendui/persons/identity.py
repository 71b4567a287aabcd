"""Identity vigilance (RNIV) on a person's record: every identity change goes through here.

The rules are the pure functions of `persons.rniv` (statuses) and `persons.traits`
(characters); this module applies them to a Person, in one transaction with the history
row (`IdentityStatusChange`, which also keeps the traits each event changed, so the rows
are the versions of the identity) and the audit change row, after checking the actor may
edit the identity. A refused change raises `IdentityRuleError` (French message),
`ValidationError` (French field messages) or `ConcurrentEditError`, and changes nothing.

How traits change:

- `correct_identity`: the correction form. Used traits always; strict traits unless the
  identity is qualified (then only through INSi, or after `withdraw_qualification`).
  Correcting a strict trait of a retrieved or validated identity drops it to
  provisoire (rniv.change_strict_trait) and needs a reason; the INS goes with it.
- `record_insi_retrieval`: the user accepts an INSi answer; *all* its strict traits
  replace the stored ones, so the record never mixes typed and returned traits.
- `persons.merge`: the referent chooses which record's traits the kept record carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import require
from opendui.audit.services import json_safe, record_change, snapshot
from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion, MissingVersionError, check_version
from opendui.core.text import search_key

from . import rniv, traits
from .ins import INS_OIDS, matricule_problem
from .models import IdentityStatusChange, Person
from .rniv import IdentityRuleError

__all__ = [
    "IdentityRuleError",
    "InsiTraits",
    "correct_identity",
    "insi_acceptance_problem",
    "mark_attribute",
    "record_document_check",
    "record_insi_retrieval",
    "trait_differences",
    "withdraw_qualification",
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
USED_TRAITS = ("used_name", "used_first_name")
TRAIT_FIELDS = STRICT_TRAITS + USED_TRAITS
MIN_REASON_LENGTH = 10
_ATTRIBUTE_FIELDS = {
    rniv.IdentityAttribute.DOUTEUSE: "identity_doubtful",
    rniv.IdentityAttribute.FICTIVE: "identity_fictitious",
    rniv.IdentityAttribute.HOMONYME: "identity_homonym",
}
QUALIFIED_READ_ONLY = (
    "L'identité est qualifiée : ses traits stricts ne se modifient que par l'INSi "
    "(« Interroger l'INSi » puis « Accepter les traits INSi »), ou après avoir retiré la "
    "qualification avec un motif. Rien n'a été modifié."
)
MERGED_READ_ONLY = (
    "Ce dossier a été fusionné dans un autre dossier : c'est l'identité du dossier "
    "conservé qui se corrige. Rien n'a été modifié."
)


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


# --- the write path shared by every identity change --------------------------------------------


def trait_values(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in TRAIT_FIELDS}


@contextmanager
def _locked(
    actor: Actor, person: Person, expected_version: ExpectedVersion | None
) -> Iterator[Person]:
    """Check the permission, then lock the row in a transaction; refuse a merged record
    and a row saved since the user loaded it (`expected_version`)."""
    require(actor.user, "person.edit_identity", person=person)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        check_version(locked.version, expected_version)
        if locked.merged_into_id is not None:
            raise IdentityRuleError(MERGED_READ_ONLY)
        yield locked


def _save(
    actor: Actor,
    locked: Person,
    before: dict[str, Any],
    before_traits: dict[str, Any],
    old: rniv.IdentityState,
    new: rniv.IdentityState,
    event: str,
    *,
    reason: str = "",
    document_type: str = "",
) -> IdentityStatusChange:
    """Store the new state's criteria and attributes, a history row with the traits that
    changed, and the audited change (inside the caller's transaction)."""
    locked.identity_retrieved_from_insi = new.retrieved_from_insi
    locked.identity_document_checked = new.document_checked
    if not new.document_checked:
        locked.identity_document_type = ""
    if old.retrieved_from_insi and not new.retrieved_from_insi:
        # The INS was retrieved for traits the identity no longer vouches for.
        locked.ins_matricule, locked.ins_oid = "", ""
    for attribute, field_name in _ATTRIBUTE_FIELDS.items():
        setattr(locked, field_name, attribute in new.attributes)
    locked.version += 1
    locked.save()
    after_traits = json_safe(trait_values(locked))
    history = IdentityStatusChange.objects.create(
        person=locked,
        at=timezone.now(),
        by=actor.user,
        event=event,
        from_status=old.status.value,
        to_status=new.status.value,
        reason=reason,
        document_type=document_type,
        changes={
            name: [before_traits[name], value]
            for name, value in after_traits.items()
            if before_traits[name] != value
        },
    )
    record_change(
        actor,
        f"identity.{event}",
        locked,
        before,
        person_ids=[locked.pk],
        organisation_id=locked.organisation_id,
    )
    return history


def _apply(
    actor: Actor,
    person: Person,
    event: str,
    transition: Callable[[rniv.IdentityState], rniv.IdentityState | Transition],
    *,
    reason: str = "",
    document_type: str = "",
    update: Callable[[Person, rniv.IdentityState], None] | None = None,
    expected_version: ExpectedVersion | None,
) -> tuple[Person, IdentityStatusChange]:
    """Lock the row, compute the new state from the stored one, save state + history + audit.

    `transition` returns the new state, or (state, reason) when the rule explains itself."""
    with _locked(actor, person, expected_version) as locked:
        before, before_traits = snapshot(locked), json_safe(trait_values(locked))
        old = locked.identity_state
        result = transition(old)
        new, why = result if isinstance(result, tuple) else (result, None)
        if update is not None:
            update(locked, new)
        history = _save(
            actor,
            locked,
            before,
            before_traits,
            old,
            new,
            event,
            reason=reason or why or "",
            document_type=document_type,
        )
    return locked, history


# --- INSi ----------------------------------------------------------------------------------------


def _insi_identity(found: InsiTraits) -> traits.Identity:
    """INSi's traits checked with the character rules; IdentityRuleError when INSi
    returned something the record cannot hold (nothing is then written)."""
    problems: list[str] = []
    try:
        identity = traits.validate_identity(
            {
                "birth_name": found.birth_name,
                "birth_first_names": " ".join(found.birth_first_names),
                "sex": found.sex,
                "birth_date": found.birth_date,
                "birth_place_code": found.birth_place_code,
            },
            today=timezone.localdate(),
            known_places=False,
        )
    except traits.TraitsInvalid as error:
        problems.extend(error.errors.values())
        identity = None
    if problem := matricule_problem(found.matricule):
        problems.append(problem)
    if found.oid not in INS_OIDS:
        problems.append(f"L'OID « {found.oid} » n'est pas un OID INS.")
    if problems or identity is None:
        raise IdentityRuleError(
            "La réponse de l'INSi ne peut pas être enregistrée ("
            + " ".join(problems)
            + ") Interrogez de nouveau l'INSi ; si cela se reproduit, signalez-le au référent "
            "en identitovigilance. Rien n'a été modifié."
        )
    return identity


def insi_acceptance_problem(person: Person, found: InsiTraits) -> str | None:
    """Why `record_insi_retrieval` would refuse these traits whatever the user confirms
    (French, saying what to do), or None: the page offers "Accepter" only then."""
    if person.merged_into_id is not None:
        return MERGED_READ_ONLY
    try:
        _insi_identity(found)
    except IdentityRuleError as error:
        return error.message
    return None


def record_insi_retrieval(
    actor: Actor,
    person: Person,
    found: InsiTraits,
    *,
    expected_version: ExpectedVersion | None,
    differences_confirmed: bool = False,
) -> Person:
    """The trained user accepts the identity returned by INSi: PROV → RECUP, VALI → QUAL.

    All the strict traits of the answer replace the stored ones — birth name, the full
    list of birth first names and the first of them, sex, birth date, birth place (kept
    when INSi gives none) — with the matricule and its OID. When they differ from the
    stored traits (more first names, another spelling…), the user must confirm having
    checked them against the person (`differences_confirmed`); else the refusal names
    the differences and nothing is written.
    """
    identity = _insi_identity(found)

    def store(locked: Person, new: rniv.IdentityState) -> None:
        locked.birth_name = identity.birth_name
        locked.birth_first_names = identity.birth_first_names
        locked.first_name = identity.first_name
        locked.sex = identity.sex
        locked.birth_date = identity.birth_date
        locked.birth_place_code = identity.birth_place_code or locked.birth_place_code
        locked.ins_matricule, locked.ins_oid = found.matricule, found.oid

    def transition(state: rniv.IdentityState) -> rniv.IdentityState:
        return rniv.record_insi_retrieval(state, traits_match=True)

    with _locked(actor, person, expected_version) as locked:
        differences = trait_differences(locked, found)
        if differences and not differences_confirmed:
            raise IdentityRuleError(
                "Les traits renvoyés par l'INSi diffèrent de ceux saisis ("
                + " ; ".join(differences)
                + ") : vérifiez-les sur la pièce d'identité de la personne, puis cochez la "
                "confirmation pour les accepter ; ils remplaceront tous les traits stricts "
                "saisis. Rien n'a été modifié."
            )
        before, before_traits = snapshot(locked), json_safe(trait_values(locked))
        old = locked.identity_state
        new = transition(old)
        store(locked, new)
        _save(
            actor,
            locked,
            before,
            before_traits,
            old,
            new,
            "insi_retrieval",
            reason=(
                "Traits de l'INSi acceptés après vérification des différences : "
                + " ; ".join(differences)
                + "."
                if differences
                else ""
            ),
        )
    return locked


# --- document check, attributes ----------------------------------------------------------------


def record_document_check(
    actor: Actor,
    person: Person,
    document: rniv.DocumentType | str,
    *,
    on: dt.date | None = None,
    ehpad_direct_admission: bool = False,
    expected_version: ExpectedVersion | None,
) -> Person:
    """The traits were checked against an identity document: PROV → VALI, RECUP → QUAL.

    `expected_version` is the version of the person the user saw (concurrent edits)."""
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
        expected_version=expected_version,
    )[0]


def mark_attribute(
    actor: Actor,
    person: Person,
    attribute: rniv.IdentityAttribute | str,
    *,
    reason: str,
    expected_version: ExpectedVersion | None,
) -> Person:
    """Flag the identity douteuse, fictive or homonyme (a reason is required).

    `expected_version` is the version of the person the user saw (concurrent edits)."""
    if not reason.strip():
        raise IdentityRuleError("Indiquez le motif du signalement de l'identité.")
    return _apply(
        actor,
        person,
        f"mark_{rniv.IdentityAttribute(attribute).value.lower()}",
        lambda state: rniv.mark_attribute(state, attribute),
        reason=reason.strip(),
        expected_version=expected_version,
    )[0]


# --- correction ---------------------------------------------------------------------------------


def _reason_problem(reason: str, what: str) -> str | None:
    if len(reason) < MIN_REASON_LENGTH:
        return f"Indiquez le motif {what} ({MIN_REASON_LENGTH} caractères au moins)."
    return None


def withdraw_qualification(
    actor: Actor, person: Person, reason: str, *, expected_version: ExpectedVersion | None
) -> Person:
    """Leave the qualified status, with a reason, to correct a strict trait by hand.

    The identity becomes provisoire and loses its INS (rniv.withdraw_qualification);
    the history row keeps the reason, the audit row the INS as it was."""
    reason = (reason or "").strip()
    if problem := _reason_problem(reason, "du retrait de la qualification"):
        raise ValidationError({"reason": problem})
    return _apply(
        actor,
        person,
        "qualification_withdrawn",
        rniv.withdraw_qualification,
        reason=reason,
        expected_version=expected_version,
    )[0]


def _strict_changes(person: Person, identity: traits.Identity) -> list[str]:
    """The strict traits whose INS form changes: rewriting a row saved before the
    character rules ("Lefèvre" → "LEFEVRE") is not a correction of the identity."""
    stored_names = person.birth_first_names or person.first_name
    changed = []
    if traits.lenient_name(person.birth_name) != identity.birth_name:
        changed.append("birth_name")
    if traits.lenient_name(stored_names, "birth_first_names") != identity.birth_first_names:
        changed.append("birth_first_names")
    if person.sex != identity.sex:
        changed.append("sex")
    if person.birth_date != identity.birth_date:
        changed.append("birth_date")
    if (person.birth_place_code or "").upper() != identity.birth_place_code:
        changed.append("birth_place_code")
    return changed


def correct_identity(
    actor: Actor,
    person: Person,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    reason: str = "",
    today: dt.date | None = None,
) -> tuple[Person, str | None]:
    """Correct the traits of an identity; returns the saved person and, when the status
    dropped, the French sentence saying why (else None).

    `values` holds every trait of the form (traits.validate_identity: strict traits,
    used name and used first name); `expected_version` is the version the user loaded
    (required: None is refused as a stale form). Strict traits of a qualified identity are
    refused (QUALIFIED_READ_ONLY). Correcting a strict trait of a retrieved or validated
    identity drops it to provisoire and needs a `reason`.
    """
    if expected_version is None:
        raise MissingVersionError(MissingVersionError.message)
    try:
        identity = traits.validate_identity(values, today=today or timezone.localdate())
    except traits.TraitsInvalid as error:
        raise ValidationError({f: [m] for f, m in error.errors.items()}) from error
    reason = (reason or "").strip()
    with _locked(actor, person, expected_version) as locked:
        wanted = {
            "birth_name": identity.birth_name,
            "birth_first_names": identity.birth_first_names,
            "first_name": identity.first_name,
            "sex": identity.sex,
            "birth_date": identity.birth_date,
            "birth_place_code": identity.birth_place_code,
            "used_name": identity.used_name,
            "used_first_name": identity.used_first_name,
        }
        if all(getattr(locked, name) == value for name, value in wanted.items()):
            return locked, None
        old = locked.identity_state
        strict = _strict_changes(locked, identity)
        why = None
        new = old
        if strict:
            if old.status is rniv.IdentityStatus.QUAL:
                raise IdentityRuleError(QUALIFIED_READ_ONLY)
            new, why = rniv.change_strict_trait(old)
            if why and (problem := _reason_problem(reason, "de la correction")):
                raise ValidationError({"reason": problem + " " + why})
        before, before_traits = snapshot(locked), json_safe(trait_values(locked))
        for name, value in wanted.items():
            setattr(locked, name, value)
        _save(
            actor,
            locked,
            before,
            before_traits,
            old,
            new,
            "strict_trait_change" if strict else "identity_correction",
            reason=" ".join(part for part in (reason, why or "") if part),
        )
    return locked, why
