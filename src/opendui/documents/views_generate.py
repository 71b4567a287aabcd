"""Generate a document from a template and store it in the person's record.

One page, `/documents/personne/<pk>/generer/`: the user picks what to generate (contrat
de séjour or DIPC, avenant, attestation de présence, certificat d'admission, courrier)
and the stay it is about; the PDF is rendered by `documents.generation.generate` and
stored by `documents.services.store_document`, which checks the right to write the
document's data category and writes the audit event. The stay is looked up among the
person's own stays (its id comes from the form).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation
from opendui.core.params import posted
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .forms_generate import GenerateForm
from .generation import DocumentKind, GenerationError, generate
from .generation.datamatrix import PayloadError
from .generation.ins import IncompleteInsError
from .models import Document
from .services import REFUSED, store_document

WRITE = "person.edit_administrative"
CONTRACT_KINDS = {DocumentKind.CONTRAT_SEJOUR, DocumentKind.DIPC, DocumentKind.AVENANT}


def _objects(kind: DocumentKind, stay, data: dict) -> dict:
    """The objects and texts `generate` takes for `kind` (GenerationError when missing)."""
    director = data.get("director_name") or ""
    if kind in CONTRACT_KINDS:
        contract = stay.contracts.order_by("-pk").first()
        if contract is None:
            raise GenerationError(
                "Ce séjour n'a pas encore de contrat de séjour ni de DIPC : "
                "enregistrez-le d'abord sur la page du séjour."
            )
        objects = {"contract": contract, "director_name": director}
        if kind is DocumentKind.AVENANT:
            objects["changes"] = data.get("changes") or ""
        return objects
    if kind is DocumentKind.COURRIER:
        return {
            "person": stay.person,
            "facility": stay.facility,
            "recipient_name": data.get("recipient_name") or "",
            "recipient_address": data.get("recipient_address") or "",
            "subject": data.get("subject") or "",
            "body": data.get("body") or "",
        }
    return {"stay": stay, "director_name": director}


def generate_document(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    decision = authorize(request, WRITE, person=person)
    stays = list(person.stays.select_related("facility", "person").order_by("-start_date", "-pk"))
    form = GenerateForm(posted(request), stays=stays)
    actor = Actor.from_request(request)

    def save() -> Document:
        data = form.cleaned_data
        stay = next(s for s in stays if s.pk == data["stay"])
        kind = DocumentKind(data["kind"])
        try:
            generated = generate(kind, **_objects(kind, stay, data))
        except (GenerationError, IncompleteInsError, PayloadError) as error:
            raise ValidationError(str(getattr(error, "message", error))) from error
        return store_document(
            actor,
            person,
            facility=stay.facility,
            data_category=generated.data_category,
            type_code=generated.type_code,
            title=generated.title,
            act_date=generated.act_date,
            files=[(generated.filename, generated.pdf)],
        )

    back = reverse("documents:person_documents", kwargs={"pk": person.pk})
    try:
        result = handle_creation(request, form, save, on_replay_url=back)
    except PermissionDenied:
        messages.error(request, REFUSED)
        return redirect(back)
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, Document):
        messages.success(request, f"Document généré et classé : {result.title}.")
        return redirect("documents:detail", pk=result.pk)
    record_person_access(actor, "document.generate_form", [person], decision)
    return render(
        request,
        "documents/generate.html",
        {
            "person": person,
            "decision": decision,
            "form": form,
            "form_token": creation_token(request),
            "has_stays": bool(stays),
        },
        status=400 if form.is_bound else 200,
    )
