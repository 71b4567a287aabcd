"""Audit pages for the DPO: global search and 'who consulted this record?'.

Both pages are themselves audited: the search records the persons it showed,
the record's access history records that it was looked at.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.pagination import page_of
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .forms import AuditSearchForm, PersonAccessFilterForm
from .models import EventKind
from .selectors import (
    event_rows,
    matching_persons,
    person_access_entries,
    search_events,
    search_organisations,
)
from .services import record


def _query_string(params: QueryDict) -> str:
    """The filters of the current page, for the pagination links ('a=1&b=2&' or '')."""
    params = params.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def search(request: HttpRequest) -> HttpResponse:
    authorize(request, "audit.search")
    organisations = search_organisations(request.user)
    form = AuditSearchForm(request.GET or None)
    context = {"form": form, "query_string": _query_string(request.GET), "rows": []}
    if form.is_bound and not form.is_valid():
        return render(request, "audit/search.html", context)
    filters = dict(form.cleaned_data) if form.is_bound else {}
    persons = None
    if filters.get("person"):
        persons = matching_persons(organisations, filters["person"])
        if not persons.exists():
            context["no_person"] = filters["person"]
            return render(request, "audit/search.html", context)
    events = search_events(
        request.user,
        professional=filters.get("professional", ""),
        persons=persons,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        action=filters.get("action", ""),
        kind=filters.get("kind", ""),
        break_glass=filters.get("break_glass", False),
    )
    page = page_of(events, request.GET.get("page"), settings.PAGE_SIZE)
    rows, shown = event_rows(page.object_list, organisations)
    if shown:
        owners = {p.organisation_id for p in shown}
        record(
            Actor.from_request(request),
            EventKind.ACCESS,
            "audit.search",
            person_ids=[p.pk for p in shown],
            organisation_id=owners.pop() if len(owners) == 1 else None,
            details={
                "filters": form.used_filters() if form.is_bound else {},
                "page": page.number,
            },
        )
    context.update({"rows": rows, "page_obj": page, "searched": True})
    return render(request, "audit/search.html", context)


def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    decision = authorize(request, "audit.view_person_access", person=person)
    form = PersonAccessFilterForm(request.GET or None)
    break_glass_only = form.is_valid() and form.cleaned_data["break_glass"]
    entries = person_access_entries(person, break_glass=break_glass_only)
    page = page_of(entries, request.GET.get("page"), settings.PAGE_SIZE)
    rows, _ = event_rows([entry.event for entry in page.object_list], (), with_persons=False)
    record_person_access(
        Actor.from_request(request),
        "audit.view_person_access",
        [person],
        decision,
        details={"break_glass_only": bool(break_glass_only), "page": page.number},
    )
    return render(
        request,
        "audit/person_access.html",
        {
            "person": person,
            "decision": decision,
            "form": form,
            "rows": rows,
            "page_obj": page,
            "break_glass_only": break_glass_only,
            "query_string": _query_string(request.GET),
        },
    )
