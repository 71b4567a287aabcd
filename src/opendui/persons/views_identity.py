"""Identity vigilance page (RNIV): status, history, INSi query, document check, attributes.

Every action is a separate POST URL that checks `person.edit_identity` first, calls
one service of `persons.identity` and redirects back to the identity page with a
message (POST/redirect/GET). A refused transition (IdentityRuleError) saves nothing.

The INSi search runs in a background job (interop.insi.services): the POST only
enqueues it; the page shows "Recherche en cours…" and app.js polls `insi_status`
until the answer is stored, then reloads. The result waits in the `InsiQuery`
row, not in the session, so any user allowed to edit the identity sees it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.services import ConcurrentEditError
from opendui.interop.insi import InsiInputError
from opendui.interop.insi import services as insi_jobs

from . import rniv
from .forms_identity import AttributeForm, DocumentCheckForm, InsiAcceptForm
from .identity import (
    IdentityRuleError,
    InsiTraits,
    record_document_check,
    record_insi_retrieval,
    trait_differences,
)
from .identity import mark_attribute as mark_attribute_service
from .models import Person
from .services import record_person_access

EVENT_LABELS = {
    "insi_retrieval": "Identité récupérée par le téléservice INSi",
    "document_check": "Contrôle sur une pièce d'identité",
    "strict_trait_change": "Correction d'un trait strict",
    "identity_correction": "Correction de l'identité",
    "qualification_withdrawn": "Qualification retirée",
    "mark_douteuse": "Signalée douteuse",
    "mark_fictive": "Signalée fictive",
    "mark_homonyme": "Signalée homonyme",
    "merged_into": "Fusionné dans un autre dossier (doublon)",
    "merge_kept": "Dossier conservé lors d'une fusion de doublons",
}
# How the history names the traits an event changed (IdentityStatusChange.changes).
TRAIT_LABELS = {
    "birth_name": "Nom de naissance",
    "birth_first_names": "Prénoms de naissance",
    "first_name": "Premier prénom de naissance",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "birth_place_code": "Lieu de naissance",
    "used_name": "Nom utilisé",
    "used_first_name": "Prénom utilisé",
}
# The French prefixes trait_differences() gives each strict trait, to highlight the rows.
_TRAIT_ROWS = (
    ("birth_name", "Nom de naissance", "nom de naissance"),
    ("first_names", "Prénoms de naissance", "prénoms de naissance"),
    ("sex", "Sexe", "sexe"),
    ("birth_date", "Date de naissance", "date de naissance"),
    ("birth_place_code", "Lieu de naissance (code INSEE)", "lieu de naissance"),
)
# A search still pending after this long hints that no worker runs.
WAITING_LONG = dt.timedelta(minutes=3)
NO_PENDING_RESULT = (
    "Aucune réponse de l'INSi n'est en attente pour cette personne : interrogez de nouveau "
    "l'INSi avant d'accepter l'identité."
)


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _back(person: Person) -> HttpResponse:
    return redirect("persons:identity", pk=person.pk)


# --- INSi query state ------------------------------------------------------------------------


def _comparison(person: Person, traits: InsiTraits) -> list[dict]:
    """One row per strict trait: entered value, returned value, whether they differ."""
    differences = trait_differences(person, traits)
    entered = {
        "birth_name": person.birth_name.upper(),
        "first_names": person.birth_first_names or person.first_name,
        "sex": person.sex,
        "birth_date": person.birth_date.strftime("%d/%m/%Y"),
        "birth_place_code": person.birth_place_code or "–",
    }
    returned = {
        "birth_name": traits.birth_name,
        "first_names": " ".join(traits.birth_first_names),
        "sex": traits.sex,
        "birth_date": traits.birth_date.strftime("%d/%m/%Y"),
        "birth_place_code": traits.birth_place_code,
    }
    return [
        {
            "label": label,
            "entered": entered[name],
            "returned": returned[name],
            "differs": any(d.startswith(prefix + " :") for d in differences),
        }
        for name, label, prefix in _TRAIT_ROWS
    ]


# --- page ------------------------------------------------------------------------------------


def identity_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, "person.view_identity", person=person)
    can_edit = check(request.user, "person.edit_identity", person=person).allowed
    state = person.identity_state
    history = [
        {
            "change": change,
            "event": EVENT_LABELS.get(change.event, change.event),
            "from_label": _status_label(change.from_status),
            "to_label": _status_label(change.to_status),
            "document": _document_label(change.document_type),
            "changes": _changes(change.changes),
        }
        for change in person.identity_changes.select_related("by")
    ]
    context = {
        "person": person,
        "decision": decision,
        "status": state.status,
        "attributes": sorted(state.attributes, key=lambda a: a.value),
        "document_label": _document_label(person.identity_document_type),
        "transmittable_ins": person.transmittable_ins,
        "history": history,
        "can_edit": can_edit,
        "insi_alerts": insi_jobs.open_alerts(person),
    }
    if can_edit:
        query = insi_jobs.latest_search(person)
        acceptable = insi_jobs.acceptable_search(person, latest=query)
        pending = insi_jobs.returned_traits(acceptable) if acceptable else None
        differences = trait_differences(person, pending) if pending else []
        problem = insi_jobs.acceptance_problem(person, acceptable, pending) if pending else None
        context.update(
            {
                "document_form": DocumentCheckForm(
                    initial={"expected_version": person.version}, auto_id="doc_%s"
                ),
                "attribute_form": AttributeForm(
                    initial={"expected_version": person.version}, auto_id="attr_%s"
                ),
                "insi_query": query,
                "insi_job": query.job if query is not None and query.is_pending else None,
                "insi_waiting_long": query is not None
                and query.is_pending
                and query.created_at < timezone.now() - WAITING_LONG,
                "insi_result": pending,
                "insi_rows": _comparison(person, pending) if pending else [],
                "insi_differences": differences,
                "insi_problem": problem,
                "accept_form": InsiAcceptForm(
                    initial={"query": acceptable.pk, "expected_version": person.version},
                    auto_id="accept_%s",
                )
                if pending and not problem
                else None,
                "can_correct": person.merged_into_id is None,
            }
        )
    record_person_access(Actor.from_request(request), "person.identity_view", [person], decision)
    return render(request, "persons/identity.html", context)


def _changes(changes: dict) -> list[str]:
    """'Nom de naissance : DUPONT → DUPOND' for each trait an event changed."""
    lines = []
    for name, label in TRAIT_LABELS.items():
        if name in changes:
            before, after = changes[name]
            if name == "birth_date":
                before, after = (_date_label(v) for v in (before, after))
            lines.append(f"{label} : {before or '–'} → {after or '–'}")
    return lines


def _date_label(value: str | None) -> str:
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
    except ValueError:
        return value or ""


def _status_label(code: str) -> str:
    try:
        return rniv.IdentityStatus(code).label
    except ValueError:
        return code


def _document_label(code: str) -> str:
    if not code:
        return ""
    try:
        return rniv.DocumentType(code).label
    except ValueError:
        return code


# --- actions ---------------------------------------------------------------------------------


@require_POST
def insi_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Enqueue an INSi search with the entered traits; the identity page shows its progress.

    A second click while the same traits are searched joins the search in progress."""
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    try:
        insi_jobs.request_search(Actor.from_request(request), person)
    except ImproperlyConfigured as error:
        messages.error(request, f"Le téléservice INSi n'a pas pu être interrogé. {error}")
    except InsiInputError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, "Recherche INSi lancée : son résultat s'affichera sur cette page.")
    return _back(person)


@require_GET
def insi_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Whether the person's last INSi search is still running (polled by app.js).

    Tells only "pending or not": no personal data, so no access event (the page
    reloaded when the answer is there records one)."""
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    query = insi_jobs.latest_search(person)
    pending = query is not None and query.is_pending
    return JsonResponse({"pending": pending, "status": query.status if query else ""})


@require_POST
def insi_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the identity the last INSi search returned: PROV→RECUP, VALI→QUAL.

    All its strict traits replace the stored ones. The form names the query it showed
    (a newer search makes it stale) and the version of the identity shown (a change
    since makes it stale); when the traits differ, the user confirms having checked them."""
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    form = InsiAcceptForm(request.POST)
    query = insi_jobs.acceptable_search(person)
    traits = insi_jobs.returned_traits(query) if query is not None else None
    if traits is None or (form.is_valid() and form.cleaned_data["query"] != query.pk):
        messages.error(request, NO_PENDING_RESULT)
        return _back(person)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or NO_PENDING_RESULT)
        return _back(person)
    problem = insi_jobs.acceptance_problem(person, query, traits)
    if problem:
        messages.error(request, problem)
        return _back(person)
    try:
        with transaction.atomic():
            saved = record_insi_retrieval(
                Actor.from_request(request),
                person,
                traits,
                expected_version=form.cleaned_data["expected_version"],
                differences_confirmed=form.cleaned_data["confirm_differences"],
            )
            insi_jobs.mark_accepted(query)
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        return _back(person)
    except IdentityRuleError as error:
        messages.error(request, error.message)
        return _back(person)
    messages.success(
        request,
        f"Traits INSi acceptés : {saved.identity_status.label.lower()}. Les traits stricts "
        "sont désormais ceux de l'INSi.",
    )
    return _back(person)


@require_POST
def document_check(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    form = DocumentCheckForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(form.non_field_errors()) or "Choisissez la pièce d'identité contrôlée.",
        )
        return _back(person)
    try:
        saved = record_document_check(
            Actor.from_request(request),
            person,
            form.cleaned_data["document"],
            ehpad_direct_admission=form.cleaned_data["ehpad_direct_admission"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        return _back(person)
    except IdentityRuleError as error:
        messages.error(request, error.message)
        return _back(person)
    messages.success(
        request, f"Contrôle de la pièce enregistré : {saved.identity_status.label.lower()}."
    )
    return _back(person)


@require_POST
def mark_attribute(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    form = AttributeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(form.non_field_errors())
            or "Choisissez l'attribut et indiquez le motif du signalement.",
        )
        return _back(person)
    attribute = rniv.IdentityAttribute(form.cleaned_data["attribute"])
    try:
        saved = mark_attribute_service(
            Actor.from_request(request),
            person,
            attribute,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        return _back(person)
    except IdentityRuleError as error:
        messages.error(request, error.message)
        return _back(person)
    messages.success(
        request,
        f"{attribute.label} signalée : statut {saved.identity_status.label.lower()}.",
    )
    return _back(person)
