"""The "Modifier l'identité" page: correcting traits, and leaving the qualified status.

Both actions need `person.edit_identity` (checked here and in persons.identity), carry
the version of the identity the user loaded, and go through one service each; a refusal
comes back on the form, in French, and saves nothing. Each display of the page is an
audited access to the person's identity.

For a qualified identity the strict traits are shown read-only: they change only through
INSi (the identity page) or after the qualification is withdrawn with a reason (the
second form of this page), which makes the identity provisoire again.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opendui.accounts.access import Decision
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import conflict_status, save_or_refuse

from . import rniv
from .forms_identity import IdentityCorrectionForm, WithdrawQualificationForm
from .identity import MERGED_READ_ONLY, IdentityRuleError, correct_identity
from .identity import withdraw_qualification as withdraw_qualification_service
from .models import Person
from .services import record_person_access

PERMISSION = "person.edit_identity"
NOT_QUALIFIED = (
    "L'identité n'est pas qualifiée : il n'y a pas de qualification à retirer. "
    "Rien n'a été enregistré."
)


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _page(
    request: HttpRequest,
    person: Person,
    decision: Decision,
    *,
    form: IdentityCorrectionForm | None = None,
    withdraw_form: WithdrawQualificationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    qualified = person.identity_status is rniv.IdentityStatus.QUAL
    if qualified and withdraw_form is None:
        withdraw_form = WithdrawQualificationForm(
            initial={"expected_version": person.version}, auto_id="withdraw_%s"
        )
    record_person_access(Actor.from_request(request), "person.identity_edit", [person], decision)
    return render(
        request,
        "persons/identity_edit.html",
        {
            "person": person,
            "decision": decision,
            "status": person.identity_status,
            "qualified": qualified,
            "form": form or IdentityCorrectionForm(person=person),
            "withdraw_form": withdraw_form if qualified else None,
        },
        status=status,
    )


def identity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, PERMISSION, person=person)
    if person.merged_into_id is not None:
        messages.error(request, MERGED_READ_ONLY)
        return redirect("persons:identity", pk=person.pk)
    if request.method != "POST":
        return _page(request, person, decision)
    form = IdentityCorrectionForm(request.POST, person=person)
    if form.is_valid():
        version = form.cleaned_data["expected_version"]
        result = save_or_refuse(
            form,
            lambda: correct_identity(
                Actor.from_request(request),
                person,
                form.values(),
                expected_version=version,
                reason=form.cleaned_data["reason"],
            ),
            refusals=(IdentityRuleError,),
        )
        if result is not None:
            saved, why = result
            if saved.version == version:
                messages.info(request, "Aucun trait n'a changé : rien n'a été enregistré.")
            elif why:
                messages.warning(request, f"Identité corrigée. {why}")
            else:
                messages.success(request, "Identité corrigée.")
            return redirect("persons:identity", pk=person.pk)
    messages.error(request, "Rien n'a été enregistré : corrigez le formulaire ci-dessous.")
    status = conflict_status(form)
    return _page(request, person, decision, form=form, status=400 if status == 200 else status)


@require_POST
def withdraw_qualification(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, PERMISSION, person=person)
    form = WithdrawQualificationForm(request.POST, auto_id="withdraw_%s")
    if form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: withdraw_qualification_service(
                Actor.from_request(request),
                person,
                form.cleaned_data["reason"],
                expected_version=form.cleaned_data["expected_version"],
            ),
            refusals=(IdentityRuleError,),
        )
        if saved is not None:
            messages.warning(
                request,
                "Qualification retirée : l'identité est provisoire. Corrigez ses traits "
                "stricts, puis interrogez de nouveau l'INSi et contrôlez la pièce d'identité.",
            )
            return redirect("persons:identity_edit", pk=person.pk)
    person.refresh_from_db()
    if person.merged_into_id is not None or person.identity_status is not rniv.IdentityStatus.QUAL:
        # Withdrawn or merged meanwhile: the form is gone from the page, say why here.
        refusal = " ".join(str(e) for e in form.non_field_errors()) or (
            MERGED_READ_ONLY if person.merged_into_id is not None else NOT_QUALIFIED
        )
        messages.error(request, refusal)
        return redirect("persons:identity", pk=person.pk)
    messages.error(request, "Rien n'a été enregistré : corrigez le formulaire ci-dessous.")
    status = conflict_status(form)
    return _page(
        request, person, decision, withdraw_form=form, status=400 if status == 200 else status
    )
