"""Pages of the facility's yearly activity report: on screen, CSV and PDF.

Permission `pilotage.view` on the facility. The report holds aggregates only (no person
is named, small counts are shown as they are), so each read is recorded as one access
event on the facility with the year and the format, without persons.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from opendui.accompaniment.pdf import render_pdf
from opendui.accounts.access import check
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.downloads import attachment
from opendui.core.exports import ExportPermit, authorize_export, may_export
from opendui.organisations.models import Facility

from . import activity_rules as rules
from .activity_export import csv_text
from .activity_report import ActivityReport, activity_report

PERMISSION = "pilotage.view"
YEARS_OFFERED = 10


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The user's facilities whose activity report they may read."""
    authorize(request, PERMISSION)  # held somewhere; each facility is checked below
    facilities = [f for f in request.user_facilities if check(request.user, PERMISSION, facility=f)]
    return render(
        request,
        "pilotage/activity_home.html",
        {"facilities": facilities, "year": rules.default_year(timezone.localdate())},
    )


def _facility(request: HttpRequest, facility_pk: int) -> Facility:
    facility = get_object_or_404(
        Facility.objects.select_related("organisation", "category"), pk=facility_pk
    )
    authorize(request, PERMISSION, facility=facility)
    return facility


def _report(request: HttpRequest, facility: Facility, output: str) -> ActivityReport:
    """The report of the year asked (`?annee=`, default the last complete one), audited.

    Raises rules.PeriodError for a malformed or future year; nothing is recorded then.
    """
    today = timezone.localdate()
    asked = request.GET.get("annee")
    year = rules.parse_year(asked, today) if asked is not None else rules.default_year(today)
    report = activity_report(facility, year, today)
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "pilotage.activity_report",
        obj=facility,
        organisation_id=facility.organisation_id,
        facility_id=facility.pk,
        details={"annee": year, "format": output},
    )
    return report


def _years(today) -> list[int]:
    return list(range(today.year, today.year - YEARS_OFFERED, -1))


@require_GET
def report(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = _facility(request, facility_pk)
    today = timezone.localdate()
    context = {
        "facility": facility,
        "years": _years(today),
        "default_year": rules.default_year(today),
    }
    try:
        context["report"] = _report(request, facility, "html")
    except rules.PeriodError as error:
        context["error"] = str(error)
        return render(request, "pilotage/activity.html", context, status=400)
    context["selected"] = context["report"].year
    context["can_export"] = may_export(request.user, facility=facility)
    return render(request, "pilotage/activity.html", context)


def _refused(error: rules.PeriodError) -> HttpResponse:
    return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")


def _attachment(
    content: bytes | str, content_type: str, report: ActivityReport, ext: str, permit: ExportPermit
) -> HttpResponse:
    name = f"rapport-activite-{report.facility.finess_et}-{report.year}.{ext}"
    return attachment(content, content_type, name, permit=permit)


@require_GET
def report_csv(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = _facility(request, facility_pk)
    permit = authorize_export(request, facility=facility)
    try:
        result = _report(request, facility, "csv")
    except rules.PeriodError as error:
        return _refused(error)
    content = csv_text(result).encode("utf-8")
    return _attachment(content, "text/csv; charset=utf-8", result, "csv", permit)


@require_GET
def report_pdf(request: HttpRequest, facility_pk: int) -> HttpResponse:
    facility = _facility(request, facility_pk)
    permit = authorize_export(request, facility=facility)
    try:
        result = _report(request, facility, "pdf")
    except rules.PeriodError as error:
        return _refused(error)
    html = render_to_string(
        "pilotage/activity_pdf.html",
        {"report": result, "facility": facility, "generated_on": timezone.localdate()},
    )
    return _attachment(render_pdf(html), "application/pdf", result, "pdf", permit)
