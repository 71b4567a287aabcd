"""Merging duplicate records (fusion de doublons): propose, review, execute or reject.

Identity vigilance treats a duplicate (two records for one person) as a risk: data
written on one record is missing from the other. The procedure has two steps done by
two people:

1. `propose_merge`: a professional allowed to edit the identity of *both* records
   (`person.edit_identity`) names the duplicate (source), the record to keep (target)
   and why. Nothing moves yet.
2. `approve_merge` or `reject_merge`: the identity-vigilance referent
   (`identity.merge`, organisation-wide) looks at both identities and at what will
   move, then executes the merge or rejects it with a reason. The proposer may not
   review their own proposal (four eyes): a merge is hard to undo, and the reference
   gives no exception to the separation of proposal and validation.

Execution happens in one transaction:

- every row pointing at the source is moved onto the target. The relations are found
  from the model graph (`merge_relations`), not listed by hand, so the records of a
  module added later move without touching this file. Left out: the merge trace
  itself, and break-the-glass grants (an access granted on one record, for a stated
  reason, must not widen into access to the kept record; it stays on the source and
  expires). The audit trail has no foreign key to persons (its person index holds
  plain ids) and is never rewritten: the source's past events stay under its id;
- conflicts are looked for *before* any write and refuse the whole merge with a
  French message: a one-to-one row both records have, a unique constraint two rows
  would break once moved, and overlapping stays in the same facility (one person
  cannot be admitted twice at once in the same place: close or correct a stay first);
- the source row is kept (nothing is hard-deleted) and marked `merged_into` the
  target with `merged_at`: lists leave it out (persons.selectors), its page leads to
  the kept record. Its identity (strict traits, INS matricule and OID, criteria) is
  copied into the merge row, so the INS is never lost even if the row changes later;
- the referent chooses which record's traits the kept record carries
  (`resolve_trait_choices`): the strict traits as one set, from one record, with the
  INS and the status criteria that vouch for them (a set of traits and a status that
  were never checked together must not be assembled); the used name and the used first
  name each from either record. A qualified identity's strict traits win: when one of
  the two is qualified, its set is kept and cannot be replaced by the other's (the
  kept record's when both are). Values taken from the duplicate pass the RNIV character
  rules (persons.traits) first. The kept record's identity before the merge and the
  choices are stored in the merge row; the trait changes are an audited change of the
  kept record (`person.merge_traits`, before/after) and appear in its identity history;
- each record gets an `IdentityStatusChange` row naming the merge, and one audit
  change event names both persons (the "who accessed / changed this record" page of
  either shows it), with the ids involved and the number of rows moved per kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from opendui.accounts.access import check, require
from opendui.audit.models import EventKind
from opendui.audit.services import diff, json_safe, record, record_change, snapshot
from opendui.core.actor import Actor

from . import rniv, traits
from .models import IdentityStatusChange, Person
from .models_merge import MergeStatus, PersonMerge

__all__ = [
    "MIN_REASON_LENGTH",
    "SOURCE",
    "TARGET",
    "MergeRelation",
    "approve_merge",
    "merge_preview",
    "merge_relations",
    "propose_merge",
    "reject_merge",
    "resolve_trait_choices",
    "source_identity",
    "strict_traits_forced",
]

MIN_REASON_LENGTH = 10
MERGE_PERMISSION = "identity.merge"
NOTHING_CHANGED = " Rien n'a été modifié."

# Models whose rows pointing at a person never move (see the module docstring). Placements
# are derived from the stays and requests by database triggers, which follow them.
NOT_MOVED = frozenset({"persons.personmerge", "accounts.breakglassgrant", "stays.placement"})
# The audit app is append-only: whatever it may link to a person later, it is not moved.
NOT_MOVED_APPS = frozenset({"audit"})


@dataclass(frozen=True)
class MergeRelation:
    """One foreign key (or one-to-one) pointing at Person, whose rows move on a merge."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def key(self) -> str:
        """'stays.stay', or 'app.model.field' when the field is not called `person`."""
        label = self.model._meta.label_lower
        return label if self.field.name == "person" else f"{label}.{self.field.name}"

    @property
    def label(self) -> str:
        name = str(self.model._meta.verbose_name_plural)
        if self.model is Person:
            return "dossiers fusionnés auparavant dans le doublon"
        if self.field.name != "person":
            return f"{name} ({self.field.verbose_name})"
        return name

    @property
    def unique(self) -> bool:
        return self.field.one_to_one or self.field.unique

    def rows_of(self, person: Person) -> models.QuerySet:
        return self.model._base_manager.filter(**{self.field.name: person})


def merge_relations() -> list[MergeRelation]:
    """Every relation whose rows move from the source to the target, in a stable order.

    Hidden reverse relations (related_name ending in '+', the through tables of
    many-to-many fields) are included: a foreign key nobody named still points at
    the record.
    """
    relations = []
    for field in Person._meta.get_fields(include_hidden=True):
        if not (field.auto_created and not field.concrete) or field.many_to_many:
            continue
        model = field.related_model
        if model._meta.label_lower in NOT_MOVED or model._meta.app_label in NOT_MOVED_APPS:
            continue
        relations.append(MergeRelation(model, field.field))
    return sorted(relations, key=lambda r: r.key)


def relation_labels() -> dict[str, str]:
    return {relation.key: relation.label for relation in merge_relations()}


# --- identity snapshot ------------------------------------------------------------------------

_IDENTITY_FIELDS = (
    "local_id",
    "birth_name",
    "first_name",
    "birth_first_names",
    "used_name",
    "used_first_name",
    "birth_date",
    "sex",
    "birth_place_code",
    "ins_matricule",
    "ins_oid",
    "identity_retrieved_from_insi",
    "identity_document_checked",
    "identity_document_type",
    "identity_doubtful",
    "identity_fictitious",
    "identity_homonym",
)


def source_identity(person: Person) -> dict[str, Any]:
    """The identity kept in the merge trace: traits, INS and status criteria, as JSON."""
    values = {name: getattr(person, name) for name in _IDENTITY_FIELDS}
    values["status"] = person.identity_status.value
    values["id"] = person.pk
    return json_safe(values)


# --- which traits the kept record carries -------------------------------------------------------

SOURCE, TARGET = "source", "target"
# Chosen as one set: the strict traits, with the INS and the RNIV criteria and attributes
# that vouch for them.
STRICT_SET = (
    "birth_name",
    "first_name",
    "birth_first_names",
    "sex",
    "birth_date",
    "birth_place_code",
    "ins_matricule",
    "ins_oid",
    "identity_retrieved_from_insi",
    "identity_document_checked",
    "identity_document_type",
    "identity_doubtful",
    "identity_fictitious",
    "identity_homonym",
)
# Chosen one by one.
USED_TRAITS = ("used_name", "used_first_name")
# The traits the identity history shows (not the INS: see IdentityStatusChange.changes).
_SHOWN_TRAITS = STRICT_SET[:6] + USED_TRAITS
CHOICES = ("strict", *USED_TRAITS)


def strict_traits_forced(source: Person, target: Person) -> str | None:
    """The record whose strict traits the kept record must carry: the qualified one (the
    kept record's when both are), or None when the referent may choose."""
    if target.identity_status is rniv.IdentityStatus.QUAL:
        return TARGET
    if source.identity_status is rniv.IdentityStatus.QUAL:
        return SOURCE
    return None


def resolve_trait_choices(
    source: Person, target: Person, choices: dict[str, str] | None = None
) -> dict[str, str]:
    """{"strict": …, "used_name": …, "used_first_name": …}, each SOURCE or TARGET.

    Unspecified: the qualified record's strict traits, else the kept record's; the kept
    record's used traits. Refused (French, nothing changed): an unknown choice, and
    replacing a qualified identity's strict traits by the other record's.
    """
    choices = dict(choices or {})
    unknown = set(choices) - set(CHOICES)
    if unknown:
        _refuse(f"Choix de traits inconnu : {', '.join(sorted(unknown))}.")
    forced = strict_traits_forced(source, target)
    resolved = {"strict": choices.get("strict") or forced or TARGET}
    for name in USED_TRAITS:
        resolved[name] = choices.get(name) or TARGET
    for value in resolved.values():
        if value not in (SOURCE, TARGET):
            _refuse(f"Choix de traits inconnu : « {value} ».")
    if forced is not None and resolved["strict"] != forced:
        qualified = target if forced == TARGET else source
        _refuse(
            f"L'identité du dossier {qualified.local_id} est qualifiée : ses traits stricts "
            "sont conservés et ne peuvent pas être remplacés par ceux de l'autre dossier."
        )
    return resolved


def _taken_values(source: Person, choices: dict[str, str]) -> dict[str, Any]:
    """The values the kept record takes from the duplicate, checked with the RNIV
    character rules; a value that breaks them refuses the merge."""
    taken: dict[str, Any] = {}
    if choices["strict"] == SOURCE:
        taken.update({name: getattr(source, name) for name in STRICT_SET})
    for name in USED_TRAITS:
        if choices[name] == SOURCE:
            taken[name] = getattr(source, name)
    checks = {
        "birth_name": lambda: traits.normalise_name(source.birth_name, "birth_name"),
        "birth_first_names": lambda: traits.normalise_first_names(
            source.birth_first_names or source.first_name
        ),
        "sex": lambda: traits.normalise_sex(source.sex),
        "birth_date": lambda: traits.normalise_birth_date(source.birth_date, timezone.localdate()),
        # Format only: the duplicate's code may be one INSi gave (persons.traits).
        "birth_place_code": lambda: traits.normalise_birth_place(
            source.birth_place_code, known_only=False
        ),
        "used_name": lambda: traits.normalise_name(source.used_name, "used_name", required=False),
        "used_first_name": lambda: traits.normalise_name(
            source.used_first_name, "used_first_name", required=False
        ),
    }
    problems = []
    for name, normalise in checks.items():
        if name in taken:
            try:
                taken[name] = normalise()
            except traits.TraitError as error:
                problems.append(error.message)
    if problems:
        _refuse(
            f"L'identité du doublon {source.local_id} ne respecte pas les règles de saisie "
            f"({' '.join(problems)}) : corrigez-la avant de la conserver."
        )
    if "birth_first_names" in taken:
        taken["first_name"] = traits.first_of(taken["birth_first_names"])
    return taken


def _apply_trait_choices(
    actor: Actor, source: Person, target: Person, choices: dict[str, str]
) -> tuple[rniv.IdentityStatus, dict[str, list[Any]]]:
    """Give the kept record the chosen traits (inside the merge's transaction); returns
    its status before and the traits changed {field: [before, after]}."""
    old_status = target.identity_status
    taken = _taken_values(source, choices)
    before = snapshot(target)
    before_traits = json_safe({name: getattr(target, name) for name in _SHOWN_TRAITS})
    for name, value in taken.items():
        setattr(target, name, value)
    if not diff(before, snapshot(target)):
        return old_status, {}
    target.version += 1
    target.save()
    record_change(
        actor,
        "person.merge_traits",
        target,
        before,
        person_ids=[target.pk, source.pk],
        organisation_id=target.organisation_id,
    )
    after_traits = json_safe({name: getattr(target, name) for name in _SHOWN_TRAITS})
    return old_status, {
        name: [before_traits[name], value]
        for name, value in after_traits.items()
        if before_traits[name] != value
    }


# --- checks -----------------------------------------------------------------------------------


def _refuse(message: str) -> None:
    raise ValidationError(message + NOTHING_CHANGED, code="merge_refused")


def _check_pair(source: Person, target: Person) -> None:
    if source.pk == target.pk:
        _refuse("Un dossier ne peut pas être fusionné avec lui-même.")
    if source.organisation_id != target.organisation_id:
        _refuse("Les deux dossiers doivent appartenir au même organisme gestionnaire.")
    if source.merged_into_id is not None:
        _refuse(f"Le dossier {source.local_id} a déjà été fusionné dans un autre dossier.")
    if target.merged_into_id is not None:
        _refuse(
            f"Le dossier conservé {target.local_id} a lui-même été fusionné dans un autre "
            "dossier : choisissez le dossier actif."
        )


def _unique_sets(relation: MergeRelation) -> Iterator[tuple[tuple[str, ...], Q | None]]:
    """The unique field sets of the related model that contain the moving field."""
    meta = relation.model._meta
    name = relation.field.name
    for fields in meta.unique_together:
        if name in fields:
            yield tuple(fields), None
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and name in (constraint.fields or ()):
            yield tuple(constraint.fields), constraint.condition


def conflicts(source: Person, target: Person) -> list[str]:
    """French descriptions of what prevents the merge (empty when it may go ahead)."""
    problems = []
    for relation in merge_relations():
        if relation.model is Person:
            continue
        label = relation.label
        if relation.unique:
            if relation.rows_of(source).exists() and relation.rows_of(target).exists():
                problems.append(f"les deux dossiers ont chacun un élément « {label} »")
            continue
        for fields, condition in _unique_sets(relation):
            others = [f for f in fields if f != relation.field.name]
            source_rows, target_rows = relation.rows_of(source), relation.rows_of(target)
            if condition is not None:
                source_rows, target_rows = (
                    source_rows.filter(condition),
                    target_rows.filter(condition),
                )
            mine = set(source_rows.values_list(*others)) if others else set()
            if (others and mine & set(target_rows.values_list(*others))) or (
                not others and source_rows.exists() and target_rows.exists()
            ):
                names = ", ".join(
                    str(relation.model._meta.get_field(f).verbose_name) for f in others
                )
                problems.append(
                    f"un élément « {label} » serait en double"
                    + (f" (même {names})" if names else "")
                    + " : corrigez l'un des deux dossiers"
                )
    problems.extend(_overlapping_stays(source, target))
    return problems


def _overlapping_stays(source: Person, target: Person) -> list[str]:
    """Stays of the two records in the same facility whose periods overlap."""
    try:
        stay_model = apps.get_model("stays", "Stay")
    except LookupError:
        return []
    far = dt.date.max
    target_stays = list(stay_model.objects.filter(person=target).select_related("facility"))
    problems = []
    for stay in stay_model.objects.filter(person=source).select_related("facility"):
        for other in target_stays:
            if other.facility_id != stay.facility_id:
                continue
            if stay.start_date <= (other.end_date or far) and other.start_date <= (
                stay.end_date or far
            ):
                problems.append(
                    f"les deux dossiers ont des séjours qui se chevauchent dans l'établissement "
                    f"« {stay.facility.name} » (à partir du {stay.start_date:%d/%m/%Y} et du "
                    f"{other.start_date:%d/%m/%Y}) : clôturez ou corrigez l'un des séjours "
                    "avant la fusion"
                )
    return problems


def merge_preview(source: Person) -> list[dict[str, Any]]:
    """What would move from the source: one entry per kind with rows, label and count."""
    preview = []
    for relation in merge_relations():
        count = relation.rows_of(source).count()
        if count:
            preview.append({"key": relation.key, "label": relation.label, "count": count})
    return preview


def may_review(user: Any, merge: PersonMerge) -> bool:
    return check(user, MERGE_PERMISSION, organisation=merge.source.organisation).allowed


# --- proposal ---------------------------------------------------------------------------------


def propose_merge(actor: Actor, source: Person, target: Person, reason: str) -> PersonMerge:
    """Record a merge proposal; nothing moves until the referent approves it."""
    require(actor.user, "person.edit_identity", person=source)
    require(actor.user, "person.edit_identity", person=target)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        _refuse(
            f"Indiquez pourquoi ces deux dossiers concernent la même personne "
            f"({MIN_REASON_LENGTH} caractères au moins)."
        )
    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        _check_pair(locked[source.pk], locked[target.pk])
        if PersonMerge.objects.filter(source=source, status=MergeStatus.PROPOSED).exists():
            _refuse(
                f"Une fusion du dossier {source.local_id} attend déjà la validation du "
                "référent en identitovigilance."
            )
        merge = PersonMerge.objects.create(
            source=source,
            target=target,
            reason=reason,
            proposed_by=actor.user,
            proposed_at=timezone.now(),
        )
        record(
            actor,
            EventKind.CHANGE,
            "person.merge_propose",
            obj=merge,
            person_ids=[source.pk, target.pk],
            organisation_id=source.organisation_id,
            details={"created": True, "source": source.pk, "target": target.pk},
        )
    return merge


# --- review -----------------------------------------------------------------------------------


def _lock_for_review(actor: Actor, merge: PersonMerge) -> PersonMerge:
    """Lock the proposal (inside the caller's transaction) and check the reviewer."""
    locked = PersonMerge.objects.select_for_update().select_related("source").get(pk=merge.pk)
    require(actor.user, MERGE_PERMISSION, organisation=locked.source.organisation)
    if locked.status != MergeStatus.PROPOSED:
        _refuse("Cette proposition de fusion a déjà été examinée.")
    if actor.user is not None and locked.proposed_by_id == actor.user.pk:
        _refuse(
            "Vous avez proposé cette fusion : sa validation revient à un autre référent "
            "en identitovigilance (principe des quatre yeux)."
        )
    return locked


def reject_merge(actor: Actor, merge: PersonMerge, comment: str) -> PersonMerge:
    """The referent rejects the proposal, with a reason; nothing else changes."""
    comment = (comment or "").strip()
    if not comment:
        _refuse("Indiquez le motif du rejet.")
    with transaction.atomic():
        locked = _lock_for_review(actor, merge)
        locked.status = MergeStatus.REJECTED
        locked.reviewed_by = actor.user
        locked.reviewed_at = timezone.now()
        locked.review_comment = comment
        locked.save()
        record(
            actor,
            EventKind.CHANGE,
            "person.merge_reject",
            obj=locked,
            person_ids=[locked.source_id, locked.target_id],
            organisation_id=locked.source.organisation_id,
            details={"changes": {"status": [MergeStatus.PROPOSED.value, locked.status]}},
        )
    return locked


def approve_merge(
    actor: Actor,
    merge: PersonMerge,
    comment: str = "",
    *,
    trait_choices: dict[str, str] | None = None,
) -> PersonMerge:
    """The referent approves: the merge is executed at once, in one transaction.

    `trait_choices`: which record's traits the kept record carries
    (resolve_trait_choices; by default the qualified record's strict traits, else the
    kept record's, and the kept record's used traits)."""
    with transaction.atomic():
        locked = _lock_for_review(actor, merge)
        persons = {
            p.pk: p
            for p in Person.objects.select_for_update()
            .filter(pk__in=[locked.source_id, locked.target_id])
            .order_by("pk")
        }
        source, target = persons[locked.source_id], persons[locked.target_id]
        _check_pair(source, target)
        problems = conflicts(source, target)
        if problems:
            _refuse("Fusion impossible : " + " ; ".join(problems) + ".")
        choices = resolve_trait_choices(source, target, trait_choices)
        target_snapshot = source_identity(target)
        old_status, trait_changes = _apply_trait_choices(actor, source, target, choices)
        now = timezone.now()
        moved_counts, moved_ids = _move_rows(source, target, now)
        before = snapshot(source)
        source.merged_into, source.merged_at = target, now
        source.version += 1
        source.save(update_fields=["merged_into", "merged_at", "version", "updated_at"])
        _history(actor, source, target, locked, now, old_status, trait_changes, choices)
        locked.status = MergeStatus.EXECUTED
        locked.reviewed_by = actor.user
        locked.reviewed_at = now
        locked.review_comment = (comment or "").strip()
        locked.moved_counts = moved_counts
        locked.moved_ids = moved_ids
        locked.source_snapshot = source_identity(source)
        locked.target_snapshot = target_snapshot
        locked.trait_choices = choices
        locked.save()
        record(
            actor,
            EventKind.CHANGE,
            "person.merge",
            obj=source,
            person_ids=[source.pk, target.pk],
            organisation_id=source.organisation_id,
            details={
                "changes": diff(before, snapshot(source)),
                "merge": locked.pk,
                "source": source.pk,
                "target": target.pk,
                "moved": moved_counts,
                "traits": choices,
            },
        )
    return locked


def _move_rows(
    source: Person, target: Person, now: dt.datetime
) -> tuple[dict[str, int], dict[str, list[Any]]]:
    """Point every related row of the source at the target; versioned rows get a new
    version (a form loaded before the merge then meets a concurrent-edit refusal)."""
    counts: dict[str, int] = {}
    ids: dict[str, list[Any]] = {}
    for relation in merge_relations():
        rows = relation.rows_of(source)
        pks = list(rows.order_by("pk").values_list("pk", flat=True))
        if not pks:
            continue
        changes: dict[str, Any] = {relation.field.name: target}
        field_names = {f.name for f in relation.model._meta.concrete_fields}
        if "version" in field_names:
            changes["version"] = F("version") + 1
        if "updated_at" in field_names:
            changes["updated_at"] = now
        relation.model._base_manager.filter(pk__in=pks).update(**changes)
        counts[relation.key] = len(pks)
        ids[relation.key] = json_safe(pks)
    return counts, ids


_CHOICE_WORDS = {
    "strict": "traits stricts",
    "used_name": "nom utilisé",
    "used_first_name": "prénom utilisé",
}


def _history(
    actor: Actor,
    source: Person,
    target: Person,
    merge: PersonMerge,
    now: dt.datetime,
    target_old_status: rniv.IdentityStatus,
    trait_changes: dict[str, list[Any]],
    choices: dict[str, str],
) -> None:
    """A line in each record's identity history (created after the move, so each stays
    on its record). The kept record's line names the traits taken from the duplicate."""
    taken = [word for key, word in _CHOICE_WORDS.items() if choices.get(key) == SOURCE]
    kept_text = f"Dossier {source.local_id} (doublon) fusionné dans ce dossier."
    if taken:
        kept_text += f" Repris du doublon : {', '.join(taken)}."
    lines = (
        (source, "merged_into", f"Doublon fusionné dans le dossier {target.local_id}.", None, {}),
        (target, "merge_kept", kept_text, target_old_status, trait_changes),
    )
    for person, event, text, old_status, changes in lines:
        status = person.identity_status.value
        IdentityStatusChange.objects.create(
            person=person,
            at=now,
            by=actor.user,
            event=event,
            from_status=old_status.value if old_status is not None else status,
            to_status=status,
            reason=f"{text} {merge.reason}",
            changes=changes,
        )
