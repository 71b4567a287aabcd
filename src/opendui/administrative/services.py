"""Every write of the administrative file.

Each service checks `person.edit_administrative` on the person (views check too, the
services again), validates the row (French messages), and saves it with its change event
(before/after values) in one transaction. Nothing is deleted: a contact point is ended or
corrected (a new row replaces it, the old one stays as history), a coverage or a right is
edited against the version the user saw, a photo replaced stays, a consent is withdrawn.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from opendui.accounts.access import Decision, require
from opendui.audit.services import record_change, snapshot
from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion, check_version, save_audited
from opendui.persons.models import Person

from . import photos
from .models import ContactPoint, Photo, PhotoConsent, Profile

EDIT = "person.edit_administrative"
VIEW = "person.view_administrative"
REFUSED = "Vous n'avez pas le droit de modifier le dossier administratif de cette personne."
MIN_REASON_CHARACTERS = 3
PHOTO_FOLDER = "photos"
STORAGE_DOWN = (
    "Le stockage des fichiers est momentanément indisponible : rien n'a été enregistré, "
    "réessayez dans quelques minutes."
)


def require_edit(actor: Actor, person: Person) -> Decision:
    return require(actor.user, EDIT, person=person, message=REFUSED)


def _audit(person: Person, decision: Decision) -> dict[str, Any]:
    return {
        "person_ids": [person.pk],
        "organisation_id": person.organisation_id,
        "break_glass": decision.break_glass,
    }


def _action(row: Model, verb: str) -> str:
    return f"administrative.{row._meta.model_name}.{verb}"


def _check_fields(model: type[Model], fields: dict[str, Any]) -> None:
    known = {f.name for f in model._meta.concrete_fields}
    unknown = set(fields) - known - {"person"}
    if unknown or "person" in fields:
        raise TypeError(f"Champs non modifiables : {', '.join(sorted(unknown | {'person'}))}")


def add_item[M: Model](actor: Actor, person: Person, model: type[M], **fields: Any) -> M:
    """Create an address, phone, e-mail, coverage, complementary cover or right."""
    _check_fields(model, fields)
    decision = require_edit(actor, person)
    row = model(person=person, **fields)
    row.full_clean()
    with transaction.atomic():
        return save_audited(actor, row, _action(row, "add"), **_audit(person, decision))


def update_item[M: Model](
    actor: Actor, row: M, *, expected_version: ExpectedVersion | None, **fields: Any
) -> M:
    """Edit a coverage, complementary cover or right in place (before/after audited)."""
    _check_fields(type(row), fields)
    if isinstance(row, ContactPoint):
        raise TypeError("contact points are corrected with correct_contact (history kept)")
    decision = require_edit(actor, row.person)
    with transaction.atomic():
        # The stored row, locked: the caller's instance is left as it was.
        stored = type(row).objects.select_for_update().get(pk=row.pk)
        check_version(stored.version, expected_version)
        if all(getattr(stored, name) == value for name, value in fields.items()):
            raise ValidationError("Aucune modification : rien n'a été enregistré.")
        for name, value in fields.items():
            setattr(stored, name, value)
        stored.full_clean()
        return save_audited(
            actor,
            stored,
            _action(stored, "update"),
            expected_version=stored.version,
            **_audit(row.person, decision),
        )


def _lock_current(row: ContactPoint, expected_version: ExpectedVersion | None) -> ContactPoint:
    """The stored row, locked, at the version the user saw and still current."""
    stored = type(row).objects.select_for_update().get(pk=row.pk)
    check_version(stored.version, expected_version)
    if stored.replaced_by_id is not None:
        raise ValidationError("Cet élément a déjà été corrigé : il fait partie de l'historique.")
    if stored.valid_until is not None and stored.valid_until < timezone.localdate():
        raise ValidationError("Cet élément n'est plus valable : il fait partie de l'historique.")
    return stored


def correct_contact[M: ContactPoint](
    actor: Actor, row: M, *, expected_version: ExpectedVersion | None, **fields: Any
) -> M:
    """Correct an address, phone or e-mail: a new row with the corrected values; the old
    one points to it (`replaced_by`) and stays in the history. Returns the new row."""
    _check_fields(type(row), fields)
    decision = require_edit(actor, row.person)
    if all(getattr(row, name) == value for name, value in fields.items()):
        raise ValidationError("Aucune modification : rien n'a été enregistré.")
    with transaction.atomic():
        stored = _lock_current(row, expected_version)
        before = snapshot(stored)
        values = {
            f.name: getattr(stored, f.name)
            for f in type(row)._meta.concrete_fields
            if f.name not in {"id", "version", "created_at", "updated_at", "replaced_by"}
        }
        new = type(row)(**{**values, **fields})
        new.full_clean()
        save_audited(actor, new, _action(new, "correct"), **_audit(row.person, decision))
        stored.replaced_by = new
        stored.version += 1
        stored.save(update_fields=["replaced_by", "version", "updated_at"])
        record_change(
            actor, _action(stored, "replaced"), stored, before, **_audit(row.person, decision)
        )
    return new


def end_contact[M: ContactPoint](
    actor: Actor,
    row: M,
    *,
    valid_until: dt.date,
    reason: str,
    expected_version: ExpectedVersion | None,
) -> M:
    """End an address, phone or e-mail on `valid_until` (not in the future) for `reason`."""
    decision = require_edit(actor, row.person)
    reason = (reason or "").strip()
    errors = {}
    if valid_until > timezone.localdate():
        errors["valid_until"] = "La date de fin ne peut pas être dans le futur."
    elif row.valid_from and valid_until < row.valid_from:
        errors["valid_until"] = "La date de fin ne peut pas précéder la date de début."
    if sum(ch.isalnum() for ch in reason) < MIN_REASON_CHARACTERS:
        errors["end_reason"] = "Indiquez le motif (par exemple : déménagement, numéro résilié)."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stored = _lock_current(row, expected_version)
        stored.valid_until = valid_until
        stored.end_reason = reason
        return save_audited(
            actor,
            stored,
            _action(stored, "end"),
            expected_version=stored.version,
            **_audit(row.person, decision),
        )


def save_profile(
    actor: Actor, person: Person, *, expected_version: ExpectedVersion | None, **fields: Any
) -> Profile:
    """Language, interpreter, nationality, family situation. The first save creates the
    row (expected version 0: nothing seen yet); later ones update it with its version."""
    _check_fields(Profile, fields)
    decision = require_edit(actor, person)
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(person=person).first()
        if profile is None:
            check_version(0, expected_version)
            profile = Profile(person=person, **fields)
            profile.full_clean()
            return save_audited(
                actor, profile, "administrative.profile.add", **_audit(person, decision)
            )
        check_version(profile.version, expected_version)
        if all(getattr(profile, name) == value for name, value in fields.items()):
            raise ValidationError("Aucune modification : rien n'a été enregistré.")
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.full_clean()
        return save_audited(
            actor,
            profile,
            "administrative.profile.update",
            expected_version=profile.version,
            **_audit(person, decision),
        )


# --- photo -------------------------------------------------------------------------------


def current_consent(person: Person) -> PhotoConsent | None:
    return PhotoConsent.objects.filter(person=person, withdrawn_on__isnull=True).first()


def record_photo_consent(actor: Actor, person: Person, **fields: Any) -> PhotoConsent:
    """Record the consent to keep a photo (before any photo can be stored)."""
    _check_fields(PhotoConsent, fields)
    decision = require_edit(actor, person)
    if current_consent(person) is not None:
        raise ValidationError("Un consentement à la photo est déjà en vigueur pour cette personne.")
    consent = PhotoConsent(person=person, recorded_by=actor.user, **fields)
    consent.full_clean()
    with transaction.atomic():
        return save_audited(
            actor, consent, "administrative.photo_consent.add", **_audit(person, decision)
        )


def withdraw_photo_consent(
    actor: Actor,
    consent: PhotoConsent,
    *,
    on: dt.date,
    reason: str,
    expected_version: ExpectedVersion | None,
) -> PhotoConsent:
    """Withdraw the consent: the photos taken under it are no longer shown (kept)."""
    decision = require_edit(actor, consent.person)
    reason = (reason or "").strip()
    errors = {}
    if consent.withdrawn_on is not None:
        errors["__all__"] = "Ce consentement est déjà retiré."
    if on > timezone.localdate():
        errors["on"] = "La date du retrait ne peut pas être dans le futur."
    elif on < consent.given_on:
        errors["on"] = "La date du retrait ne peut pas précéder celle du recueil."
    if sum(ch.isalnum() for ch in reason) < MIN_REASON_CHARACTERS:
        errors["reason"] = "Indiquez le motif du retrait."
    if errors:
        raise ValidationError(errors)
    consent.withdrawn_on = on
    consent.withdrawal_reason = reason
    with transaction.atomic():
        return save_audited(
            actor,
            consent,
            "administrative.photo_consent.withdraw",
            expected_version=expected_version,
            **_audit(consent.person, decision),
        )


def store_photo(actor: Actor, person: Person, upload: Any) -> Photo:
    """Check and store an uploaded photo, replacing the current one (kept as history).

    Refused (PhotoRefused, French message) without a consent in force, or when the file
    is not an acceptable image. The file is written first, under a generated name, then
    the row; if the row cannot be written the file is removed, so neither is left alone.
    """
    decision = require_edit(actor, person)
    consent = current_consent(person)
    if consent is None:
        raise photos.PhotoRefused(
            "Enregistrez d'abord le consentement de la personne (ou de son représentant) "
            "à la prise de photo."
        )
    upload.seek(0)
    prepared = photos.prepare(upload, upload.size)
    storage = storages["records"]
    try:
        name = storage.save(f"{PHOTO_FOLDER}/{uuid.uuid4().hex}.jpg", ContentFile(prepared.data))
    except Exception as error:  # any backend's failure (disk full, S3 unreachable...)
        raise photos.PhotoRefused(STORAGE_DOWN) from error
    try:
        with transaction.atomic():
            now = timezone.now()
            previous = list(
                Photo.objects.select_for_update().filter(person=person, superseded_at__isnull=True)
            )
            photo = Photo(
                person=person,
                consent=consent,
                storage_name=name,
                width=prepared.width,
                height=prepared.height,
                byte_size=len(prepared.data),
                uploaded_by=actor.user,
            )
            save_audited(actor, photo, "administrative.photo.add", **_audit(person, decision))
            for old in previous:
                before = snapshot(old)
                old.superseded_at = now
                old.save(update_fields=["superseded_at"])
                record_change(
                    actor,
                    "administrative.photo.superseded",
                    old,
                    before,
                    **_audit(person, decision),
                )
    except BaseException:
        storage.delete(name)
        raise
    return photo
