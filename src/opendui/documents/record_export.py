"""The record export: the whole readable record of one person, as one PDF and a zip of the
person's documents, prepared in a background job and downloaded once.

Why here: the export zips the document store's files, and `documents` is above every app
that owns a part of the record, so it may ask them all through the registry of
`persons.sections` (`register_export_section`) without any of them knowing it.

What the export holds is what the requesting user may read, evaluated *when the job
runs*: each section provider decides with the reader's permissions exactly as its tab
does, and the documents are those of the categories the reader may read (withdrawn ones
excluded). If the reader lost `person.export` or the identity meanwhile, the job fails
with a French message and builds nothing.

The zip (`exports/<uuid>.zip` in the records storage) is spooled to a temporary file, so
memory does not grow with the documents; an unreachable storage is retried, then the
export fails; a file written in part is removed (store.write_file), so nothing is left
behind. It is downloaded by its requester only, once, within EXPORT_LIFETIME: the
download deletes it, and `expire_exports` (run by the worker) deletes those left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
import re
import shutil
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from opendui.accounts.access import check
from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.downloads import spreadsheet_csv
from opendui.jobs.tasks import JobError
from opendui.persons.models import Person
from opendui.persons.sections import ExportSection, RecordReading, export_sections

from . import store
from .models import (
    UNFINISHED_EXPORTS,
    Document,
    DocumentVersion,
    ExportReason,
    ExportStatus,
    RecordExport,
)
from .selectors import person_documents, readable_categories

logger = logging.getLogger(__name__)

EXPORTS = "exports"
EXPORT_LIFETIME = dt.timedelta(hours=24)
MAX_ATTEMPTS = 3
SPOOL_BYTES = 8 * 1024 * 1024  # beyond this, the zip being built goes to a temporary file

REVOKED = (
    "Vos droits ne permettent plus d'exporter ce dossier : l'export n'a pas été préparé. "
    "Si c'est une erreur, voyez avec votre responsable."
)
STORAGE_RETRYING = (
    "Le stockage des documents ne répond pas : un nouvel essai aura lieu dans quelques minutes."
)
STORAGE_FAILED = (
    "Le stockage des documents n'a pas répondu après plusieurs essais : l'export n'a pas été "
    "préparé. Demandez un nouvel export plus tard ; si cela persiste, prévenez "
    "l'administrateur."
)
UNEXPECTED = (
    "Une erreur inattendue a interrompu la préparation de l'export. Demandez un nouvel "
    "export ; si cela persiste, prévenez l'administrateur."
)


class ExportStorageDown(JobError):
    """The records storage did not answer while the export was built: retried."""


class AccessRevoked(Exception):
    """The requester may no longer export this record."""


# --- small pure pieces ------------------------------------------------------------------


def safe_part(text: str, max_length: int = 60) -> str:
    """`text` as a portable piece of a file name: accents dropped, anything but letters,
    digits, `-` and `_` becomes `-`. A title typed by a user (`../../etc/passwd`,
    `"a:b*c"`) can then never climb out of the zip's folder nor break an unzip tool."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_text).strip("-_")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    return cleaned[:max_length].strip("-_") or "document"


def extension(original_name: str, mime_type: str) -> str:
    """The file's extension (`.pdf`), from its original name when sound, else its type."""
    suffix = original_name.rsplit(".", 1)[-1].lower() if "." in original_name else ""
    if suffix and re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        return f".{suffix}"
    return mimetypes.guess_extension(mime_type) or ".bin"


def document_entry_name(index: int, document: Document, version: DocumentVersion) -> str:
    """`documents/<NNN>-<act date>-<type>-<title>.<ext>`: numbered so that two documents
    of the same day, type and title never collide, sorted as in the index."""
    return (
        f"documents/{index:03d}-{document.act_date:%Y-%m-%d}-"
        f"{safe_part(document.type_label, 40)}-{safe_part(document.title)}"
        f"{extension(version.original_name, version.mime_type)}"
    )


def progress_between(done: int, total: int, start: int, end: int) -> int:
    """The percentage shown after `done` of `total` steps of a phase that spans
    `start`..`end` percent (a phase without steps is complete)."""
    if total <= 0:
        return end
    return start + (end - start) * min(done, total) // total


def reason_text(reason: str, detail: str) -> str:
    """The reason as the audit trail and the cover page state it."""
    label = str(ExportReason(reason).label)
    return f"{label} – {detail}" if detail else label


def audit_reason(reason: str, detail: str, decision: Any = None) -> str:
    """The event's reason: the export's, and the break-the-glass reason when the access
    was exceptional (the trail keeps both)."""
    text = reason_text(reason, detail)
    if decision is not None and decision.break_glass and decision.reason:
        return f"{text} ; accès exceptionnel : {decision.reason}"
    return text


def may_still_export(user: Any, person: Person) -> bool:
    """Whether the requester may still read the identity and export the record."""
    return bool(
        user.is_active
        and check(user, "person.export", person=person)
        and check(user, "person.view_identity", person=person)
    )


# --- the request ------------------------------------------------------------------------


def unfinished_export(user: Any, person: Person) -> RecordExport | None:
    """The user's export of this person not finished yet (nor expired), if any."""
    return (
        RecordExport.objects.filter(
            requested_by=user,
            person=person,
            status__in=UNFINISHED_EXPORTS,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def request_export(
    actor: Actor,
    person: Person,
    *,
    reason: str,
    detail: str = "",
    facility_id: int | None = None,
    decision: Any = None,
) -> tuple[RecordExport, bool]:
    """The export asked by `actor.user` (and whether it is new): one unfinished export per
    user and person, so a double click or a second tab lands on the same one. A new one
    is audited with its reason and handed to the worker (a job row, same transaction)."""
    user = actor.user
    existing = unfinished_export(user, person)
    if existing is not None:
        return existing, False
    # An unfinished export past its lifetime no longer counts: expire it first.
    expire_exports(RecordExport.objects.filter(requested_by=user, person=person))
    now = timezone.now()
    try:
        with transaction.atomic():
            export = RecordExport.objects.create(
                public_id=uuid.uuid4(),
                person=person,
                requested_by=user,
                facility_id=facility_id,
                reason=reason,
                reason_detail=detail,
                created_at=now,
                expires_at=now + EXPORT_LIFETIME,
                step="En attente de prise en charge",
            )
            record(
                actor,
                EventKind.ACCESS,
                "record_export.request",
                person_ids=[person.pk],
                obj=person,
                organisation_id=person.organisation_id,
                facility_id=facility_id,
                details={"export": str(export.public_id), "reason": reason},
                break_glass=bool(decision and decision.break_glass),
                reason=audit_reason(reason, detail, decision),
            )
            # The job is a row of the same database: it commits with the export or not at all.
            build_record_export.using(idempotency_key=f"record_export:{export.pk}").enqueue(
                export.pk
            )
    except IntegrityError:  # a concurrent request created it first
        existing = unfinished_export(user, person)
        if existing is None:
            raise
        return existing, False
    return export, True


# --- the job ----------------------------------------------------------------------------


def _set_progress(export: RecordExport, percent: int, step: str) -> None:
    export.progress, export.step = percent, step
    RecordExport.objects.filter(pk=export.pk).update(progress=percent, step=step)


def render_sections(
    reading: RecordReading, on_section: Callable[[int, int, str], None] | None = None
) -> list[tuple[str, str, ExportSection]]:
    """(key, title, section) of every section the reader may see, in order."""
    entries = export_sections()
    shown = []
    for done, entry in enumerate(entries, start=1):
        section = entry.provider(reading)
        if section is not None:
            shown.append((entry.key, section.title or str(entry.label), section))
        if on_section:
            on_section(done, len(entries), str(entry.label))
    return shown


def record_html(export: RecordExport, reading: RecordReading, sections, documents) -> str:
    """The HTML of `dossier.pdf`: cover page, table of contents, the sections, the index
    of the documents joined in the zip."""
    person = reading.person
    return render_to_string(
        "documents/export/record.html",
        {
            "export": export,
            "person": person,
            "ins": person.transmittable_ins,
            "requester": export.requested_by,
            "reason": reason_text(export.reason, export.reason_detail),
            "generated_at": reading.now,
            "sections": sections,
            "documents": documents,
        },
    )


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading pango is slow

    return HTML(string=html).write_pdf()


def _readable_documents(user: Any, person: Person) -> list[tuple[str, Document]]:
    """(zip entry name, document) of the active documents the user may read, act order."""
    categories = readable_categories(user, person)
    rows = person_documents(person, categories).filter(current__isnull=False)
    ordered = sorted(rows, key=lambda d: (d.act_date, d.pk))
    return [
        (document_entry_name(index, document, document.current), document)
        for index, document in enumerate(ordered, start=1)
    ]


def index_csv(documents: list[tuple[str, Document]]) -> str:
    return spreadsheet_csv(
        ["Fichier", "Date de l'acte", "Type", "Titre", "Catégorie", "Version", "SHA-256"],
        (
            [
                name,
                f"{d.act_date:%d/%m/%Y}",
                d.type_label,
                d.title,
                str(DATA_CATEGORY_LABELS[DataCategory(d.data_category)]),
                d.current.number,
                d.current.sha256,
            ]
            for name, d in documents
        ),
    )


def build(export: RecordExport, now: dt.datetime | None = None) -> tuple[str, int, str, int]:
    """Write the export's zip to the storage: (stored name, size, sha256, documents).

    Raises AccessRevoked, or store.StorageUnavailable (nothing left in the storage)."""
    user, person = export.requested_by, export.person
    if not may_still_export(user, person):
        raise AccessRevoked
    reading = RecordReading(user, person, now)
    sections = render_sections(
        reading,
        lambda done, total, label: _set_progress(
            export, progress_between(done, total, 5, 45), f"Section « {label} »"
        ),
    )
    documents = _readable_documents(user, person)
    _set_progress(export, 50, "Mise en page du dossier (PDF)")
    pdf = render_pdf(record_html(export, reading, sections, documents))
    _set_progress(export, 60, "Ajout des documents")
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("dossier.pdf", pdf)
            archive.writestr("index.csv", index_csv(documents))
            for done, (name, document) in enumerate(documents, start=1):
                with (
                    store.open_file(document.current.stored_name) as source,
                    archive.open(name, "w") as target,
                ):
                    shutil.copyfileobj(source, target, 1024 * 1024)
                _set_progress(
                    export,
                    progress_between(done, len(documents), 60, 90),
                    f"Document {done} sur {len(documents)}",
                )
        _set_progress(export, 92, "Enregistrement de l'archive")
        spool.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(1024 * 1024), b""):
            digest.update(chunk)
        size = spool.tell()
        spool.seek(0)
        name = store.write_file(store.new_name(EXPORTS, ".zip"), spool)
    return name, size, digest.hexdigest(), len(documents)


def _fail(export: RecordExport, message: str) -> None:
    RecordExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message, step="", finished_at=timezone.now()
    )


@task(
    max_attempts=MAX_ATTEMPTS,
    retry_on=(ExportStorageDown,),
    backoff_seconds=30,
    takes_context=True,
)
def build_record_export(context, export_id: int) -> str:
    export = (
        RecordExport.objects.select_related("person", "person__organisation", "requested_by")
        .filter(pk=export_id, status__in=(ExportStatus.PENDING, ExportStatus.RUNNING))
        .first()
    )
    if export is None:
        return "rien à faire"
    RecordExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, error="")
    _set_progress(export, 1, "Vérification des droits")
    try:
        name, size, sha256, count = build(export)
    except AccessRevoked:
        _fail(export, REVOKED)
        return "échec"
    except store.StorageUnavailable as error:
        if context.attempt >= MAX_ATTEMPTS:
            _fail(export, STORAGE_FAILED)
        else:
            _set_progress(export, 0, STORAGE_RETRYING)
        raise ExportStorageDown(store.StorageUnavailable.message) from error
    except Exception:
        _fail(export, UNEXPECTED)
        raise
    finished = timezone.now()
    updated = RecordExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.READY,
        stored_name=name,
        size=size,
        sha256=sha256,
        document_count=count,
        progress=100,
        step="Prêt à télécharger",
        finished_at=finished,
        expires_at=finished + EXPORT_LIFETIME,
    )
    if not updated:  # expired or failed meanwhile: keep nothing
        store.remove(name)
        return "abandonné"
    record(
        Actor(user=export.requested_by, label=export.requested_by.email),
        EventKind.ACCESS,
        "record_export.ready",
        person_ids=[export.person_id],
        obj=export.person,
        organisation_id=export.person.organisation_id,
        facility_id=export.facility_id,
        details={"export": str(export.public_id), "documents": count, "size": size},
    )
    return "prêt"


# --- download and expiry ----------------------------------------------------------------


def claim_download(export: RecordExport) -> bool:
    """Mark the export downloaded, once: False when another request took it first."""
    return bool(
        RecordExport.objects.filter(pk=export.pk, status=ExportStatus.READY).update(
            status=ExportStatus.DOWNLOADED, downloaded_at=timezone.now()
        )
    )


def is_expired(export: RecordExport, now: dt.datetime | None = None) -> bool:
    return export.status == ExportStatus.EXPIRED or (
        export.status in UNFINISHED_EXPORTS and export.expires_at <= (now or timezone.now())
    )


def expire_exports(rows=None, now: dt.datetime | None = None) -> int:
    """Mark expired the unfinished exports past their lifetime and delete their files;
    the number expired. Run by the worker (jobs.schedule) and before a download."""
    now = now or timezone.now()
    rows = RecordExport.objects.all() if rows is None else rows
    count = 0
    for export in rows.filter(status__in=UNFINISHED_EXPORTS, expires_at__lte=now):
        updated = RecordExport.objects.filter(pk=export.pk, status__in=UNFINISHED_EXPORTS).update(
            status=ExportStatus.EXPIRED, step="", finished_at=export.finished_at or now
        )
        if updated and export.stored_name:
            store.remove(export.stored_name)
        count += updated
    return count


@task()
def expire_record_exports() -> int:
    """The worker's periodic cleanup of exports past their lifetime."""
    return expire_exports()
