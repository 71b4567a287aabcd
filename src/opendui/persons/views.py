"""Person list and record pages. Every display is written to the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opendui.accounts.access import check, grants_of
from opendui.core.actor import Actor
from opendui.core.authz import authorize

from .forms import BreakGlassForm, BreakGlassSearchForm, PersonSearchForm
from .listing import person_rows_page
from .models import Person
from .record import person_record
from .services import BreakGlassRefused, open_break_glass, record_person_access


def person_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "person.view_identity", facility=request.current_facility)
    form = PersonSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = person_rows_page(
        request.user, query, request.current_facility, request.GET.get("page"), settings.PAGE_SIZE
    )
    record_person_access(
        Actor.from_request(request),
        "person.list",
        page.object_list,
        details={"search": bool(query), "page": page.number},
    )
    return render(
        request,
        "persons/list.html",
        {
            "form": form,
            "page_obj": page,
            "persons": page.object_list,
            "query_string": f"q={query}&" if query else "",
            "can_break_glass": check(request.user, "person.break_glass").allowed,
            "can_create": check(
                request.user, "person.create", facility=request.current_facility
            ).allowed,
        },
    )


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    if person.merged_into_id is not None:
        from .views_merge import merged_record_redirect

        return merged_record_redirect(request, person)
    decision = authorize(request, "person.view_identity", person=person)
    record = person_record(request.user, person)
    record_person_access(
        Actor.from_request(request),
        "person.view",
        [person],
        decision,
        details={"sections": record.sections},
    )
    return render(
        request,
        "persons/detail.html",
        {
            "person": person,
            "record": record,
            "stays": record.stays.stays if record.stays else [],
            "decision": decision,
            "can_view_access_log": check(
                request.user, "audit.view_person_access", person=person
            ).allowed,
        },
    )


def break_glass_search(request: HttpRequest) -> HttpResponse:
    """Find a record outside one's scope by exact birth name and birth date."""
    authorize(request, "person.break_glass")
    form = BreakGlassSearchForm(request.GET or None)
    results: list[Person] = []
    if form.is_valid():
        from opendui.core.text import search_key

        results = list(
            Person.objects.filter(
                organisation_id__in=_organisations_of(request),
                birth_name_key=search_key(form.cleaned_data["birth_name"]),
                birth_date=form.cleaned_data["birth_date"],
                merged_into=None,
            )[:10]
        )
        record_person_access(Actor.from_request(request), "person.break_glass_search", results)
    return render(
        request,
        "persons/break_glass_search.html",
        {
            "form": form,
            "results": [(p, BreakGlassForm(auto_id=f"bg{p.pk}_%s")) for p in results],
            "searched": form.is_valid(),
        },
    )


def _organisations_of(request: HttpRequest) -> set[int]:
    """Break-the-glass reaches records of the organisations the user works for, nothing beyond."""
    return {g.organisation_id for g in grants_of(request.user)}


@require_POST
def break_glass_open(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    authorize(request, "person.break_glass", organisation=person.organisation)
    form = BreakGlassForm(request.POST)
    try:
        if not form.is_valid():
            raise BreakGlassRefused("Indiquez le motif de l'accès exceptionnel.")
        open_break_glass(Actor.from_request(request), person, form.cleaned_data["reason"])
    except BreakGlassRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("persons:break_glass_search")
    messages.warning(
        request,
        "Accès exceptionnel ouvert pour une durée limitée. Il est tracé et sera contrôlé.",
    )
    return redirect("persons:detail", pk=person.pk)
