"""The document store's pages: the documents tab of a person, upload, detail with versions,
download, sandboxed viewer, thumbnail, replacement and withdrawal.

Who sees what: a document is read with `person.view_<its data category>` on its person
(so an educator never sees a medical document: the list is filtered in SQL by the
categories the reader may read); it is added, replaced or withdrawn with
`person.edit_<category>`. Withdrawn documents are shown (apart) to those who may write
their category. Every page and download writes an access event; thumbnails are part of
the list page that shows them (its event covers them), so they write none.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from opendui.accounts.access import Decision, check
from opendui.accounts.permissions import DATA_CATEGORY_LABELS, DataCategory
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import conflict_status, creation_token, handle_creation, save_or_refuse
from opendui.core.pagination import page_of
from opendui.core.params import posted
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import content, store
from .codes import document_types
from .forms import DocumentForm, ReplaceForm, WithdrawForm
from .hooks import document_statuses
from .models import Document, DocumentVersion
from .selectors import person_documents, readable_categories, writable_categories
from .services import REFUSED, replace_document, store_document, withdraw_document
from .uploads import interrupted, too_big

PAGE_SIZE = 25
TOO_BIG = (
    "Le fichier envoyé dépasse la taille maximale autorisée : rien n'a été enregistré. "
    "Réduisez-le (numérisation en 150 ou 200 ppp, en niveaux de gris) puis recommencez."
)
STORAGE_DOWN = store.StorageUnavailable.message
INTERRUPTED = "L'envoi a été interrompu avant la fin : rien n'a été enregistré. Recommencez."


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _gate(request: HttpRequest, person: Person, categories: list[str], *, write: bool) -> Decision:
    """The decision of the first category granted, or the refusal (403, audited)."""
    kind = "edit" if write else "view"
    code = f"person.{kind}_{categories[0] if categories else 'administrative'}"
    return authorize(request, code, person=person)


def documents_tab(request: HttpRequest, pk: int, *, withdrawn: bool = False) -> HttpResponse:
    person = _person(pk)
    categories = (
        writable_categories(request.user, person)
        if withdrawn
        else readable_categories(request.user, person)
    )
    decision = _gate(request, person, categories, write=withdrawn)
    type_key = request.GET.get("type", "")[:60]
    category = request.GET.get("categorie", "")[:20]
    if category not in categories:
        category = ""
    if type_key and ":" not in type_key:
        type_key = ""
    rows = person_documents(
        person, categories, withdrawn=withdrawn, type_key=type_key, category=category
    )
    page = page_of(rows, request.GET.get("page"), PAGE_SIZE)
    record_person_access(
        Actor.from_request(request),
        "document.withdrawn_list" if withdrawn else "document.list",
        [person],
        decision,
        {"documents": [d.pk for d in page.object_list]},
    )
    # What the apps above the store say of each document (the DMP status and its actions):
    # one call per provider for the whole page. Not for the withdrawn list.
    statuses = {} if withdrawn else document_statuses(request, person, list(page.object_list))
    for document in page.object_list:
        document.status_blocks = statuses.get(document.pk, [])
    query = "".join(
        f"{name}={quote(value)}&"
        for name, value in (("type", type_key), ("categorie", category))
        if value
    )
    return render(
        request,
        "documents/tab.html",
        {
            "person": person,
            "decision": decision,
            "page_obj": page,
            "documents": page.object_list,
            "withdrawn": withdrawn,
            "can_add": bool(writable_categories(request.user, person)),
            # Generated documents (contract, attestations, letters) are administrative.
            "can_generate": bool(check(request.user, "person.edit_administrative", person=person)),
            "categories": [(c, DATA_CATEGORY_LABELS[DataCategory(c)]) for c in categories],
            "category": category,
            "types": [(t.key, t.label) for t in document_types().values()],
            "type_key": type_key,
            "query_string": query,
        },
    )


def withdrawn_tab(request: HttpRequest, pk: int) -> HttpResponse:
    return documents_tab(request, pk, withdrawn=True)


def _facilities(person: Person):
    from opendui.stays.models import Placement

    ids = Placement.objects.filter(person=person).values("facility_id")
    rows = Facility.objects.filter(pk__in=ids, organisation_id=person.organisation_id)
    return rows.order_by("name")


def upload(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    categories = writable_categories(request.user, person)
    decision = _gate(request, person, categories, write=True)
    facilities = list(_facilities(person))
    back = reverse("documents:person_documents", kwargs={"pk": person.pk})
    if interrupted(request):
        form = DocumentForm(categories=categories, facilities=_facilities(person))
        return _upload_page(request, person, decision, form, status=400, refusal=INTERRUPTED)
    if request.method == "POST" and too_big(request):
        form = DocumentForm(categories=categories, facilities=_facilities(person))
        return _upload_page(request, person, decision, form, status=413, refusal=TOO_BIG)
    form = DocumentForm(
        posted(request),
        request.FILES or None,
        categories=categories,
        facilities=_facilities(person),
    )
    if len(facilities) == 1 and not form.is_bound:
        form.initial["facility"] = facilities[0].pk
    actor = Actor.from_request(request)

    def save() -> Document:
        data = form.cleaned_data
        doc_type = data["doc_type"]
        return store_document(
            actor,
            person,
            facility=data["facility"],
            data_category=data["category"],
            type_system=doc_type.system,
            type_code=doc_type.code,
            class_code=data["class_code"] or None,
            title=data["title"],
            act_date=data["act_date"],
            author_kind=data["author_kind"],
            author_name=data["author_name"],
            confidentiality=data["confidentiality"],
            files=data["files"],
        )

    try:
        result = handle_creation(
            request, form, save, on_replay_url=back, refusals=(PermissionDenied,)
        )
    except PermissionDenied:
        messages.error(request, REFUSED)
        return redirect(back)
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, Document):
        messages.success(request, f"Document ajouté : {result.title}.")
        return redirect("documents:detail", pk=result.pk)
    return _upload_page(
        request, person, decision, form, status=400 if request.method == "POST" else 200
    )


def _upload_page(
    request, person, decision, form, *, status: int = 200, refusal: str = ""
) -> HttpResponse:
    record_person_access(Actor.from_request(request), "document.upload_form", [person], decision)
    return render(
        request,
        "documents/upload.html",
        {
            "person": person,
            "decision": decision,
            "form": form,
            "form_token": creation_token(request),
            "refusal": refusal,
        },
        status=status,
    )


def _document(request: HttpRequest, pk: int, *, write: bool = False) -> tuple[Document, Decision]:
    """The document, if the user may read (or write) its category on its person; a
    withdrawn one only for those who may write its category."""
    document = get_object_or_404(
        Document.objects.select_related(
            "person", "person__organisation", "current", "facility", "author_user", "withdrawn_by"
        ),
        pk=pk,
    )
    kind = "edit" if write or not document.is_active else "view"
    decision = authorize(request, f"person.{kind}_{document.data_category}", person=document.person)
    return document, decision


def detail(
    request: HttpRequest, pk: int, *, replace_form=None, withdraw_form=None, status=200, refusal=""
):
    document, decision = _document(request, pk)
    can_edit = (
        document.is_active
        and check(
            request.user, f"person.edit_{document.data_category}", person=document.person
        ).allowed
    )
    versions = list(document.versions.select_related("uploaded_by").order_by("-number"))
    # The document's history comes from its own rows (creation, versions, withdrawal):
    # its metadata is never edited, and the audit trail has no index by object.
    history = [
        {
            "at": v.uploaded_at,
            "what": "ajout" if v.number == 1 else f"version {v.number}",
            "who": v.uploaded_by,
        }
        for v in reversed(versions)
    ]
    if not document.is_active:
        history.append(
            {"at": document.withdrawn_at, "what": "retrait", "who": document.withdrawn_by}
        )
    record_person_access(
        Actor.from_request(request),
        "document.view",
        [document.person],
        decision,
        {"document": document.pk},
    )
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "person": document.person,
            "record_tab": "documents",
            "decision": decision,
            "versions": versions,
            "history": history,
            "category_label": DATA_CATEGORY_LABELS[DataCategory(document.data_category)],
            "can_edit": can_edit,
            "refusal": refusal,
            "inline": document.current.mime_type in content.INLINE if document.current else False,
            "replace_form": replace_form or ReplaceForm(initial={"version": document.version}),
            "withdraw_form": withdraw_form or WithdrawForm(initial={"version": document.version}),
        },
        status=status,
    )


def _version(document: Document, number: int | None) -> DocumentVersion:
    if number is None:
        return document.current
    return get_object_or_404(DocumentVersion, document=document, number=number)


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266 / RFC 5987: an ASCII fallback and the UTF-8 name."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = ascii_name.replace('"', "_").replace("\\", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _stream(request, document, decision, version, *, inline: bool) -> HttpResponse:
    try:
        handle = store.open_file(version.stored_name)
    except store.StorageUnavailable:
        messages.error(request, STORAGE_DOWN)
        return redirect("documents:detail", pk=document.pk)
    record_person_access(
        Actor.from_request(request),
        "document.view_content" if inline else "document.download",
        [document.person],
        decision,
        {"document": document.pk, "version": version.number},
    )
    response = FileResponse(handle, content_type=version.mime_type)
    response["Content-Length"] = str(version.size)
    response["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", version.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if inline:
        # The content is shown in the viewer's frame only, with no script, form or plugin
        # rights of this origin (the CSP middleware keeps a header a view has set).
        response["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
            "frame-ancestors 'self'"
        )
    return response


def download(request: HttpRequest, pk: int, number: int | None = None) -> HttpResponse:
    document, decision = _document(request, pk)
    return _stream(request, document, decision, _version(document, number), inline=False)


@xframe_options_sameorigin
def inline_content(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    document, decision = _document(request, pk)
    version = _version(document, number)
    if version.mime_type not in content.INLINE:
        return download(request, pk, number)
    return _stream(request, document, decision, version, inline=True)


def viewer(request: HttpRequest, pk: int, number: int | None = None) -> HttpResponse:
    document, decision = _document(request, pk)
    version = _version(document, number)
    if version.mime_type not in content.INLINE:
        return redirect("documents:download_version", pk=document.pk, number=version.number)
    record_person_access(
        Actor.from_request(request),
        "document.viewer",
        [document.person],
        decision,
        {"document": document.pk, "version": version.number},
    )
    return render(
        request,
        "documents/viewer.html",
        {
            "document": document,
            "person": document.person,
            "version": version,
            "record_tab": "documents",
        },
    )


def thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    document, _decision = _document(request, pk)
    version = document.current
    if version is None or not version.thumbnail_name:
        return HttpResponse(status=404)
    try:
        handle = store.open_file(version.thumbnail_name)
    except store.StorageUnavailable:
        return HttpResponse(status=503)
    response = FileResponse(handle, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def replace(request: HttpRequest, pk: int) -> HttpResponse:
    document, _decision = _document(request, pk, write=True)
    if interrupted(request):
        return detail(request, pk, refusal=INTERRUPTED, status=400)
    if too_big(request):
        return detail(request, pk, refusal=TOO_BIG, status=413)
    form = ReplaceForm(posted(request), request.FILES or None)
    actor = Actor.from_request(request)
    if form.is_valid() and save_or_refuse(
        form,
        lambda: replace_document(
            actor,
            document,
            files=form.cleaned_data["files"],
            expected_version=form.cleaned_data["version"],
        ),
        refusals=(PermissionDenied,),
    ):
        messages.success(request, "Nouvelle version enregistrée ; les précédentes sont gardées.")
        return redirect("documents:detail", pk=document.pk)
    status = conflict_status(form)
    return detail(request, pk, replace_form=form, status=status if status != 200 else 400)


@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    document, _decision = _document(request, pk, write=True)
    form = WithdrawForm(posted(request))
    actor = Actor.from_request(request)
    if form.is_valid() and save_or_refuse(
        form,
        lambda: withdraw_document(
            actor,
            document,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
        refusals=(PermissionDenied,),
    ):
        messages.success(request, "Document retiré : il reste dans l'historique du dossier.")
        return redirect("documents:person_documents", pk=document.person_id)
    status = conflict_status(form)
    return detail(request, pk, withdraw_form=form, status=status if status != 200 else 400)
