"""Entourage, legal protection measures and consents of a person.

The page needs `person.view_administrative` (audited read). Each action is a separate
POST URL that checks `person.edit_administrative` first and calls one service of
`persons.entourage` or `persons.consents`. A saved action redirects back to the page
with a message (POST/redirect/GET); a refused one (ValidationError) saves nothing and
shows the page again with the French messages on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import Decision, check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    issue_form_token,
    save_or_refuse,
)
from opendui.core.params import posted

from .consents import record_consent, withdraw_consent
from .entourage import (
    add_legal_protection,
    add_related_person,
    end_related_person,
    update_related_person,
    who_consents,
)
from .forms_entourage import (
    ConsentForm,
    EndRelationForm,
    MeasureForm,
    RelatedPersonEditForm,
    RelatedPersonForm,
    WithdrawConsentForm,
)
from .models import Person
from .models_entourage import Consent, RelatedPerson
from .services import record_person_access

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
AUTO_IDS = {"related": "rel_%s", "measure": "mes_%s", "consent": "con_%s"}
REFUSED = "Vous n'avez pas le droit de modifier le dossier administratif de cette personne."


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _back(person: Person) -> HttpResponse:
    return redirect("persons:entourage", pk=person.pk)


def _roles(related) -> list[str]:
    roles = []
    if related.is_trusted_person:
        roles.append("personne de confiance")
    if related.is_emergency_contact:
        roles.append("personne à prévenir")
    if related.is_legal_representative:
        roles.append("représentant légal")
    return roles


def _page(
    request: HttpRequest,
    person: Person,
    decision: Decision,
    *,
    bound: str = "",
    form=None,
    status: int = 200,
) -> HttpResponse:
    """The page, with `form` (the submitted one, named `bound`) shown with its errors."""
    today = timezone.localdate()
    can_edit = check(request.user, "person.edit_administrative", person=person).allowed
    related = list(person.related_persons.all())
    # Ended relationships are history: shown apart, most recently ended first.
    ended = sorted(
        (r for r in related if not r.is_active),
        key=lambda r: (r.end_date is not None, r.end_date or today, r.pk),
        reverse=True,
    )
    measures = [
        {
            "measure": m,
            "current": m.start_date <= today and (m.end_date is None or m.end_date >= today),
        }
        for m in person.legal_protections.select_related("representative")
    ]
    consenter, consenter_error = None, ""
    try:
        consenter = who_consents(person, today)
    except ValidationError as error:
        consenter_error = " ".join(error.messages)
    context = {
        "person": person,
        "decision": decision,
        "related_persons": [{"person": r, "roles": _roles(r)} for r in related if r.is_active],
        "ended_related": [{"person": r, "roles": _roles(r)} for r in ended],
        "measures": measures,
        "consenter": consenter,
        "consenter_error": consenter_error,
        "consents": person.consents.select_related("representative"),
        "can_edit": can_edit,
    }
    if can_edit:
        forms = {
            "related": RelatedPersonForm(auto_id=AUTO_IDS["related"]),
            "measure": MeasureForm(auto_id=AUTO_IDS["measure"], person=person),
            "consent": ConsentForm(auto_id=AUTO_IDS["consent"], person=person),
        }
        tokens = {name: issue_form_token(request) for name in forms if name != bound}
        if bound:
            forms[bound] = form
            tokens[bound] = creation_token(request)
        context.update(
            {
                "related_form": forms["related"],
                "measure_form": forms["measure"],
                "consent_form": forms["consent"],
                "tokens": tokens,
                "withdraw_form": WithdrawConsentForm(initial={"on": today}),
            }
        )
    record_person_access(Actor.from_request(request), "person.entourage_view", [person], decision)
    return render(request, "persons/entourage.html", context, status=status)


def entourage_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, "person.view_administrative", person=person)
    return _page(request, person, decision)


def _create(request: HttpRequest, pk: int, name: str, form_class, save, success: str):
    """Common POST side of the three creation forms (one-time token, refusals)."""
    person = _person(pk)
    authorize(request, "person.edit_administrative", person=person)
    kwargs = {"person": person} if form_class is not RelatedPersonForm else {}
    form = form_class(request.POST, auto_id=AUTO_IDS[name], **kwargs)
    actor = Actor.from_request(request)
    try:
        result = handle_creation(
            request,
            form,
            lambda: save(actor, person, form.cleaned_data),
            on_replay_url=reverse("persons:entourage", kwargs={"pk": person.pk}),
        )
    except PermissionDenied:
        messages.error(request, REFUSED)
        return _back(person)
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, success.format(item=result))
        return _back(person)
    messages.error(request, NOTHING_SAVED)
    decision = check(request.user, "person.view_administrative", person=person)
    return _page(request, person, decision, bound=name, form=form)


@require_POST
def related_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _create(
        request,
        pk,
        "related",
        RelatedPersonForm,
        lambda actor, person, data: add_related_person(actor, person, **data),
        "{item} a été ajouté(e) à l'entourage.",
    )


@require_POST
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _create(
        request,
        pk,
        "measure",
        MeasureForm,
        lambda actor, person, data: add_legal_protection(actor, person, **data),
        "Mesure de protection enregistrée : {item}.",
    )


@require_POST
def consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _create(
        request,
        pk,
        "consent",
        ConsentForm,
        lambda actor, person, data: record_consent(actor, person, **data),
        "Enregistré : {item}.",
    )


@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, "person.edit_administrative", person=person)
    consent = get_object_or_404(Consent, pk=consent_pk, person=person)
    form = WithdrawConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez la date et le motif du retrait. Rien n'a été enregistré.")
        return _back(person)
    try:
        withdraw_consent(
            Actor.from_request(request),
            consent,
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
            expected_version=consent.version,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Rien n'a été enregistré.")
        return _back(person)
    except PermissionDenied:
        messages.error(request, REFUSED)
        return _back(person)
    messages.success(request, f"{consent} : retrait enregistré au {consent.withdrawn_on:%d/%m/%Y}.")
    return _back(person)


def _related(person: Person, related_pk: int) -> RelatedPerson:
    # The contact must be this person's: an id of another record's contact is a 404.
    return get_object_or_404(RelatedPerson, pk=related_pk, person=person)


def _related_action(
    request: HttpRequest,
    person: Person,
    related: RelatedPerson,
    form,
    save,
    *,
    template: str,
    success: str,
) -> HttpResponse:
    """GET: the form; POST: the service, then back to the entourage page. A refused
    submission saves nothing and shows the form again (409 on a concurrent edit)."""
    status = 200
    if request.method == "POST":
        if form.is_valid() and save_or_refuse(form, save, refusals=(PermissionDenied,)):
            messages.success(request, success)
            return _back(person)
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
        related = _related(person, related.pk)  # the stored values, not the refused ones
    decision = check(request.user, "person.view_administrative", person=person)
    record_person_access(
        Actor.from_request(request),
        "person.entourage_view",
        [person],
        decision,
        details={"related": related.pk},
    )
    return render(
        request,
        template,
        {"person": person, "related": related, "form": form, "decision": decision},
        status=status,
    )


def related_edit(request: HttpRequest, pk: int, related_pk: int) -> HttpResponse:
    """Correct a current contact's details and roles (the version seen is required)."""
    person = _person(pk)
    authorize(request, "person.edit_administrative", person=person)
    related = _related(person, related_pk)
    form = RelatedPersonEditForm(posted(request), related=related, auto_id="rel_%s")

    def save() -> RelatedPerson:
        data = dict(form.cleaned_data)
        version = data.pop("expected_version")
        return update_related_person(
            Actor.from_request(request), related, expected_version=version, **data
        )

    return _related_action(
        request,
        person,
        related,
        form,
        save,
        template="persons/related_edit.html",
        success=f"Les coordonnées de {related} sont modifiées.",
    )


def related_end(request: HttpRequest, pk: int, related_pk: int) -> HttpResponse:
    """End a relationship with its date and reason: the contact moves to the history."""
    person = _person(pk)
    authorize(request, "person.edit_administrative", person=person)
    related = _related(person, related_pk)
    form = EndRelationForm(
        posted(request),
        initial={"end_date": timezone.localdate(), "expected_version": related.version},
    )
    return _related_action(
        request,
        person,
        related,
        form,
        lambda: end_related_person(
            Actor.from_request(request),
            related,
            form.cleaned_data["end_date"],
            form.cleaned_data["end_reason"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        template="persons/related_end.html",
        success=f"La relation avec {related} a pris fin ; elle reste dans l'historique.",
    )
