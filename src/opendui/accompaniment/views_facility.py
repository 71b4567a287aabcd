"""The facility's PP follow-up for the chief of service, and the PDF of a validated version.

The overdue lists need "person.view_social" in the facility (403 and an audit row
otherwise) and show only the persons within the reader's scope (a unit-level
professional sees their unit). One access event per page shown, with the persons listed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from opendui.accounts.access import check
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.downloads import attachment
from opendui.core.exports import authorize_export
from opendui.organisations.models import Facility

from .base import READ
from .hooks import stored_pdf_url
from .pdf import project_pdf
from .selectors import first_projects_page, overdue_reviews_page
from .views import _project

LISTS = {"bilans": "Bilans en retard", "premiers": "Premiers projets en retard"}


def home(request: HttpRequest) -> HttpResponse:
    """The chosen facility's list, or the user's facilities where they may read PPs."""
    authorize(request, READ, facility=request.current_facility)
    current = request.current_facility
    if current is not None:
        return redirect("accompaniment:facility", facility_pk=current.pk)
    facilities = [f for f in request.user_facilities if check(request.user, READ, facility=f)]
    if len(facilities) == 1:
        return redirect("accompaniment:facility", facility_pk=facilities[0].pk)
    return render(request, "accompaniment/home.html", {"facilities": facilities})


def facility(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, READ, facility=facility)
    today = timezone.localdate()
    which = request.GET.get("liste") if request.GET.get("liste") in LISTS else "bilans"
    number = request.GET.get("page")
    if which == "bilans":
        page = overdue_reviews_page(request.user, facility, today, number, settings.PAGE_SIZE)
        persons = [p.person for p in page.object_list]
    else:
        page = first_projects_page(request.user, facility, today, number, settings.PAGE_SIZE)
        persons = [s.person for s in page.object_list]
    if persons:
        record(
            Actor.from_request(request),
            EventKind.ACCESS,
            "pp.overdue_list",
            person_ids=[p.pk for p in persons],
            obj=facility,
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
            details={"list": which, "page": page.number},
        )
    return render(
        request,
        "accompaniment/facility.html",
        {
            "facility": facility,
            "which": which,
            "lists": LISTS,
            "page_obj": page,
            "rows": page.object_list,
            "today": today,
            "query_string": f"liste={which}&",
        },
    )


def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(pk)
    decision = authorize(request, READ, person=project.person)
    if not project.frozen:
        raise PermissionDenied("Seule une version validée s'imprime.")
    permit = authorize_export(request, person=project.person)
    stored = stored_pdf_url(project)
    if stored:
        # The stored document (documents): its page audits the reading and offers the
        # download; the PDF is not rendered twice.
        return redirect(stored)
    content = project_pdf(project)
    from .services import record_project_access

    record_project_access(Actor.from_request(request), "pp.pdf", project.person, decision, project)
    name = f"projet-personnalise-{project.person.local_id}-v{project.number}.pdf"
    return attachment(content, "application/pdf", name, permit=permit)
