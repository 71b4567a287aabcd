"""Person list and record pages. Every display is written to the audit trail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opendui.accounts.access import ARCHIVED, check, has_anywhere
from opendui.core.actor import Actor
from opendui.core.authz import authorize

from .break_glass import reason_problem
from .forms import BreakGlassForm, BreakGlassSearchForm, PersonSearchForm
from .listing import person_rows_page
from .models import Person
from .record import person_record
from .services import (
    BREAK_GLASS,
    BreakGlassRefused,
    break_glass_matches,
    break_glass_token,
    open_break_glass,
    record_person_access,
)


def person_list(request: HttpRequest) -> HttpResponse:
    authorize(request, "person.view_identity", facility=request.current_facility)
    form = PersonSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # Archived records are listed on request, to the roles that may open them.
    can_include_archived = has_anywhere(request.user, ARCHIVED)
    archived = can_include_archived and form.is_valid() and form.cleaned_data["archives"]
    page = person_rows_page(
        request.user,
        query,
        request.current_facility,
        request.GET.get("page"),
        settings.PAGE_SIZE,
        archived=archived,
    )
    record_person_access(
        Actor.from_request(request),
        "person.list",
        page.object_list,
        details={"search": bool(query), "page": page.number, "archived": archived},
    )
    return render(
        request,
        "persons/list.html",
        {
            "form": form,
            "page_obj": page,
            "persons": page.object_list,
            "query_string": urlencode({"q": query, **({"archives": "on"} if archived else {})})
            + "&"
            if query or archived
            else "",
            "can_include_archived": can_include_archived,
            "include_archived": archived,
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
    details = {"sections": record.sections}
    if decision.archived:
        details["archived"] = True
    record_person_access(Actor.from_request(request), "person.view", [person], decision, details)
    return render(
        request,
        "persons/detail.html",
        {
            "person": person,
            "record": record,
            "stays": record.stays.stays if record.stays else [],
            "decision": decision,
            "archive_days": settings.ACCESS_AFTER_DISCHARGE_DAYS,
            "can_view_access_log": check(
                request.user, "audit.view_person_access", person=person
            ).allowed,
        },
    )


def break_glass_search(request: HttpRequest) -> HttpResponse:
    """Find a record outside one's scope by exact birth name and birth date."""
    authorize(request, BREAK_GLASS)
    form = BreakGlassSearchForm(request.GET or None)
    results: list[Person] = []
    if form.is_valid():
        search = form.cleaned_data
        results = break_glass_matches(request.user, search["birth_name"], search["birth_date"])
        record_person_access(Actor.from_request(request), "person.break_glass_search", results)
    return render(
        request,
        "persons/break_glass_search.html",
        {
            "form": form,
            "results": [
                (
                    person,
                    BreakGlassForm(
                        auto_id=f"bg{index}_%s",
                        initial={
                            "birth_name": form.cleaned_data["birth_name"],
                            "birth_date": form.cleaned_data["birth_date"].isoformat(),
                            "token": break_glass_token(request.user, person),
                        },
                    ),
                )
                for index, person in enumerate(results)
            ],
            "searched": form.is_valid(),
        },
    )


@require_POST
def break_glass_open(request: HttpRequest) -> HttpResponse:
    """Open the exceptional access chosen on the search page: the service runs the posted
    search again and opens only the record it finds there (no id is read from the page)."""
    authorize(request, BREAK_GLASS)
    form = BreakGlassForm(request.POST)
    search = {k: request.POST.get(k, "") for k in ("birth_name", "birth_date")}
    try:
        if not form.is_valid():
            raise BreakGlassRefused(
                reason_problem(request.POST.get("reason", ""))
                or "La demande d'accès exceptionnel est incomplète : refaites la recherche."
            )
        grant = open_break_glass(
            Actor.from_request(request),
            birth_name=form.cleaned_data["birth_name"],
            birth_date=form.cleaned_data["birth_date"],
            token=form.cleaned_data["token"],
            reason=form.cleaned_data["reason"],
        )
    except BreakGlassRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{reverse('persons:break_glass_search')}?{urlencode(search)}")
    messages.warning(
        request,
        "Accès exceptionnel ouvert pour une durée limitée. Il est tracé et sera contrôlé.",
    )
    return redirect("persons:detail", pk=grant.person_id)
