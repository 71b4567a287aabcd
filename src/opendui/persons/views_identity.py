"""Identity vigilance page (RNIV): status, history, INSi query, document check, attributes.

Every action is a separate POST URL that checks `person.edit_identity` first, calls
one service of `persons.identity` and redirects back to the identity page with a
message (POST/redirect/GET). A refused transition (IdentityRuleError) saves nothing.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.interop.insi import (
    CR_MULTIPLE,
    CR_NONE,
    CR_OK,
    InsiFault,
    InsiInputError,
    SearchTraits,
    client_from_settings,
)
from opendui.interop.insi.client import InsiUnavailable

from . import rniv
from .forms_identity import AttributeForm, DocumentCheckForm
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
    "strict_trait_change": "Modification d'un trait strict",
    "mark_douteuse": "Signalée douteuse",
    "mark_fictive": "Signalée fictive",
    "mark_homonyme": "Signalée homonyme",
}
# The French prefixes trait_differences() gives each strict trait, to highlight the rows.
_TRAIT_ROWS = (
    ("birth_name", "Nom de naissance", "nom de naissance"),
    ("first_names", "Prénoms de naissance", "prénoms de naissance"),
    ("sex", "Sexe", "sexe"),
    ("birth_date", "Date de naissance", "date de naissance"),
    ("birth_place_code", "Lieu de naissance (code INSEE)", "lieu de naissance"),
)
NO_PENDING_RESULT = (
    "Aucune réponse de l'INSi n'est en attente pour cette personne : interrogez de nouveau "
    "l'INSi avant d'accepter l'identité."
)


def _session_key(person: Person) -> str:
    return f"insi_result_{person.pk}"


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _back(person: Person) -> HttpResponse:
    return redirect("persons:identity", pk=person.pk)


# --- INSi result kept in the session (never in hidden fields) --------------------------------


def _store_result(request: HttpRequest, person: Person, traits: InsiTraits) -> None:
    request.session[_session_key(person)] = {
        "birth_name": traits.birth_name,
        "birth_first_names": list(traits.birth_first_names),
        "sex": traits.sex,
        "birth_date": traits.birth_date.isoformat(),
        "birth_place_code": traits.birth_place_code,
        "matricule": traits.matricule,
        "oid": traits.oid,
    }


def _pending_result(request: HttpRequest, person: Person) -> InsiTraits | None:
    data = request.session.get(_session_key(person))
    if not data:
        return None
    try:
        return InsiTraits(
            birth_name=data["birth_name"],
            birth_first_names=tuple(data["birth_first_names"]),
            sex=data["sex"],
            birth_date=dt.date.fromisoformat(data["birth_date"]),
            birth_place_code=data["birth_place_code"],
            matricule=data["matricule"],
            oid=data["oid"],
        )
    except (KeyError, TypeError, ValueError):
        request.session.pop(_session_key(person), None)
        return None


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
    }
    if can_edit:
        pending = _pending_result(request, person)
        context.update(
            {
                "document_form": DocumentCheckForm(auto_id="doc_%s"),
                "attribute_form": AttributeForm(auto_id="attr_%s"),
                "insi_result": pending,
                "insi_rows": _comparison(person, pending) if pending else [],
                "insi_differences": trait_differences(person, pending) if pending else [],
            }
        )
    record_person_access(Actor.from_request(request), "person.identity_view", [person], decision)
    return render(request, "persons/identity.html", context)


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
    """Query INSi with the entered traits; a single identity found waits in the session."""
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    request.session.pop(_session_key(person), None)
    traits = SearchTraits(
        birth_name=person.birth_name,
        first_name=person.birth_first_names or person.first_name,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_place=person.birth_place_code or None,
    )
    outcome = "error"
    try:
        result = client_from_settings().search(traits)
    except ImproperlyConfigured as error:
        messages.error(request, f"Le téléservice INSi n'a pas pu être interrogé. {error}")
    except InsiInputError as error:
        messages.error(request, str(error))
    except InsiUnavailable as error:
        messages.error(request, error.message)
    except InsiFault as fault:
        messages.error(
            request, f"Le téléservice INSi a refusé la demande : {fault.message} Rien n'a changé."
        )
    else:
        outcome = result.code
        if result.code == CR_OK and result.identity is not None:
            found = result.identity
            _store_result(
                request,
                person,
                InsiTraits(
                    birth_name=found.birth_name,
                    birth_first_names=tuple(found.first_names),
                    sex=found.sex,
                    birth_date=found.birth_date,
                    birth_place_code=found.birth_place,
                    matricule=found.matricule,
                    oid=found.oid,
                ),
            )
            messages.info(
                request,
                "L'INSi a renvoyé une identité : comparez ses traits à ceux saisis avant "
                "de l'accepter.",
            )
        elif result.code == CR_NONE:
            messages.warning(request, "Aucune identité trouvée par l'INSi pour ces traits.")
        elif result.code == CR_MULTIPLE:
            messages.warning(
                request, "Plusieurs identités correspondent : complétez le lieu de naissance."
            )
        else:
            messages.error(
                request, f"Réponse inattendue de l'INSi ({result.code}) : rien n'a changé."
            )
    record_person_access(
        Actor.from_request(request), "person.insi_search", [person], details={"result": outcome}
    )
    return _back(person)


@require_POST
def insi_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the identity INSi returned (read back from the session): PROV→RECUP, VALI→QUAL."""
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    traits = _pending_result(request, person)
    if traits is None:
        messages.error(request, NO_PENDING_RESULT)
        return _back(person)
    try:
        saved = record_insi_retrieval(Actor.from_request(request), person, traits)
    except IdentityRuleError as error:
        messages.error(request, error.message)
        return _back(person)
    request.session.pop(_session_key(person), None)
    messages.success(request, f"Identité INSi acceptée : {saved.identity_status.label.lower()}.")
    return _back(person)


@require_POST
def document_check(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, "person.edit_identity", person=person)
    form = DocumentCheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez la pièce d'identité contrôlée.")
        return _back(person)
    try:
        saved = record_document_check(
            Actor.from_request(request),
            person,
            form.cleaned_data["document"],
            ehpad_direct_admission=form.cleaned_data["ehpad_direct_admission"],
        )
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
        messages.error(request, "Choisissez l'attribut et indiquez le motif du signalement.")
        return _back(person)
    attribute = rniv.IdentityAttribute(form.cleaned_data["attribute"])
    try:
        saved = mark_attribute_service(
            Actor.from_request(request), person, attribute, reason=form.cleaned_data["reason"]
        )
    except IdentityRuleError as error:
        messages.error(request, error.message)
        return _back(person)
    messages.success(
        request,
        f"{attribute.label} signalée : statut {saved.identity_status.label.lower()}.",
    )
    return _back(person)
