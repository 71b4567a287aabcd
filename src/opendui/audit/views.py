"""Audit pages for the DPO: global search and 'who consulted this record?'."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .selectors import access_events_for_person, search_events


def search(request: HttpRequest) -> HttpResponse:
    authorize(request, "audit.search")
    events = search_events(request.user)[:100]
    return render(request, "audit/search.html", {"events": events})


def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    decision = authorize(request, "audit.view_person_access", person=person)
    events = access_events_for_person(person)[:200]
    record_person_access(
        Actor.from_request(request), "audit.view_person_access", [person], decision
    )
    return render(request, "audit/person_access.html", {"person": person, "events": events})
