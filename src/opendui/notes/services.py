"""Writes of notes: create, edit within the grace period, correct (new version), mark read.

Every write checks `person.edit_<category>` on the person and is audited with the
person's id (core.services.save_audited). Nothing is ever deleted: after
`OPENDUI_NOTE_GRACE_MINUTES` a note changes only through a correction, a new Note
pointing at the version it corrects, which stays visible to those who may read it.

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

from opendui.accounts.access import require
from opendui.accounts.permissions import DataCategory
from opendui.core.actor import Actor
from opendui.core.services import save_audited
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.stays.models import Stay

from .models import MTVED_FIELDS, MacroMoment, Note, NoteKind, NoteRead
from .rules import within_grace, written_at_problem
from .selectors import edit_code, readable_notes

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


def _require_write(actor: Actor, person: Person, category: str) -> None:
    if category not in {c.value for c in DataCategory}:
        raise ValidationError({"category": "Catégorie de données inconnue."})
    require(
        actor.user,
        edit_code(category),
        person=person,
        message="Vous n'avez pas le droit d'écrire dans cette catégorie du dossier.",
    )


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
    return save_audited(
        actor,
        note,
        action,
        person_ids=[note.person_id],
        organisation_id=note.person.organisation_id,
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


def _checked_goal(goal: Any, person: Person) -> Any:
    """A goal of the person's PP, not of someone else's."""
    if goal is not None and goal.project.person_id != person.pk:
        raise ValidationError(
            {"goal": "Cet objectif appartient au projet personnalisé d'une autre personne."}
        )
    return goal


def can_edit_in_place(user: Any, note: Note, now: dt.datetime | None = None) -> bool:
    """The author, within the grace period, on a version nobody has corrected."""
    return (
        user is not None
        and note.author_id == user.pk
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
    _require_write(actor, note.person, note.category)
    if not can_edit_in_place(actor.user, note, now):
        raise PermissionDenied(
            f"Seul l'auteur peut modifier une transmission, dans les {grace_minutes()} minutes "
            "qui suivent sa saisie : ensuite, corrigez-la (une nouvelle version est créée)."
        )
    values = _clean_content(note.kind, content)
    _require_write(actor, note.person, values["category"])
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
    _require_write(actor, note.person, note.category)
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
        unchanged = all(getattr(locked, name) == value for name, value in values.items())
        if unchanged:
            raise ValidationError("La correction est identique à la version actuelle.")
        correction = Note(
            person=note.person,
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
        return _audit(actor, correction, "note.correct")


def mark_read(
    user: Any,
    note_ids: Iterable[int],
    now: dt.datetime | None = None,
    *,
    facility: Facility | None = None,
) -> int:
    """Mark the given notes as read by `user`, among those the user may read.

    Returns the number of notes newly marked. Ids the user may not read are ignored
    (the view checks the single-note case and answers 403).
    """
    now = now or timezone.now()
    ids = list(readable_notes(user, note_ids, facility).values_list("pk", flat=True))
    if not ids:
        return 0
    already = set(
        NoteRead.objects.filter(user=user, note_id__in=ids).values_list("note_id", flat=True)
    )
    new = [NoteRead(note_id=pk, user=user, read_at=now) for pk in ids if pk not in already]
    NoteRead.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
