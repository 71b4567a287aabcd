"""Writes of notes: create, edit within the grace period, correct (new version), withdraw,
team notes, mark read.

Every write checks `person.edit_<category>` on the person (for a team note: on the team,
selectors.team_allows) and is audited with the person's id, or as a facility-level change
for a team note (core.services.save_audited). Nothing is ever deleted: after
`OPENDUI_NOTE_GRACE_MINUTES` a note changes only through a correction, a new Note
pointing at the version it corrects, which stays visible to those who may read it.

A note written in the wrong record is withdrawn (`withdraw_note`): a status with its
reason, who and when, on the latest version. Who may withdraw, and why:

- its author, at any time (no grace period: a note about someone else does not become
  right with time, and the author knows best where it belongs), while they may still
  write its category there;
- a holder of `note.withdraw` who may read its category there (the chef de service by
  default): the author may have left, or work nights; another colleague who notices the
  mistake asks one of them rather than hiding a colleague's writing.

Marking a note as read is not audited: it changes no record, it is the reader's own
to-do state; the display of the notes (the page that lists them) is the access event,
and NoteRead.read_at already says when each reader marked each note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opendui.accounts.access import check, require
from opendui.accounts.permissions import DataCategory
from opendui.core.actor import Actor
from opendui.core.services import save_audited
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.stays.models import Stay

from .models import MTVED_FIELDS, MacroMoment, Note, NoteKind, NoteRead, NoteStatus
from .rules import withdrawal_problem, within_grace, written_at_problem
from .selectors import edit_code, note_allows, readable_notes, team_allows, view_code

REFUSED_WRITE = "Vous n'avez pas le droit d'écrire dans cette catégorie du dossier."
REFUSED_TEAM = "Vous n'avez pas le droit d'écrire dans cette catégorie pour cette équipe."
TEAM_KINDS = (NoteKind.TRANSMISSION, NoteKind.OBSERVATION)

# Fields the author fills; everything else (person, place, author, chain) is set here.
CONTENT_FIELDS = (
    "category",
    "target",
    "data",
    "actions",
    "results",
    "text",
    "macro_moment",
    *(name for name, _ in MTVED_FIELDS),
)


def grace_minutes() -> int:
    return settings.NOTE_GRACE_MINUTES


def _check_category(category: str) -> None:
    if category not in {c.value for c in DataCategory}:
        raise ValidationError({"category": "Catégorie de données inconnue."})


def _require_write(actor: Actor, person: Person, category: str) -> None:
    _check_category(category)
    require(actor.user, edit_code(category), person=person, message=REFUSED_WRITE)


def _require_note_write(actor: Actor, note: Note, category: str) -> None:
    """Write `category` where `note` belongs: on its person, or for its team."""
    if note.person_id is not None:
        _require_write(actor, note.person, category)
        return
    _check_category(category)
    if not team_allows(actor.user, edit_code(category), note.facility, note.unit_id):
        raise PermissionDenied(REFUSED_TEAM)


def _clean_content(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """Strip texts, drop what does not belong to the kind, refuse an empty note."""
    values = {name: (content.get(name) or "").strip() for name in CONTENT_FIELDS}
    if kind == NoteKind.OBSERVATION:
        for name in CONTENT_FIELDS:
            if name not in {"category", "text"}:
                values[name] = ""
        if not values["text"]:
            raise ValidationError({"text": "Écrivez l'observation."})
        return values
    if kind not in NoteKind.values:
        raise ValidationError("Type de transmission inconnu.")
    values["text"] = ""
    if not values["target"]:
        raise ValidationError({"target": "Indiquez la cible de la transmission."})
    if kind == NoteKind.TRANSMISSION:
        values["macro_moment"] = ""
        for name, _ in MTVED_FIELDS:
            values[name] = ""
        if not (values["data"] or values["actions"] or values["results"]):
            raise ValidationError(
                {"data": "Renseignez au moins les données, les actions ou les résultats."}
            )
    elif values["macro_moment"] not in MacroMoment.values:
        raise ValidationError({"macro_moment": "Indiquez le moment de la macrocible."})
    return values


def _stay_at(person: Person, on: dt.date, facility: Facility | None) -> Stay:
    """The person's stay running on `on` (in `facility` first): where the note belongs."""
    stays = list(
        Stay.objects.filter(person=person, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("facility", "unit")
        .order_by("-start_date", "pk")
    )
    if not stays:
        raise ValidationError(
            {
                "written_at": "La personne n'a pas de séjour en cours à cette date : "
                "une transmission se rattache à un séjour."
            }
        )
    preferred = [s for s in stays if facility is not None and s.facility_id == facility.pk]
    return (preferred or stays)[0]


def _audit(actor: Actor, note: Note, action: str, **kw: Any) -> Note:
    """Save with its change event: about the person, or about the facility (team note)."""
    team = note.person_id is None
    return save_audited(
        actor,
        note,
        action,
        person_ids=[] if team else [note.person_id],
        organisation_id=note.facility.organisation_id if team else note.person.organisation_id,
        facility_id=note.facility_id,
        **kw,
    )


def _check_written_at(written_at: dt.datetime, now: dt.datetime) -> None:
    problem = written_at_problem(written_at, now)
    if problem:
        raise ValidationError({"written_at": problem})


def write_note(
    actor: Actor,
    person: Person,
    *,
    kind: str,
    written_at: dt.datetime | None = None,
    facility: Facility | None = None,
    now: dt.datetime | None = None,
    goal: Any = None,
    **content: Any,
) -> Note:
    """A new transmission, observation or macrocible about `person`.

    `facility` is the one the user works in: when the person has stays in several
    facilities, the note goes to the stay there. `goal`: an objective of the person's
    projet personnalisé the note reports on.
    """
    now = now or timezone.now()
    written_at = written_at or now
    values = _clean_content(kind, content)
    _require_write(actor, person, values["category"])
    _check_written_at(written_at, now)
    stay = _stay_at(person, timezone.localdate(written_at), facility)
    note = Note(
        person=person,
        facility=stay.facility,
        unit=stay.unit,
        kind=kind,
        author=actor.user,
        written_at=written_at,
        goal=_checked_goal(goal, person),
        **values,
    )
    return _audit(actor, note, "note.create")


def write_team_note(
    actor: Actor,
    facility: Facility,
    *,
    kind: str,
    unit: Unit | None = None,
    written_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    **content: Any,
) -> Note:
    """A note for the team of `unit` (None: the whole facility), about no person.

    Written by whoever may write its category for that team (selectors.team_allows); a
    transmission or an observation, audited as a change of the facility, with no person.
    """
    now = now or timezone.now()
    written_at = written_at or now
    if kind not in TEAM_KINDS:
        raise ValidationError(
            "Une note pour l'équipe est une transmission ciblée ou une observation."
        )
    if unit is not None and (unit.facility_id != facility.pk or not unit.is_active):
        raise ValidationError({"unit": "Cette unité n'est pas une unité de l'établissement."})
    values = _clean_content(kind, content)
    _check_category(values["category"])
    unit_id = unit.pk if unit is not None else None
    if not team_allows(actor.user, edit_code(values["category"]), facility, unit_id):
        raise PermissionDenied(REFUSED_TEAM)
    _check_written_at(written_at, now)
    note = Note(
        person=None,
        facility=facility,
        unit=unit,
        kind=kind,
        author=actor.user,
        written_at=written_at,
        **values,
    )
    return _audit(actor, note, "note.team_create")


def _checked_goal(goal: Any, person: Person) -> Any:
    """A goal of the person's PP, not of someone else's."""
    if goal is not None and goal.project.person_id != person.pk:
        raise ValidationError(
            {"goal": "Cet objectif appartient au projet personnalisé d'une autre personne."}
        )
    return goal


def can_edit_in_place(user: Any, note: Note, now: dt.datetime | None = None) -> bool:
    """The author, within the grace period, on a version in force nobody has corrected."""
    return (
        user is not None
        and note.author_id == user.pk
        and note.status == NoteStatus.ACTIVE
        and within_grace(note.created_at, now or timezone.now(), grace_minutes())
        and not note.corrections.exists()
    )


def edit_note(
    actor: Actor,
    note: Note,
    *,
    expected_version: int | None,
    written_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    **content: Any,
) -> Note:
    """Edit a note in place: its author only, within the grace period (audited before/after)."""
    now = now or timezone.now()
    _require_note_write(actor, note, note.category)
    if not can_edit_in_place(actor.user, note, now):
        raise PermissionDenied(
            f"Seul l'auteur peut modifier une transmission, dans les {grace_minutes()} minutes "
            "qui suivent sa saisie : ensuite, corrigez-la (une nouvelle version est créée)."
        )
    values = _clean_content(note.kind, content)
    _require_note_write(actor, note, values["category"])
    if written_at is not None and written_at != note.written_at:
        _check_written_at(written_at, now)
        note.written_at = written_at
    for name, value in values.items():
        setattr(note, name, value)
    return _audit(actor, note, "note.update", expected_version=expected_version)


def correct_note(
    actor: Actor, note: Note, *, now: dt.datetime | None = None, **content: Any
) -> Note:
    """A new version of `note` (which stays as it was, shown as corrected).

    Only the author corrects a note: another professional who disagrees writes their
    own transmission. The correction keeps the time of the facts, the place, the kind
    and the category of the note; a version already corrected cannot be corrected again
    (correct the latest one), which the database also enforces.
    """
    _require_note_write(actor, note, note.category)
    if actor.user is None or note.author_id != actor.user.pk:
        raise PermissionDenied(
            "Seul l'auteur d'une transmission peut la corriger : "
            "écrivez plutôt une nouvelle transmission."
        )
    content["category"] = note.category
    values = _clean_content(note.kind, content)
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.corrections.exists():
            raise ValidationError(
                "Cette version a déjà été corrigée : ouvrez la dernière version pour la corriger."
            )
        if locked.status != NoteStatus.ACTIVE:
            raise ValidationError("Cette transmission a été retirée : elle ne se corrige plus.")
        unchanged = all(getattr(locked, name) == value for name, value in values.items())
        if unchanged:
            raise ValidationError("La correction est identique à la version actuelle.")
        correction = Note(
            person_id=note.person_id,
            facility_id=note.facility_id,
            unit_id=note.unit_id,
            kind=note.kind,
            author=actor.user,
            written_at=note.written_at,
            corrects=note,
            original_id=note.original_id or note.pk,
            goal_id=note.goal_id,
            **values,
        )
        correction.person = note.person
        correction.facility = note.facility
        return _audit(actor, correction, "note.correct")


def may_withdraw(user: Any, note: Note) -> bool:
    """The author who may still write its category there, or a holder of `note.withdraw`
    who may read it there (see the module docstring)."""
    if user is None:
        return False
    if note.author_id == user.pk and note_allows(user, edit_code, note):
        return True
    target = {"person": note.person} if note.person_id else {"facility": note.facility}
    return bool(check(user, "note.withdraw", **target)) and note_allows(user, view_code, note)


def withdraw_note(
    actor: Actor,
    note: Note,
    *,
    reason: str,
    comment: str = "",
    expected_version: int,
    now: dt.datetime | None = None,
) -> Note:
    """Withdraw the latest version of a note from the record (or the team's cahier).

    A status change with the reason, who and when, audited with the values before and
    after; nothing is deleted. Refused (French message, nothing saved): an unknown reason,
    "autre motif" without a comment, a note already withdrawn or corrected since (withdraw
    its latest version), a page loaded before someone changed the note (409).
    """
    comment = (comment or "").strip()
    problem = withdrawal_problem(reason, comment)
    if problem:
        field, message = problem
        raise ValidationError({field: message})
    if not may_withdraw(actor.user, note):
        raise PermissionDenied(
            "Seuls l'auteur de la transmission et l'encadrement habilité peuvent la retirer."
        )
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.status != NoteStatus.ACTIVE:
            raise ValidationError("Cette transmission a déjà été retirée.")
        if locked.corrections.exists():
            raise ValidationError(
                "Cette version a été corrigée depuis : retirez la dernière version."
            )
        note.status = NoteStatus.WITHDRAWN
        note.withdrawn_at = now or timezone.now()
        note.withdrawn_by = actor.user
        note.withdrawal_reason = reason
        note.withdrawal_comment = comment
        return _audit(actor, note, "note.withdraw", expected_version=expected_version)


def mark_read(
    user: Any,
    note_ids: Iterable[int],
    now: dt.datetime | None = None,
    *,
    facility: Facility | None = None,
) -> int:
    """Mark the given notes as read by `user`, among those the user may read.

    Returns the number of notes newly marked. Ids the user may not read are ignored
    (the view checks the single-note case and answers 403), and so are the user's own
    notes: they count as read without a mark.
    """
    now = now or timezone.now()
    ids = list(
        readable_notes(user, note_ids, facility)
        .exclude(author_id=user.pk)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    already = set(
        NoteRead.objects.filter(user=user, note_id__in=ids).values_list("note_id", flat=True)
    )
    new = [NoteRead(note_id=pk, user=user, read_at=now) for pk in ids if pk not in already]
    NoteRead.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
