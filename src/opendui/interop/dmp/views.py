"""The DMP pages: the actions of the documents tab, the "DMP" tab of the record, the
facility's list of failures.

Actions (POST, then back to the documents tab with a French message: PRG): verser,
verser la nouvelle version, visibilité, retirer, réessayer. Each loads its row by id
(404 for an unknown one), authorises the write right on the document's category on its
person (audited refusal, 403) and calls services.py, whose refusals become the message.

The DMP tab reads the person's DMP live, through the client, for the acting professional
(Pro Santé Connect → DIRECTE), only when it is opened: the record's other pages never wait
on the DMP. Types the reader's profession may not read (habilitations.readable_types) are
left out and a line says so. Every list, consultation and authorisation is audited
(`dmp.read`, `dmp.authorise`). The DMP down or refusing → its French message in the tab.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from opendui.accounts.access import check, scope_for
from opendui.accounts.national_identity import acting_professional
from opendui.accounts.permissions import DataCategory
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize, authorize_any, refuse
from opendui.core.forms import conflict_status, handle_creation, save_or_refuse
from opendui.core.params import posted
from opendui.documents.models import Document
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import errors, reading, selectors, services
from .forms import QueueVersionForm, RemoveForm, ShareForm, VisibilityForm
from .habilitations import readable_types
from .models import DmpShare, DmpSubmission

VIEW_CODES = tuple(f"person.view_{category}" for category in DataCategory)
FAILURES = "dmp.manage_failures"
UNIQUE_ID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
NOT_QUALIFIED = (
    "L'identité de cette personne n'est pas qualifiée : son DMP ne peut pas être consulté "
    "sans INS qualifiée."
)
PROFESSION_REFUSED = (
    "Votre profession ne permet de lire aucun type de document du DMP (matrice d'habilitations)."
)
SOME_HIDDEN = (
    "Certains documents du DMP de la personne ne sont pas accessibles à votre profession "
    "(matrice d'habilitations) : ils ne sont pas listés."
)
_EPOCH = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
NOT_FOUND = (
    "Ce document n'est pas (ou plus) dans le DMP de la personne, ou ne vous est pas accessible."
)


# --- helpers -------------------------------------------------------------------------------


def _errors_text(form) -> str:
    return " ".join(str(e) for errors_ in form.errors.values() for e in errors_)


def _tab(document: Document) -> str:
    return reverse("documents:person_documents", args=[document.person_id])


def _document_for_write(request: HttpRequest, document: Document) -> None:
    authorize(request, f"person.edit_{document.data_category}", person=document.person)


def _professional(request: HttpRequest, facility: Any):
    """The acting professional for the DMP (PSC → DIRECTE), acting for `facility`."""
    return acting_professional(request.user, request.session, facility)


def _share(pk: int) -> DmpShare:
    return get_object_or_404(
        DmpShare.objects.select_related(
            "document__person", "document__facility", "document__current"
        ),
        pk=pk,
    )


def _outcome(request: HttpRequest, form, done: Any, success: str) -> None:
    if done:
        messages.success(request, success)
    else:
        messages.error(request, _errors_text(form) or "La demande n'a pas pu être traitée.")


# --- actions of the documents tab ------------------------------------------------------------


@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """« Verser au DMP »: a creation, protected by the one-time form token."""
    document = get_object_or_404(
        Document.objects.select_related("person", "facility", "current"), pk=pk
    )
    _document_for_write(request, document)
    form = ShareForm(posted(request))
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.share_document(
            actor,
            document,
            visibility=form.visibility(),
            professional=_professional(request, document.facility),
        ),
        on_replay_url=_tab(document),
        refusals=(PermissionDenied,),
    )
    if isinstance(result, HttpResponse):
        return result
    _outcome(request, form, result, "Document versé : il part au DMP en arrière-plan.")
    return redirect(_tab(document))


@require_POST
def queue_version(request: HttpRequest, pk: int) -> HttpResponse:
    """« Verser la nouvelle version au DMP »: it replaces the previous one (RPLC)."""
    row = _share(pk)
    document = row.document
    _document_for_write(request, document)
    form = QueueVersionForm(posted(request))

    done = form.is_valid() and save_or_refuse(
        form,
        lambda: services.queue_version(
            Actor.from_request(request),
            document,
            professional=_professional(request, document.facility),
            expected_version=form.cleaned_data["expected_version"],
        ),
        refusals=(PermissionDenied,),
    )
    _outcome(request, form, done, "Nouvelle version versée : elle remplacera la précédente.")
    return redirect(_tab(document))


@require_POST
def visibility(request: HttpRequest, pk: int) -> HttpResponse:
    row = _share(pk)
    document = row.document
    _document_for_write(request, document)
    form = VisibilityForm(posted(request))
    done = form.is_valid() and save_or_refuse(
        form,
        lambda: services.change_visibility(
            Actor.from_request(request),
            row,
            visibility=form.visibility(),
            professional=_professional(request, document.facility),
            expected_version=form.cleaned_data["expected_version"],
        ),
        refusals=(PermissionDenied,),
    )
    _outcome(request, form, done, "Visibilité enregistrée : elle est appliquée dans le DMP.")
    response = redirect(_tab(document))
    if not done and conflict_status(form) == 409:
        messages.warning(request, "Rechargez la page : le partage a changé entre-temps.")
    return response


@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = _share(pk)
    document = row.document
    _document_for_write(request, document)
    form = RemoveForm(posted(request))
    done = form.is_valid() and save_or_refuse(
        form,
        lambda: services.remove_from_dmp(
            Actor.from_request(request),
            row,
            reason=form.cleaned_data["reason"],
            professional=_professional(request, document.facility),
            expected_version=form.cleaned_data["expected_version"],
        ),
        refusals=(PermissionDenied,),
    )
    _outcome(request, form, done, "Document retiré du DMP : il y est supprimé en arrière-plan.")
    return redirect(_tab(document))


@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(
        DmpSubmission.objects.select_related("share__document__person"), pk=pk
    )
    document = submission.share.document
    _document_for_write(request, document)
    try:
        services.retry(Actor.from_request(request), submission)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Nouvel essai d'envoi au DMP demandé.")
    back = request.POST.get("retour", "")
    if back == "echecs":
        return redirect(f"{reverse('dmp:failures')}?etablissement={submission.facility_id}")
    return redirect(_tab(document))


# --- the DMP tab -----------------------------------------------------------------------------


def _readable(user: Any) -> frozenset[str] | None:
    return readable_types(getattr(user, "profession", "") or "", user.activity_role or "")


def tab_shown(reading_: Any) -> bool:
    """persons.sections predicate: a qualified INS, and a profession that reads a type."""
    if not reading_.person.transmittable_ins:
        return False
    types = _readable(reading_.user)
    return types is None or bool(types)


def _person_gate(request: HttpRequest, pk: int):
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    decision = authorize_any(request, VIEW_CODES, person=person)
    types = _readable(request.user)
    if types is not None and not types:
        refuse(request, VIEW_CODES[0], person=person, details={"dmp": "profession"})
    return person, decision, types


def _facility_for(request: HttpRequest, person: Person) -> Facility | None:
    current = getattr(request, "current_facility", None)
    if current is not None:
        return current
    from opendui.stays.models import Placement

    ids = Placement.objects.filter(person=person).values("facility_id")
    return Facility.objects.filter(pk__in=ids).order_by("pk").first()


def _dmp_call(request: HttpRequest, person: Person, call):
    """Run `call(client, professional, patient)`; (result, French error)."""
    from .mapping import MappingError, patient_identity
    from .tasks import default_client

    try:
        patient = patient_identity(person)
        client = default_client()
        professional = _professional(request, _facility_for(request, person))
        return call(client, professional, patient), None
    except MappingError as error:
        return None, error.message
    except errors.DmpError as error:
        return None, error


def _allowed_type(types: frozenset[str] | None, code: str) -> bool:
    return types is None or code in types


@require_GET
def person_tab(request: HttpRequest, pk: int) -> HttpResponse:
    person, decision, types = _person_gate(request, pk)
    context: dict[str, Any] = {"person": person, "decision": decision, "record_tab": "dmp"}
    if not person.transmittable_ins:
        context["problem"] = NOT_QUALIFIED
        return render(request, "dmp/person.html", context)
    entries, error = _dmp_call(request, person, lambda c, pro, pat: c.find_documents(pro, pat))
    if isinstance(error, errors.DmpError) and error.code == errors.NOT_AUTHORISED:
        context["needs_authorisation"] = True
        context["problem"] = error.message_fr
    elif error is not None:
        context["problem"] = getattr(error, "message_fr", str(error))
    else:
        shown = [e for e in entries if _allowed_type(types, e.type.code)]
        shown.sort(key=lambda e: e.creation_time or _EPOCH, reverse=True)
        context["entries"] = shown
        context["some_hidden"] = len(shown) < len(entries)
        context["some_hidden_text"] = SOME_HIDDEN
    record_person_access(
        Actor.from_request(request),
        "dmp.read",
        [person],
        decision,
        {
            "what": "liste",
            "documents": [e.unique_id for e in context.get("entries", [])],
            "error": getattr(error, "code", "") if error is not None else "",
        },
    )
    return render(request, "dmp/person.html", context)


@require_POST
def authorise(request: HttpRequest, pk: int) -> HttpResponse:
    """Record in the DMP that the person authorised this professional (setAuthorization)."""
    person, _decision, _types = _person_gate(request, pk)
    if not person.transmittable_ins:
        messages.error(request, NOT_QUALIFIED)
        return redirect("dmp:person", pk=person.pk)
    if request.POST.get("accord") != "1":
        messages.error(
            request, "Cochez la case confirmant l'accord de la personne pour accéder à son DMP."
        )
        return redirect("dmp:person", pk=person.pk)
    _result, error = _dmp_call(request, person, lambda c, pro, pat: c.authorise(pro, pat))
    record(
        Actor.from_request(request),
        EventKind.CHANGE,
        "dmp.authorise",
        person_ids=[person.pk],
        obj=person,
        details={"error": getattr(error, "code", "") if error is not None else ""},
        organisation_id=person.organisation_id,
    )
    if error is not None:
        messages.error(request, getattr(error, "message_fr", str(error)))
    else:
        messages.success(request, "Autorisation d'accès au DMP enregistrée.")
    return redirect("dmp:person", pk=person.pk)


def _retrieved(request: HttpRequest, person: Person, types, unique_id: str):
    """(entry, content, French error) of one DMP document the reader may read."""
    if not UNIQUE_ID.match(unique_id) or len(unique_id) > 64:
        raise Http404(NOT_FOUND)

    def call(client, professional, patient):
        entry = client.get_document(professional, patient, unique_id)
        if entry is None or entry.deleted or not _allowed_type(types, entry.type.code):
            return None, None
        return entry, client.retrieve(professional, patient, entry)

    result, error = _dmp_call(request, person, call)
    if error is not None:
        return None, None, getattr(error, "message_fr", str(error))
    entry, retrieved = result
    if entry is None:
        return None, None, NOT_FOUND
    return entry, retrieved, ""


@require_GET
def document(request: HttpRequest, pk: int, unique_id: str) -> HttpResponse:
    person, decision, types = _person_gate(request, pk)
    context: dict[str, Any] = {"person": person, "decision": decision, "record_tab": "dmp"}
    if not person.transmittable_ins:
        context["problem"] = NOT_QUALIFIED
        return render(request, "dmp/document.html", context, status=404)
    entry, retrieved, problem = _retrieved(request, person, types, unique_id)
    record_person_access(
        Actor.from_request(request),
        "dmp.read",
        [person],
        decision,
        {"what": "document", "document": unique_id, "error": bool(problem)},
    )
    if problem:
        context["problem"] = problem
        return render(request, "dmp/document.html", context)
    summary = None
    if not retrieved.content.startswith(reading.PDF_MAGIC):
        summary = reading.read_cda(retrieved.content)
    context.update(
        entry=entry,
        summary=summary,
        has_pdf=reading.pdf_of(retrieved.mime_type, retrieved.content) is not None,
        unique_id=unique_id,
    )
    return render(request, "dmp/document.html", context)


@xframe_options_sameorigin
@require_GET
def document_pdf(request: HttpRequest, pk: int, unique_id: str) -> HttpResponse:
    """The PDF of a DMP document (the level 1 CDA body, or the document itself), shown in
    the consultation page's sandboxed frame."""
    person, decision, types = _person_gate(request, pk)
    if not person.transmittable_ins:
        raise Http404(NOT_QUALIFIED)
    _entry, retrieved, problem = _retrieved(request, person, types, unique_id)
    pdf = reading.pdf_of(retrieved.mime_type, retrieved.content) if retrieved else None
    if pdf is None:
        return HttpResponse(
            problem or "Ce document n'a pas de contenu PDF à afficher.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    record_person_access(
        Actor.from_request(request),
        "dmp.read",
        [person],
        decision,
        {"what": "contenu", "document": unique_id},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="document-dmp.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'"
    )
    return response


# --- the facility's failures -----------------------------------------------------------------


@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    """Refused, failed and blocked submissions of a facility the user follows."""
    authorize(request, FAILURES)
    scope = scope_for(request.user, FAILURES)
    reach = (
        Q(organisation_id__in=scope.organisation_ids)
        | Q(pk__in=scope.facility_ids)
        | Q(pk__in={facility for facility, _unit in scope.units})
    )
    facilities = list(Facility.objects.filter(reach).order_by("name"))
    wanted = request.GET.get("etablissement", "")
    current = getattr(request, "current_facility", None)
    chosen = next((f for f in facilities if str(f.pk) == wanted), None)
    if chosen is None:
        chosen = next((f for f in facilities if current and f.pk == current.pk), None)
    chosen = chosen or (facilities[0] if facilities else None)
    if chosen is None:
        refuse(request, FAILURES)
    authorize(request, FAILURES, facility=chosen)
    rows = selectors.facility_failures(request.user, chosen)
    writable: dict[tuple[int, str], bool] = {}
    for row in rows:
        key = (row.person_id, row.document_version.document.data_category)
        if key not in writable:
            writable[key] = bool(check(request.user, f"person.edit_{key[1]}", person=row.person))
        row.can_retry = writable[key] and row.status in services.RETRYABLE
    if rows:
        record_person_access(
            Actor.from_request(request),
            "dmp.failures",
            [row.person for row in {r.person_id: r for r in rows}.values()],
            None,
            {"facility": chosen.pk, "submissions": [r.pk for r in rows]},
        )
    return render(
        request,
        "dmp/failures.html",
        {"facilities": facilities, "facility": chosen, "rows": rows},
    )
