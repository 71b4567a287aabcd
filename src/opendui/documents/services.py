"""Writing sharing records: what the future DMP and MSSanté clients call after each sending.

A client calls `record_sharing` once the national service answered (status "sent" when it
accepted the document or message, "failed" otherwise), in the job that sent it. The row is
what the usage indicators count (selectors.py); it carries no document content, only its
reference. Audited as a change when it names a person (a job's write: it does not make the
record "active" for the indicators).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import check
from opendui.accounts.permissions import DataCategory
from opendui.audit.services import record_change, snapshot
from opendui.core.actor import Actor
from opendui.core.services import Current, check_version
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from . import antivirus, content, store
from .codes import class_codes, document_type
from .models import (
    AntivirusStatus,
    AuthorKind,
    Channel,
    Confidentiality,
    Document,
    DocumentStatus,
    DocumentVersion,
    Sharing,
    SharingStatus,
    ThumbnailStatus,
    TypeSystem,
)


def record_sharing(
    actor: Actor,
    *,
    channel: Channel | str,
    facility: Facility,
    sent_at: dt.datetime,
    person: Person | None = None,
    status: SharingStatus | str = SharingStatus.SENT,
    external_id: str = "",
    document_reference: str = "",
) -> Sharing:
    """Store one sending; ValidationError (French) and nothing stored on bad input."""
    if str(channel) not in Channel.values:
        raise ValidationError("Canal inconnu : DMP ou MSSANTE attendu.")
    if str(status) not in SharingStatus.values:
        raise ValidationError("Statut d'envoi inconnu : « sent » ou « failed » attendu.")
    if str(channel) == Channel.DMP and person is None:
        raise ValidationError("Un document versé au DMP concerne toujours une personne.")
    if person is not None and person.organisation_id != facility.organisation_id:
        raise ValidationError("La personne n'appartient pas à l'organisme de l'établissement.")
    if sent_at.tzinfo is None:
        raise ValidationError("La date d'envoi doit porter son fuseau horaire.")
    sharing = Sharing(
        channel=str(channel),
        facility=facility,
        person=person,
        sent_at=sent_at,
        status=str(status),
        external_id=external_id[:200],
        document_reference=document_reference[:300],
    )
    with transaction.atomic():
        sharing.save()
        record_change(
            actor,
            f"sharing.{str(channel).lower()}",
            sharing,
            None,
            person_ids=[person.pk] if person is not None else [],
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
        )
    return sharing


# --- The document store -------------------------------------------------------------------

REFUSED = (
    "Vous n'avez pas le droit d'ajouter ou de modifier ce type de document pour cette personne."
)


def _require_write(actor: Actor, person: Person, category: str) -> None:
    """Write right on the category for that person (`person.edit_<category>`). A job or
    command (no user) acts for the application itself: generated documents."""
    if actor.user is None:
        return
    if not check(actor.user, f"person.edit_{category}", person=person).allowed:
        raise PermissionDenied(REFUSED)


def _file_parts(files) -> list[tuple[str, bytes]]:
    """(name, bytes) of each given file: an UploadedFile / File, bytes, or (name, bytes)."""
    parts = []
    for item in files:
        if isinstance(item, bytes | bytearray):
            parts.append(("", bytes(item)))
        elif isinstance(item, tuple):
            parts.append((str(item[0]), bytes(item[1])))
        else:
            if hasattr(item, "seek"):
                item.seek(0)
            parts.append((getattr(item, "name", "") or "", item.read()))
    return parts


def prepare_content(files) -> tuple[bytes, str, str]:
    """(bytes, mime type, original name) of what will be stored: one file as it is, or
    several images assembled into one PDF. ValidationError (French) on bad content."""
    limit = settings.DOCUMENT_MAX_BYTES
    parts = _file_parts(files)
    if not parts:
        raise ValidationError("Joignez un fichier ou photographiez le document.", code="missing")
    for name, data in parts:
        if len(data) > limit:
            raise _too_big()
        if not data:
            label = f" « {content.safe_name(name)} »" if name else ""
            raise ValidationError(f"Le fichier{label} est vide.", code="empty")
    checked = [(name, content.detect(data)) for name, data in parts]
    if len(checked) == 1:
        name, result = checked[0]
        return result.data, result.mime_type, content.safe_name(name, result.mime_type)
    if any(result.mime_type not in content.IMAGES for _name, result in checked):
        raise ValidationError(
            "Plusieurs fichiers ne sont assemblés que s'ils sont tous des images (photos des "
            "pages) : envoyez un document PDF ou texte seul.",
            code="mixed",
        )
    pdf = content.images_to_pdf([result.data for _name, result in checked])
    if len(pdf) > limit:
        raise _too_big()
    stem = content.safe_name(checked[0][0] or "document").rsplit(".", 1)[0]
    return pdf, content.PDF, content.safe_name(f"{stem}.pdf", content.PDF)


def _too_big() -> ValidationError:
    megabytes = settings.DOCUMENT_MAX_BYTES / (1024 * 1024)
    return ValidationError(
        f"Le fichier dépasse la taille maximale de {megabytes:g} Mo : il est refusé.",
        code="too_big",
    )


def _check_metadata(
    *,
    person: Person,
    facility: Facility,
    data_category: str,
    type_system: str,
    type_code: str,
    class_code: str,
    title: str,
    act_date: dt.date,
    author_kind: str,
    author_user,
    author_name: str,
    author_relative,
    confidentiality: str,
    external_professional=None,
):
    errors: dict[str, str] = {}
    if facility.organisation_id != person.organisation_id:
        errors["facility"] = "L'établissement n'est pas celui de l'organisme de la personne."
    if (
        external_professional is not None
        and external_professional.organisation_id != person.organisation_id
    ):
        errors["external_professional"] = (
            "Ce professionnel n'est pas dans l'annuaire de l'organisme de la personne."
        )
    if data_category not in {c.value for c in DataCategory}:
        errors["data_category"] = "Catégorie de données inconnue."
    doc_type = document_type(type_system, type_code)
    if doc_type is None:
        errors["type"] = "Type de document inconnu."
    if class_code and class_code not in class_codes():
        errors["class_code"] = "Classe de document inconnue (JDV_J06)."
    if not title.strip():
        errors["title"] = "Indiquez un titre."
    elif len(title) > 200:
        errors["title"] = "Titre trop long (200 caractères au plus)."
    if act_date > timezone.localdate():
        errors["act_date"] = "La date de l'acte ne peut pas être dans le futur."
    if author_kind not in AuthorKind.values:
        errors["author_kind"] = "Auteur inconnu."
    elif author_kind == AuthorKind.PROFESSIONAL and author_user is None:
        errors["author_kind"] = "Indiquez le professionnel de l'organisme auteur du document."
    elif author_kind in (AuthorKind.EXTERNAL, AuthorKind.RELATIVE) and not (
        author_name.strip() or author_relative is not None or external_professional is not None
    ):
        errors["author_name"] = "Indiquez le nom de l'auteur du document."
    if author_relative is not None and author_relative.person_id != person.pk:
        errors["author_name"] = "Ce proche n'est pas de l'entourage de cette personne."
    if confidentiality not in Confidentiality.values:
        errors["confidentiality"] = "Niveau de confidentialité inconnu."
    if errors:
        raise ValidationError(errors)
    return doc_type


def _store_file(data: bytes) -> tuple[str, str]:
    """Scan, then write the file; (stored name, antivirus status)."""
    try:
        clean = antivirus.scan(data)
    except antivirus.AntivirusUnavailable as error:
        raise ValidationError(error.message, code="antivirus") from error
    try:
        name = store.write(store.new_name(), data)
    except store.StorageUnavailable as error:
        raise ValidationError(error.message, code="storage") from error
    return name, AntivirusStatus.CLEAN if clean else AntivirusStatus.NOT_SCANNED


def _new_version(
    actor: Actor, document: Document, number: int, stored_name: str, data, mime, name, scan
):
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        stored_name=stored_name,
        original_name=name,
        mime_type=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=timezone.now(),
        uploaded_by=actor.user,
        thumbnail_status=ThumbnailStatus.PENDING,
        antivirus_status=scan,
    )


def _after_rows_or_remove(stored_name: str, write_rows):
    """Run `write_rows` in a transaction; if it fails, delete the file just stored."""
    try:
        with transaction.atomic():
            return write_rows()
    except BaseException:
        store.remove(stored_name)
        raise


def _enqueue_thumbnail(version: DocumentVersion) -> None:
    from .tasks import render_thumbnail

    render_thumbnail.using(idempotency_key=f"documents.thumbnail:{version.pk}").enqueue(version.pk)


def store_document(
    actor: Actor,
    person: Person,
    *,
    facility: Facility,
    data_category: str,
    type_code: str,
    title: str,
    act_date: dt.date,
    files,
    type_system: str = TypeSystem.LOCAL,
    class_code: str | None = None,
    author_kind: str = AuthorKind.PROFESSIONAL,
    author_user=None,
    author_name: str = "",
    external_professional=None,
    author_relative=None,
    confidentiality: str = Confidentiality.NORMAL,
) -> Document:
    """Store a new document of `person`: check, write the file, then the rows and the audit
    event. All or nothing: a refused or failed write leaves no row and no file.

    `files`: one file (stored as it is) or several images (assembled into one PDF); each an
    UploadedFile or File, bytes, or (original name, bytes). `class_code` None takes the
    type's default class. `author_user` defaults to the actor's user for a professional
    author. ValidationError (French, per field) on bad input; PermissionDenied when the
    actor may not write `data_category` for this person (a job, with no user, may).
    """
    _require_write(actor, person, data_category)
    if author_kind == AuthorKind.PROFESSIONAL and author_user is None:
        author_user = actor.user
    doc_type = _check_metadata(
        person=person,
        facility=facility,
        data_category=data_category,
        type_system=str(type_system),
        type_code=type_code,
        class_code=class_code or "",
        title=title,
        act_date=act_date,
        author_kind=str(author_kind),
        author_user=author_user,
        author_name=author_name,
        author_relative=author_relative,
        confidentiality=str(confidentiality),
        external_professional=external_professional,
    )
    data, mime, name = prepare_content(files)
    stored_name, scan = _store_file(data)

    def rows() -> Document:
        document = Document.objects.create(
            person=person,
            facility=facility,
            data_category=data_category,
            type_system=str(type_system),
            type_code=type_code,
            type_label=doc_type.label,
            class_code=doc_type.default_class if class_code is None else class_code,
            title=title.strip(),
            act_date=act_date,
            author_kind=str(author_kind),
            author_user=author_user if author_kind == AuthorKind.PROFESSIONAL else None,
            author_name=author_name.strip()[:200],
            external_professional=external_professional,
            author_relative=author_relative,
            confidentiality=str(confidentiality),
            created_by=actor.user,
        )
        version = _new_version(actor, document, 1, stored_name, data, mime, name, scan)
        document.current = version
        document.version_count = 1
        document.save(update_fields=["current", "version_count"])
        record_change(
            actor,
            "document.create",
            document,
            None,
            person_ids=[person.pk],
            organisation_id=person.organisation_id,
            facility_id=facility.pk,
        )
        _enqueue_thumbnail(version)
        return document

    return _after_rows_or_remove(stored_name, rows)


def _locked(document: Document, expected_version) -> Document:
    locked = Document.objects.select_for_update().get(pk=document.pk)
    check_version(locked.version, expected_version)
    return locked


def replace_document(
    actor: Actor,
    document: Document,
    *,
    files,
    expected_version: int | Current,
    title: str | None = None,
    act_date: dt.date | None = None,
) -> DocumentVersion:
    """Add a new version of the content (the previous ones stay); same guarantees as
    `store_document`. ConcurrentEditError when the document changed since it was loaded.

    `title` and `act_date`, when given, become the document's (a new version of a
    generated document is a new act: the PP validated again); audited with the change."""
    _require_write(actor, document.person, document.data_category)
    if title is not None and not (title.strip() and len(title) <= 200):
        raise ValidationError({"title": "Indiquez un titre (200 caractères au plus)."})
    if act_date is not None and act_date > timezone.localdate():
        raise ValidationError({"act_date": "La date de l'acte ne peut pas être dans le futur."})
    if not document.is_active:
        raise ValidationError("Un document retiré ne peut plus être remplacé.")
    data, mime, name = prepare_content(files)
    stored_name, scan = _store_file(data)

    def rows() -> DocumentVersion:
        locked = _locked(document, expected_version)
        if not locked.is_active:
            raise ValidationError("Un document retiré ne peut plus être remplacé.")
        before = snapshot(locked)
        number = locked.version_count + 1
        version = _new_version(actor, locked, number, stored_name, data, mime, name, scan)
        locked.current = version
        locked.version_count = number
        locked.version += 1
        fields = ["current", "version_count", "version"]
        if title is not None:
            locked.title = document.title = title.strip()
            fields.append("title")
        if act_date is not None:
            locked.act_date = document.act_date = act_date
            fields.append("act_date")
        locked.save(update_fields=fields)
        record_change(
            actor,
            "document.replace",
            locked,
            before,
            person_ids=[locked.person_id],
            organisation_id=document.person.organisation_id,
            facility_id=locked.facility_id,
        )
        _enqueue_thumbnail(version)
        document.current, document.version_count = version, number
        document.version = locked.version
        return version

    return _after_rows_or_remove(stored_name, rows)


def withdraw_document(
    actor: Actor, document: Document, *, reason: str, expected_version: int | Current
) -> Document:
    """Withdraw a document (hidden from everyday lists, kept with its versions, in history
    and audit). A reason is required."""
    _require_write(actor, document.person, document.data_category)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif du retrait."})
    if len(reason) > 500:
        raise ValidationError({"reason": "Motif trop long (500 caractères au plus)."})
    if actor.user is None:
        raise ValidationError("Un retrait est toujours fait par un utilisateur.")
    with transaction.atomic():
        locked = _locked(document, expected_version)
        if not locked.is_active:
            raise ValidationError("Ce document est déjà retiré.")
        before = snapshot(locked)
        locked.status = DocumentStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor.user
        locked.withdrawal_reason = reason
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "withdrawn_at",
                "withdrawn_by",
                "withdrawal_reason",
                "version",
            ]
        )
        record_change(
            actor,
            "document.withdraw",
            locked,
            before,
            person_ids=[locked.person_id],
            organisation_id=document.person.organisation_id,
            facility_id=locked.facility_id,
        )
    return locked
