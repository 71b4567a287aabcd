"""Pages of the usage indicators: organisation and facility dashboards, drill-down lists,
the proof for the ARS (CSV, PDF).

Permission "pilotage.view" (facility scope): the organisation page shows the facilities
where the user holds it (all of them for an organisation-wide holder, with the
organisation's totals); a facility page needs it on that facility. Drill-down lists show
only the persons the user may see (person.view_identity scope) and are audited like the
person list; exports are audited too. Figures alone name nobody and are not access events.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from opendui.accounts.access import scope_for
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.downloads import attachment
from opendui.core.exports import (
    ExportPermit,
    authorize_export,
    exportable_facilities,
    may_export,
)
from opendui.core.pagination import page_of
from opendui.core.params import int_param
from opendui.organisations.models import Facility
from opendui.persons.services import record_person_access

from . import definitions as d
from . import exports, indicators, selectors
from .cache import figures_by_month
from .chart import line_chart

VIEW = selectors.VIEW
PROOF_MONTHS = 3


@dataclass
class Choice:
    """What the month selector and variant selectors asked for."""

    period: d.Period
    month: str
    variants: dict[str, str]
    query: str  # to repeat the choice in links
    first_measure: bool = False


def _choice(request: HttpRequest) -> Choice:
    """The chosen month (default: the month just ended) and variants; bad input is said
    in French and replaced by the defaults."""
    today = timezone.localdate()
    period = d.Period.last_ended(today)
    raw = request.GET.get("mois", "").strip()
    if raw:
        try:
            period = d.Period.month(*d.parse_month(raw, today))
        except ValueError as error:
            messages.error(request, f"{error} Le mois écoulé est affiché.")
    first = request.GET.get("premiere") == "1"
    if first:  # the programme's first measure: the three months ending with the chosen one
        period = d.Period.first_measure(period.start.year, period.start.month)
    variants = {}
    for key, options in d.VARIANTS.items():
        code = request.GET.get(f"variante_{key}", "")
        if code in options:
            variants[key] = code
    month = f"{d.add_months(period.end, -1):%Y-%m}"
    parts = [f"mois={month}", *(f"variante_{k}={v}" for k, v in variants.items())]
    if first:
        parts.append("premiere=1")
    return Choice(period, month, d.resolve_variants(variants), "&".join(parts), first)


def last_month(choice: Choice) -> d.Period:
    """The last month of the chosen period (series and proofs are monthly)."""
    start = d.add_months(choice.period.end, -1)
    return d.Period.month(start.year, start.month)


def _variant_fields(chosen: dict[str, str]) -> list[dict]:
    return [
        {
            "key": key,
            "label": d.LABELS[key],
            "options": [(code, text, chosen[key] == code) for code, text in options.items()],
        }
        for key, options in d.VARIANTS.items()
        if len(options) > 1
    ]


def _charts(series: list[tuple[d.Period, list[d.IndicatorResult]]]) -> list[dict]:
    """One chart (and its table alternative) per indicator."""
    labels = [p.label for p, _ in series]
    charts = []
    for index, key in enumerate(d.KEYS):
        column = [results[index] for _, results in series]
        charts.append(
            {
                "key": key,
                "label": d.LABELS[key],
                "target": d.TARGETS[key],
                "chart": line_chart(labels, [r.rate for r in column], d.TARGETS[key]),
                "rows": list(zip(labels, column, strict=True)),
                "definition": column[-1].definition if column else "",
            }
        )
    return charts


def _common(choice: Choice, results, series) -> dict:
    return {
        "period": choice.period,
        "month": choice.month,
        "query": choice.query,
        "results": results,
        "charts": _charts(series),
        "variant_fields": _variant_fields(choice.variants),
        "first_measure": choice.first_measure,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The organisation's page: totals, then each facility, those below target first."""
    authorize(request, VIEW)
    choice = _choice(request)
    facilities = list(selectors.measurable_facilities(request.user))
    ids = [f.pk for f in facilities]
    figures = figures_by_month(ids, [choice.period], choice.variants)[choice.period]
    rows = sorted(
        ((f, d.results(figures[f.pk], choice.variants)) for f in facilities),
        key=lambda row: (-sum(not r.met for r in row[1]), row[0].name),
    )
    whole = bool(scope_for(request.user, VIEW).organisation_ids)
    totals = d.results(indicators.total(figures.values()), choice.variants) if facilities else []
    series = indicators.series_for(ids, 12, last=last_month(choice), variants=choice.variants)
    context = _common(choice, totals, series) | {
        "rows": rows,
        "whole_organisation": whole,
        "can_export": bool(exportable_facilities(request.user, facilities)),
        "below": sum(1 for _, results in rows if not all(r.met for r in results)),
    }
    return render(request, "pilotage/home.html", context)


@require_GET
def facility(request: HttpRequest, facility_pk: int) -> HttpResponse:
    place = get_object_or_404(Facility.objects.select_related("organisation"), pk=facility_pk)
    authorize(request, VIEW, facility=place)
    choice = _choice(request)
    figures = figures_by_month([place.pk], [choice.period], choice.variants)[choice.period]
    results = d.results(figures[place.pk], choice.variants)
    series = indicators.series_for(
        [place.pk], 12, last=last_month(choice), variants=choice.variants
    )
    context = _common(choice, results, series) | {
        "facility": place,
        "drilldowns": indicators.DRILLDOWNS,
        "can_export": may_export(request.user, facility=place),
    }
    return render(request, "pilotage/facility.html", context)


@require_GET
def drilldown(request: HttpRequest, facility_pk: int, kind: str) -> HttpResponse:
    place = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, VIEW, facility=place)
    if kind not in indicators.DRILLDOWNS:
        raise Http404(kind)
    choice = _choice(request)
    agenda_only = choice.variants[d.ACTIVE_EVENT] == d.AGENDA_ONLY
    persons = selectors.drilldown(request.user, place, choice.period, kind, agenda_only)
    page = page_of(persons, request.GET.get("page"), 50)
    record_person_access(
        Actor.from_request(request),
        "pilotage.drilldown",
        page.object_list,
        details={"facility": place.pk, "list": kind, "month": choice.month},
    )
    return render(
        request,
        "pilotage/drilldown.html",
        {
            "facility": place,
            "kind": kind,
            "title": indicators.DRILLDOWNS[kind],
            "page_obj": page,
            "period": choice.period,
            "query": choice.query,
            "query_string": choice.query + "&",
        },
    )


# --- proof for the ARS -------------------------------------------------------------------------


def _proof_facilities(
    request: HttpRequest, facility_pk: int | None
) -> tuple[list[Facility], ExportPermit]:
    """The facilities of the proof: the one asked, or all those whose indicators the user
    sees and may export (`person.export`); 403 when there is none to export."""
    if facility_pk is None:
        authorize(request, VIEW)
        measured = list(selectors.measurable_facilities(request.user))
        facilities = exportable_facilities(request.user, measured)
        if not facilities and measured:
            return facilities, authorize_export(request, facility=measured[0])  # 403, audited
        return facilities, authorize_export(request)
    place = get_object_or_404(Facility, pk=facility_pk)
    authorize(request, VIEW, facility=place)
    return [place], authorize_export(request, facility=place)


def _proof(request: HttpRequest, facility_pk: int | None, kind: str) -> HttpResponse:
    facilities, permit = _proof_facilities(request, facility_pk)
    choice = _choice(request)
    months = int_param(
        request.GET.get("nombre"),
        default=PROOF_MONTHS,
        minimum=PROOF_MONTHS,
        maximum=12,
        clamp=True,
    )
    items = exports.proofs(facilities, last_month(choice), months, choice.variants)
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "pilotage.proof_export",
        details={
            "format": kind,
            "facilities": [f.pk for f in facilities],
            "last_month": choice.month,
            "months": months,
        },
        facility_id=facilities[0].pk if len(facilities) == 1 else None,
        organisation_id=facilities[0].organisation_id if facilities else None,
    )
    scope = facilities[0].finess_et if facility_pk else "etablissements"
    name = f"preuve-usage-{scope}-{choice.month}"
    if kind == "csv":
        return attachment(
            exports.proof_csv(items), "text/csv; charset=utf-8", f"{name}.csv", permit=permit
        )
    user = request.user
    signatory = f"{user.first_name} {user.last_name}".strip() or user.email
    pdf = exports.proof_pdf(items, signatory, timezone.localdate())
    return attachment(pdf, "application/pdf", f"{name}.pdf", permit=permit)


@require_GET
def proof_csv(request: HttpRequest, facility_pk: int | None = None) -> HttpResponse:
    return _proof(request, facility_pk, "csv")


@require_GET
def proof_pdf(request: HttpRequest, facility_pk: int | None = None) -> HttpResponse:
    return _proof(request, facility_pk, "pdf")
