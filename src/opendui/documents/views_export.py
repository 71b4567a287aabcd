"""Pages of the record export (record_export.py): the request with its reason, the status
page with its progress (polled as JSON by app.js, refreshed by <meta> without
JavaScript), and the one download.

Every page checks `person.export` on the person through core.exports (a refusal is a 403
with its audit row); an export is found by its public id *and* its person *and* its
requester, so another user's or another person's export is a 404, whatever the id typed.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.downloads import streamed_attachment
from opendui.core.exports import authorize_export
from opendui.core.params import posted
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import record_export, store
from .forms_export import ExportRequestForm
from .models import ExportStatus, RecordExport

GONE_DOWNLOADED = (
    "Cet export a déjà été téléchargé : pour protéger le dossier, il ne peut l'être qu'une "
    "fois et son fichier a été supprimé. Demandez un nouvel export si besoin."
)
GONE_EXPIRED = (
    "Cet export a expiré : il n'était téléchargeable que pendant 24 heures et son fichier a "
    "été supprimé. Demandez un nouvel export si besoin."
)


class DeletedOnClose:
    """The stored zip, read once: closing it (the response does, sent or interrupted)
    deletes the file from the records storage."""

    def __init__(self, handle, stored_name: str) -> None:
        self.handle, self.stored_name = handle, stored_name

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        try:
            self.handle.close()
        finally:
            store.remove(self.stored_name)


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _export(request: HttpRequest, pk: int, export_id: uuid.UUID):
    """(the requester's own export of this person, the export permit): the permission on
    the person first (a refusal is a 403 with its audit row), then the export, which any
    id but the requester's own for this person makes a 404."""
    permit = authorize_export(request, person=_person(pk))
    export = get_object_or_404(
        RecordExport.objects.select_related("person", "person__organisation"),
        public_id=export_id,
        person_id=pk,
        requested_by_id=request.user.pk,
    )
    return export, permit


def export_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation page (what will be exported, the reason), then the export."""
    person = _person(pk)
    decision = authorize(request, "person.view_identity", person=person)
    authorize_export(request, person=person)
    form = ExportRequestForm(posted(request))
    if form.is_valid():
        export, _created = record_export.request_export(
            Actor.from_request(request),
            person,
            reason=form.cleaned_data["reason"],
            detail=form.cleaned_data["detail"].strip(),
            facility_id=getattr(request, "current_facility_id", None),
            decision=decision,
        )
        return redirect("documents:export_status", pk=person.pk, export_id=export.public_id)
    record_person_access(Actor.from_request(request), "record_export.form", [person], decision)
    return render(
        request,
        "documents/export/request.html",
        {
            "person": person,
            "record_tab": "synthesis",
            "form": form,
            "current": record_export.unfinished_export(request.user, person),
        },
        status=400 if form.is_bound else 200,
    )


def _state(export: RecordExport) -> dict:
    return {
        "status": export.status,
        "label": str(export.get_status_display()),
        "pending": not export.finished,
        "progress": export.progress,
        "step": export.step,
    }


def export_status(request: HttpRequest, pk: int, export_id: uuid.UUID) -> HttpResponse:
    export, permit = _export(request, pk, export_id)
    decision = permit.decision
    if record_export.is_expired(export):
        record_export.expire_exports(RecordExport.objects.filter(pk=export.pk))
        export.refresh_from_db()
    record_person_access(
        Actor.from_request(request),
        "record_export.status",
        [export.person],
        decision,
        {"export": str(export.public_id)},
    )
    return render(
        request,
        "documents/export/status.html",
        {"person": export.person, "record_tab": "synthesis", "export": export},
    )


def export_progress(request: HttpRequest, pk: int, export_id: uuid.UUID) -> JsonResponse:
    """The export's state for app.js: no personal data, so no access event."""
    export, _permit = _export(request, pk, export_id)
    response = JsonResponse(_state(export))
    response["Cache-Control"] = "no-store"
    return response


def _gone(request: HttpRequest, export: RecordExport, message: str) -> HttpResponse:
    return render(
        request,
        "documents/export/gone.html",
        {"person": export.person, "record_tab": "synthesis", "export": export, "message": message},
        status=410,
    )


def export_download(request: HttpRequest, pk: int, export_id: uuid.UUID) -> HttpResponse:
    """The zip, once: the row is marked downloaded before the file is sent, and the file
    is deleted from the storage when the response is closed."""
    export, permit = _export(request, pk, export_id)
    if export.status == ExportStatus.DOWNLOADED:
        return _gone(request, export, GONE_DOWNLOADED)
    if record_export.is_expired(export):
        record_export.expire_exports(RecordExport.objects.filter(pk=export.pk))
        return _gone(request, export, GONE_EXPIRED)
    if export.status != ExportStatus.READY:
        return redirect("documents:export_status", pk=pk, export_id=export.public_id)
    try:
        handle = store.open_file(export.stored_name)
    except store.StorageUnavailable:
        return render(
            request,
            "documents/export/gone.html",
            {
                "person": export.person,
                "record_tab": "synthesis",
                "export": export,
                "message": store.StorageUnavailable.message,
                "retry": True,
            },
            status=503,
        )
    if not record_export.claim_download(export):  # a concurrent request took it
        handle.close()
        return _gone(request, export, GONE_DOWNLOADED)
    record_person_access(
        Actor.from_request(request),
        "record_export.download",
        [export.person],
        permit.decision,
        {"export": str(export.public_id), "size": export.size, "sha256": export.sha256},
    )
    name = f"dossier-{export.person.local_id}-{timezone.localdate():%Y-%m-%d}.zip"
    return streamed_attachment(
        DeletedOnClose(handle, export.stored_name),
        "application/zip",
        name,
        size=export.size,
        permit=permit,
    )
