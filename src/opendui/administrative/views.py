"""The "Administratif" tab of a record and its forms.

The page needs `person.view_administrative` (one access event per display); every form
needs `person.edit_administrative` (views check, services check again). Each section's
rows are added, corrected or ended on their own small page (GET the form, POST it,
back to the tab), which works the same with a keyboard, a screen reader or a tablet.
Ids in the address are looked up within the person (another record's row is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.accounts.access import check
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.params import posted
from opendui.core.services import ConcurrentEditError
from opendui.directory.selectors import professionals_of
from opendui.persons.models import Person
from opendui.persons.sections import RecordReading
from opendui.persons.services import record_person_access

from . import rules, selectors, services
from .forms import (
    AddressForm,
    ComplementaryForm,
    CoverageForm,
    EmailForm,
    EndForm,
    PhoneForm,
    PhotoConsentForm,
    PhotoForm,
    ProfileForm,
    RightForm,
    WithdrawConsentForm,
)
from .models import (
    Address,
    ComplementaryCover,
    ContactPoint,
    Coverage,
    Email,
    Phone,
    Photo,
    PhotoConsent,
    Profile,
    Right,
)
from .photos import PhotoRefused
from .record import rights_and_decisions

NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."
VIEW, EDIT = services.VIEW, services.EDIT


@dataclass(frozen=True)
class Kind:
    """One kind of row of the file, as the address names it (`adresse`, `droit`...)."""

    model: type[Model]
    form: type
    new_title: str
    edit_title: str
    anchor: str

    @property
    def is_contact(self) -> bool:
        return issubclass(self.model, ContactPoint)


KINDS: dict[str, Kind] = {
    "adresse": Kind(
        Address, AddressForm, "Ajouter une adresse", "Corriger une adresse", "coordonnees"
    ),
    "telephone": Kind(
        Phone, PhoneForm, "Ajouter un téléphone", "Corriger un téléphone", "coordonnees"
    ),
    "courriel": Kind(
        Email, EmailForm, "Ajouter un courriel", "Corriger un courriel", "coordonnees"
    ),
    "couverture": Kind(
        Coverage,
        CoverageForm,
        "Ajouter une couverture d'assurance maladie",
        "Modifier une couverture d'assurance maladie",
        "couverture",
    ),
    "complementaire": Kind(
        ComplementaryCover,
        ComplementaryForm,
        "Ajouter une complémentaire santé",
        "Modifier une complémentaire santé",
        "couverture",
    ),
    "droit": Kind(
        Right,
        RightForm,
        "Ajouter un droit ou une prestation",
        "Modifier un droit ou une prestation",
        "droits",
    ),
}


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404("Type d'élément inconnu.")
    return kind


def _page_url(person: Person, anchor: str = "") -> str:
    url = reverse("administrative:page", kwargs={"pk": person.pk})
    return f"{url}#{anchor}" if anchor else url


def _back(person: Person, anchor: str = "") -> HttpResponse:
    return redirect(_page_url(person, anchor))


def _data(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, VIEW, person=person)
    # One reading for the page and its banner: the rights are read once for both.
    reading = RecordReading(request.user, person)
    today = reading.today
    rights, decisions = rights_and_decisions(reading)
    alerts = rules.alerts(selectors.right_facts(rights, decisions), today)
    photos = list(
        Photo.objects.filter(person=person).select_related("consent").order_by("-created_at", "-pk")
    )
    consents = list(PhotoConsent.objects.filter(person=person).select_related("representative"))
    consent = next((c for c in consents if c.withdrawn_on is None), None)
    current_photo = next(
        (p for p in photos if p.superseded_at is None and p.consent.withdrawn_on is None), None
    )
    context = {
        "person": person,
        "record_reading": reading,
        "decision": decision,
        "can_edit": bool(check(request.user, EDIT, person=person)),
        "today": today,
        "addresses": selectors.contact_rows(Address, person, today),
        "phones": selectors.contact_rows(Phone, person, today),
        "emails": selectors.contact_rows(Email, person, today),
        "profile": Profile.objects.filter(person=person).first(),
        "coverages": selectors.coverages(person),
        "complementary": selectors.complementary_covers(person),
        "rights": [(r, rules.state_on(r.start_date, r.end_date, today)) for r in rights],
        "mdph_decisions": [
            (d, rules.state_on(d.mdph_decision_date, d.mdph_valid_until, today)) for d in decisions
        ],
        "alerts": [a.message for a in alerts],
        "current_photo": current_photo,
        "photos": photos,
        "consent": consent,
        "consents": consents,
        "withdraw_form": WithdrawConsentForm(
            initial={"on": today, "expected_version": consent.version if consent else None}
        ),
        # The médecin traitant and the other professionals (directory app, one query).
        "person_professionals": professionals_of(request.user, person),
    }
    # Linking a professional also needs the directory (directory.views.person_link_add).
    context["can_edit_professionals"] = context["can_edit"] and bool(
        check(request.user, "directory.view", organisation=person.organisation)
    )
    record_person_access(Actor.from_request(request), "administrative.view", [person], decision)
    return render(request, "administrative/page.html", context)


def _form_page(request, person, template_context: dict, *, status: int = 200) -> HttpResponse:
    decision = check(request.user, VIEW, person=person)
    record_person_access(
        Actor.from_request(request), "administrative.form_view", [person], decision
    )
    return render(
        request,
        "administrative/form.html",
        {"person": person, "decision": decision, **template_context},
        status=status,
    )


def item_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    person = _person(pk)
    spec = _kind(kind)
    authorize(request, EDIT, person=person)
    form = spec.form(posted(request), instance=spec.model(person=person))
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.add_item(actor, person, spec.model, **_data(form)),
        on_replay_url=_page_url(person, spec.anchor),
        refusals=(PermissionDenied,),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, f"Enregistré : {result}.")
        return _back(person, spec.anchor)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return _form_page(
        request,
        person,
        {
            "title": spec.new_title,
            "form": form,
            "form_token": creation_token(request),
            "submit": "Enregistrer",
        },
    )


def _row(spec: Kind, person: Person, item_pk: int) -> Model:
    # Looked up within the person: another record's row is a 404.
    return get_object_or_404(spec.model, pk=item_pk, person=person)


def item_edit(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Correct a contact point (a new version replaces it) or edit a coverage or right."""
    person = _person(pk)
    spec = _kind(kind)
    authorize(request, EDIT, person=person)
    row = _row(spec, person, item_pk)
    if spec.is_contact and not row.is_current():
        messages.error(request, "Cet élément fait partie de l'historique : il ne se corrige plus.")
        return _back(person, spec.anchor)
    form = spec.form(posted(request), instance=_row(spec, person, item_pk))
    status = 200
    if request.method == "POST":
        actor = Actor.from_request(request)
        service = services.correct_contact if spec.is_contact else services.update_item

        def save():
            return service(
                actor,
                row,
                expected_version=form.cleaned_data["expected_version"],
                **_data(form),
            )

        if form.is_valid() and save_or_refuse(form, save, refusals=(PermissionDenied,)):
            messages.success(
                request, "Modification enregistrée ; la version précédente est conservée."
            )
            return _back(person, spec.anchor)
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
    return _form_page(
        request,
        person,
        {"title": spec.edit_title, "form": form, "submit": "Enregistrer la correction", "row": row},
        status=status,
    )


def item_end(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """End an address, phone or e-mail (kept in the history)."""
    person = _person(pk)
    spec = _kind(kind)
    if not spec.is_contact:
        raise Http404("Seules les coordonnées prennent fin ainsi.")
    authorize(request, EDIT, person=person)
    row = _row(spec, person, item_pk)
    form = EndForm(
        posted(request),
        initial={"valid_until": timezone.localdate(), "expected_version": row.version},
    )
    status = 200
    if request.method == "POST":

        def save():
            return services.end_contact(
                Actor.from_request(request),
                row,
                valid_until=form.cleaned_data["valid_until"],
                reason=form.cleaned_data["end_reason"],
                expected_version=form.cleaned_data["expected_version"],
            )

        if form.is_valid() and save_or_refuse(form, save, refusals=(PermissionDenied,)):
            messages.success(request, f"« {row} » n'est plus valable ; il reste dans l'historique.")
            return _back(person, spec.anchor)
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
    return _form_page(
        request,
        person,
        {"title": f"Mettre fin : {row}", "form": form, "submit": "Mettre fin", "row": row},
        status=status,
    )


def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, EDIT, person=person)
    stored = Profile.objects.filter(person=person).first()
    form = ProfileForm(posted(request), instance=stored or Profile(person=person))
    status = 200
    if request.method == "POST":

        def save():
            return services.save_profile(
                Actor.from_request(request),
                person,
                expected_version=form.cleaned_data["expected_version"],
                **_data(form),
            )

        if form.is_valid() and save_or_refuse(form, save, refusals=(PermissionDenied,)):
            messages.success(request, "Langue, nationalité et situation familiale enregistrées.")
            return _back(person, "coordonnees")
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
    return _form_page(
        request,
        person,
        {
            "title": "Langue, nationalité et situation familiale",
            "form": form,
            "submit": "Enregistrer",
        },
        status=status,
    )


def photo_consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, EDIT, person=person)
    form = PhotoConsentForm(
        posted(request),
        instance=PhotoConsent(person=person),
        person=person,
        initial={"given_on": timezone.localdate()},
    )
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.record_photo_consent(
            actor,
            person,
            **{name: form.cleaned_data[name] for name in PhotoConsentForm.Meta.fields},
        ),
        on_replay_url=_page_url(person, "photo"),
        refusals=(PermissionDenied,),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, "Consentement à la photo enregistré.")
        return _back(person, "photo")
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return _form_page(
        request,
        person,
        {
            "title": "Consentement à la photo",
            "intro": "La photo sert à la vigilance sur l'identité (par exemple lors de la "
            "distribution des médicaments). Elle n'est enregistrée qu'avec l'accord de la "
            "personne ou de son représentant légal.",
            "form": form,
            "form_token": creation_token(request),
            "submit": "Enregistrer le consentement",
        },
    )


@require_POST
def photo_consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, EDIT, person=person)
    consent = get_object_or_404(PhotoConsent, pk=consent_pk, person=person)
    form = WithdrawConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez la date et le motif du retrait. Rien n'a été enregistré.")
        return _back(person, "photo")
    try:
        services.withdraw_photo_consent(
            Actor.from_request(request),
            consent,
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"{text} Rien n'a été enregistré.")
        return _back(person, "photo")
    except ConcurrentEditError as error:
        messages.error(request, str(error))
        return _back(person, "photo")
    messages.success(request, "Consentement retiré : la photo n'est plus affichée.")
    return _back(person, "photo")


def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(pk)
    authorize(request, EDIT, person=person)
    form = PhotoForm(posted(request), request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and save_or_refuse(
            form,
            lambda: services.store_photo(
                Actor.from_request(request), person, form.cleaned_data["image"]
            ),
            refusals=(PhotoRefused, PermissionDenied),
        ):
            messages.success(request, "Photo enregistrée.")
            return _back(person, "photo")
        messages.error(request, NOTHING_SAVED)
        status = 400
    return _form_page(
        request,
        person,
        {
            "title": "Photo",
            "form": form,
            "multipart": True,
            "submit": "Enregistrer la photo",
            "consent": services.current_consent(person),
        },
        status=status,
    )


def photo(request: HttpRequest, photo_pk: int) -> HttpResponse:
    """The image, through a permission check and an access event, never cached."""
    found = get_object_or_404(Photo.objects.select_related("person", "consent"), pk=photo_pk)
    decision = authorize(request, VIEW, person=found.person)
    if found.consent.withdrawn_on is not None:
        raise Http404("Photo retirée.")
    try:
        with storages["records"].open(found.storage_name, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise Http404("Le fichier de cette photo est introuvable.") from None
    except Exception:
        # The storage unreachable (any backend's error): say so, never a 500.
        return HttpResponse(
            "La photo est momentanément indisponible.",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store", "Retry-After": "60"},
        )
    record_person_access(
        Actor.from_request(request),
        "administrative.photo_view",
        [found.person],
        decision,
        details={"photo": found.pk},
    )
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="photo.jpg"'
    return response
