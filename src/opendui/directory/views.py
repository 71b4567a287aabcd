"""Pages of the directory (`/annuaire/`) and of a person's professionals.

Directory pages check `directory.view` / `directory.manage` against the organisation
of the directory (facility-scope permissions: "held in some facility of that
organisation"); an entry named in a URL is loaded by id and then authorised against
its own organisation, so an id from another organisation's directory is a 403 with an
audit row. The person's page checks `person.view_administrative` (audited read) and
its actions `person.edit_administrative`; the entries offered by the picker are the
active ones of the person's organisation only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from opendui.accounts.access import check, grants_of
from opendui.accounts.permissions import get_permission
from opendui.core.actor import Actor
from opendui.core.authz import authorize, refuse
from opendui.core.forms import (
    conflict_status,
    creation_token,
    handle_creation,
    save_or_refuse,
)
from opendui.core.pagination import page_of
from opendui.core.params import posted
from opendui.core.services import check_version
from opendui.organisations.models import ManagingOrganisation
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from . import external_access, services
from .forms import (
    DeactivateForm,
    DirectorySearchForm,
    EndLinkForm,
    ExternalAccessCloseForm,
    ExternalAccessForm,
    LinkForm,
    ProfessionalForm,
    StructureForm,
    StructureSearchForm,
)
from .models import ExternalProfessional, ExternalStructure, LinkRole, PersonProfessional
from .selectors import professionals_of, search_professionals, search_structures

VIEW = "directory.view"
MANAGE = "directory.manage"
PERSON_VIEW = "person.view_administrative"
PERSON_EDIT = "person.edit_administrative"
PAGE_SIZE = 25
PICKER_SIZE = 20
NOTHING_SAVED = "Rien n'a été enregistré : corrigez le formulaire ci-dessous."


def organisation_for(request: HttpRequest, code: str) -> ManagingOrganisation:
    """The organisation whose directory the page shows: the current facility's when the
    user holds `code` there, else the first organisation where they hold it. Refused
    (403, audited) when they hold it nowhere."""
    permission = get_permission(code)
    organisation_ids = sorted(
        {g.organisation_id for g in grants_of(request.user) if g.allows(permission)}
    )
    if not organisation_ids:
        refuse(request, code)
    current = getattr(request, "current_facility", None)
    chosen = (
        current.organisation_id
        if current is not None and current.organisation_id in organisation_ids
        else organisation_ids[0]
    )
    organisation = ManagingOrganisation.objects.get(pk=chosen)
    authorize(request, code, organisation=organisation)
    return organisation


def _query_string(form) -> str:
    """The search's parameters for the pagination links (without the page)."""
    if not form.is_valid():
        return ""
    values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None, False)}
    return urlencode(values) + "&" if values else ""


# --- lists ------------------------------------------------------------------------------------


def professional_list(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, VIEW)
    form = DirectorySearchForm(request.GET or None)
    rows = search_professionals(organisation.pk, **form.values())
    page = page_of(rows, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "directory/list.html",
        {
            "organisation": organisation,
            "form": form,
            "page_obj": page,
            "professionals": page.object_list,
            "query_string": _query_string(form),
            "can_manage": check(request.user, MANAGE, organisation=organisation).allowed,
        },
    )


def structure_list(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, VIEW)
    form = StructureSearchForm(request.GET or None)
    rows = search_structures(organisation.pk, **form.values())
    page = page_of(rows, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "directory/structures.html",
        {
            "organisation": organisation,
            "form": form,
            "page_obj": page,
            "structures": page.object_list,
            "query_string": _query_string(form),
            "can_manage": check(request.user, MANAGE, organisation=organisation).allowed,
        },
    )


# --- creation and correction ------------------------------------------------------------------


def _create(request: HttpRequest, form, save, *, template: str, back: str, success: str):
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: save(actor),
        on_replay_url=reverse(back),
        refusals=(PermissionDenied,),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, success.format(entry=result))
        return redirect(back)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        template,
        {"form": form, "form_token": creation_token(request), "creating": True},
        status=conflict_status(form) if request.method == "POST" else 200,
    )


def professional_create(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, MANAGE)
    form = ProfessionalForm(posted(request), organisation=organisation)
    return _create(
        request,
        form,
        lambda actor: services.create_professional(actor, organisation, **form.service_fields()),
        template="directory/professional_form.html",
        back="directory:list",
        success="{entry} a été ajouté(e) à l'annuaire.",
    )


def structure_create(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, MANAGE)
    form = StructureForm(posted(request))
    return _create(
        request,
        form,
        lambda actor: services.create_structure(actor, organisation, **form.service_fields()),
        template="directory/structure_form.html",
        back="directory:structures",
        success="{entry} a été ajoutée à l'annuaire.",
    )


def _edit(request: HttpRequest, entry, form, save, *, template: str, back: str, success: str):
    if request.method == "POST":
        if form.is_valid() and save_or_refuse(form, save, refusals=(PermissionDenied,)):
            messages.success(request, success)
            return redirect(back)
        messages.error(request, NOTHING_SAVED)
    return render(
        request,
        template,
        {"form": form, "entry": entry, "back": back},
        status=conflict_status(form) if request.method == "POST" else 200,
    )


def _professional(request: HttpRequest, pk: int, code: str) -> ExternalProfessional:
    professional = get_object_or_404(
        ExternalProfessional.objects.select_related("organisation", "structure"), pk=pk
    )
    authorize(request, code, organisation=professional.organisation)
    return professional


def _structure(request: HttpRequest, pk: int, code: str) -> ExternalStructure:
    structure = get_object_or_404(ExternalStructure.objects.select_related("organisation"), pk=pk)
    authorize(request, code, organisation=structure.organisation)
    return structure


def professional_edit(request: HttpRequest, pk: int) -> HttpResponse:
    professional = _professional(request, pk, MANAGE)
    form = ProfessionalForm(
        posted(request), organisation=professional.organisation, professional=professional
    )
    name = str(professional)

    def save():
        return services.update_professional(
            Actor.from_request(request),
            professional,
            expected_version=form.cleaned_data["expected_version"],
            **form.service_fields(),
        )

    return _edit(
        request,
        professional,
        form,
        save,
        template="directory/professional_form.html",
        back="directory:list",
        success=f"La fiche de {name} est modifiée.",
    )


def structure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    structure = _structure(request, pk, MANAGE)
    form = StructureForm(posted(request), structure=structure)
    name = str(structure)

    def save():
        return services.update_structure(
            Actor.from_request(request),
            structure,
            expected_version=form.cleaned_data["expected_version"],
            **form.service_fields(),
        )

    return _edit(
        request,
        structure,
        form,
        save,
        template="directory/structure_form.html",
        back="directory:structures",
        success=f"La fiche de {name} est modifiée.",
    )


def _deactivate(request: HttpRequest, entry, back: str) -> HttpResponse:
    form = DeactivateForm(posted(request), initial={"expected_version": entry.version})
    name = str(entry)
    return _edit(
        request,
        entry,
        form,
        lambda: services.deactivate(
            Actor.from_request(request),
            entry,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["expected_version"],
        ),
        template="directory/deactivate.html",
        back=back,
        success=f"{name} est désactivé(e) : la fiche reste dans l'historique des dossiers.",
    )


def professional_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _deactivate(request, _professional(request, pk, MANAGE), "directory:list")


def structure_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _deactivate(request, _structure(request, pk, MANAGE), "directory:structures")


# --- a person's professionals -----------------------------------------------------------------


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def person_professionals(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's professionals (current, then history), audited."""
    person = _person(pk)
    decision = authorize(request, PERSON_VIEW, person=person)
    links = professionals_of(request.user, person, include_ended=True)
    can_edit = check(request.user, PERSON_EDIT, person=person).allowed
    record_person_access(
        Actor.from_request(request), "person.professionals_view", [person], decision
    )
    return render(
        request,
        "directory/person.html",
        {
            "person": person,
            "decision": decision,
            "person_professionals": [link for link in links if link.is_current],
            "ended_links": [link for link in links if not link.is_current],
            "can_edit_professionals": can_edit,
        },
    )


def person_link_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Search the directory and link the chosen entry (works without JavaScript: a GET
    search, then one POST form whose radio buttons name the entries found)."""
    person = _person(pk)
    decision = authorize(request, PERSON_EDIT, person=person)
    authorize(request, VIEW, organisation=person.organisation)
    source = request.POST if request.method == "POST" else request.GET
    search = DirectorySearchForm(
        {"q": source.get("q", ""), "city": source.get("city", ""), "profession": ""}
    )
    values = search.values()
    role = source.get("role", "")
    form = LinkForm(
        posted(request),
        organisation_id=person.organisation_id,
        initial={
            "start_date": timezone.localdate(),
            "role": role if role in LinkRole.values else "",
        },
    )
    actor = Actor.from_request(request)
    result = handle_creation(
        request,
        form,
        lambda: services.link_professional(actor, person, **form.service_fields()),
        on_replay_url=reverse("directory:person", kwargs={"pk": person.pk}),
        refusals=(PermissionDenied,),
    )
    if isinstance(result, HttpResponse):
        return result
    if result is not None:
        messages.success(request, f"{result} : lien enregistré.")
        return redirect("directory:person", pk=person.pk)
    if request.method == "POST":
        messages.error(request, NOTHING_SAVED)
    searched = bool(values["query"].strip() or values["city"].strip())
    professionals, structures = [], []
    if searched:
        professionals = list(
            search_professionals(
                person.organisation_id, query=values["query"], city=values["city"]
            )[:PICKER_SIZE]
        )
        structures = list(
            search_structures(person.organisation_id, query=values["query"], city=values["city"])[
                :PICKER_SIZE
            ]
        )
    for professional in professionals:
        professional.choice = f"p{professional.pk}"
    for structure in structures:
        structure.choice = f"s{structure.pk}"
    record_person_access(actor, "person.professionals_view", [person], decision)
    return render(
        request,
        "directory/person_add.html",
        {
            "person": person,
            "decision": decision,
            "search": search,
            "searched": searched,
            "professionals": professionals,
            "structures": structures,
            "form": form,
            "form_token": creation_token(request),
            "current_gp": services.current_gp_link(person),
            "chosen": (request.POST.get("entry", "") if request.method == "POST" else ""),
        },
    )


def person_link_end(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    person = _person(pk)
    decision = authorize(request, PERSON_EDIT, person=person)
    # The link must be this person's: another record's link id is a 404.
    link = get_object_or_404(
        PersonProfessional.objects.select_related("professional", "structure"),
        pk=link_pk,
        person=person,
    )
    form = EndLinkForm(
        posted(request),
        initial={"end_date": timezone.localdate(), "expected_version": link.version},
    )
    status = 200
    if request.method == "POST":
        saved = form.is_valid() and save_or_refuse(
            form,
            lambda: services.end_link(
                Actor.from_request(request),
                link,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["end_reason"],
                expected_version=form.cleaned_data["expected_version"],
            ),
            refusals=(PermissionDenied,),
        )
        if saved:
            messages.success(request, f"{link} : le lien a pris fin ; il reste dans l'historique.")
            return redirect("directory:person", pk=person.pk)
        messages.error(request, NOTHING_SAVED)
        status = conflict_status(form)
        link = get_object_or_404(PersonProfessional, pk=link_pk, person=person)
    record_person_access(
        Actor.from_request(request),
        "person.professionals_view",
        [person],
        decision,
        details={"link": link.pk},
    )
    return render(
        request,
        "directory/person_end.html",
        {"person": person, "link": link, "form": form, "decision": decision},
        status=status,
    )


# --- an external professional's access to the persons they follow ----------------------------


MANAGE_ACCOUNTS = "accounts.manage"


def _external_roles(professional: ExternalProfessional) -> list[tuple[str, str]]:
    """The external role of the entry's profession (the habilitation follows it); none
    for a profession without one, and the service refuses any other."""
    from opendui.accounts.defaults import EXTERNAL_ROLE_PROFESSIONS
    from opendui.accounts.models import Role

    codes = [
        code
        for code, profession in EXTERNAL_ROLE_PROFESSIONS.items()
        if profession == professional.profession_code
    ]
    return list(Role.objects.filter(code__in=codes).order_by("name").values_list("code", "name"))


def external_access_list(request: HttpRequest) -> HttpResponse:
    """For the organisation's administrators (who do not browse the directory): the
    professionals of the directory with a national identifier, with the state of their
    access, leading to the page that opens or closes it."""
    organisation = organisation_for(request, MANAGE_ACCOUNTS)
    form = DirectorySearchForm(request.GET or None)
    rows = (
        search_professionals(organisation.pk, **form.values())
        .exclude(idnat_ps="")
        .select_related("account")
    )
    page = page_of(rows, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "directory/external_access_list.html",
        {
            "organisation": organisation,
            "form": form,
            "page_obj": page,
            "professionals": page.object_list,
            "query_string": _query_string(form),
        },
    )


def professional_access(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's administrator opens (or closes) the entry's access to the
    records of the persons it follows. The account is the one holding the entry's RPPS
    or ADELI, or one created here with the entry's identity; the persons are never
    chosen here, they come from the links kept in the records."""
    from opendui.accounts.models import LinkedPersonsAssignment, Role

    professional = get_object_or_404(
        ExternalProfessional.objects.select_related("organisation", "account"), pk=pk
    )
    authorize(request, MANAGE_ACCOUNTS, organisation=professional.organisation)
    account = external_access.account_of(professional)
    data = posted(request)
    closing = request.method == "POST" and "close" in request.POST
    form = ExternalAccessForm(
        None if closing else data,
        roles=_external_roles(professional),
        needs_account=account is None,
        initial={"expected_version": professional.version, "start_date": timezone.localdate()},
    )
    close_form = ExternalAccessCloseForm(
        data if closing else None, initial={"expected_version": professional.version}
    )
    actor = Actor.from_request(request)
    if request.method == "POST":
        if closing:
            if (
                close_form.is_valid()
                and save_or_refuse(
                    close_form,
                    lambda: external_access.close_access(
                        actor, professional, close_form.cleaned_data["expected_version"]
                    ),
                    refusals=(PermissionDenied,),
                )
                is not None
            ):
                messages.success(request, f"L'accès de {professional} aux dossiers est clos.")
                return redirect("directory:professional_access", pk=professional.pk)
        elif form.is_valid():

            def save():
                # Two steps, so that a refused opening stays in the audit trail: an
                # account created then left without access opens nothing (no password,
                # no assignment) and is found again by its RPPS on the next attempt.
                check_version(professional.version, form.cleaned_data["expected_version"])
                target = account or external_access.create_account(
                    actor, professional, form.cleaned_data["email"]
                )
                return external_access.open_access(
                    actor,
                    professional,
                    target,
                    Role.objects.get(code=form.cleaned_data["role"]),
                    start_date=form.cleaned_data["start_date"],
                    end_date=form.cleaned_data["end_date"],
                    expected_version=form.cleaned_data["expected_version"],
                    new_account=account is None,
                )

            if save_or_refuse(form, save, refusals=(PermissionDenied,)) is not None:
                messages.success(
                    request,
                    f"La demande d'accès de {professional} aux dossiers des personnes qu'il "
                    "suit est en attente d'approbation par le directeur général : rien "
                    "n'est ouvert avant.",
                )
                return redirect("directory:professional_access", pk=professional.pk)
        messages.error(request, NOTHING_SAVED)
    assignments = (
        LinkedPersonsAssignment.objects.filter(
            user=account, organisation_id=professional.organisation_id
        ).select_related("role")
        if account is not None
        else []
    )
    return render(
        request,
        "directory/professional_access.html",
        {
            "entry": professional,
            "account": account,
            "assignments": assignments,
            "form": form,
            "close_form": close_form,
        },
        status=conflict_status(form if not closing else close_form)
        if request.method == "POST"
        else 200,
    )
