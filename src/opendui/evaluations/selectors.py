"""Reads of evaluations: a person's grids and GIR history, and a facility's GMP in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Q, Subquery

from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.stays.models import Stay

from .aggir import GMP_POINTS, GMP_QUANTUM
from .models import AggirEvaluation, EvaluationStatus, FilledEvaluation


def aggir_grids(person: Person):
    """All the person's AGGIR grids, newest first (one query with the people named)."""
    return AggirEvaluation.objects.filter(person=person).select_related(
        "evaluator", "validated_by", "stay__facility"
    )


def gir_history(person: Person) -> list[AggirEvaluation]:
    """The validated GIRs of the person, newest first: grids still VALIDE and grids validated
    then closed (TERMINE with a validation date). Drafts and approved grids never count."""
    return list(
        AggirEvaluation.objects.filter(person=person, validated_on__isnull=False)
        .filter(status__in=[EvaluationStatus.VALIDATED, EvaluationStatus.FINISHED])
        .select_related("stay__facility", "validated_by")
    )


def current_gir(person: Person, on: dt.date | None = None) -> AggirEvaluation | None:
    """The grid that gives the person's current GIR: the latest VALIDE one (by evaluation date)."""
    grids = AggirEvaluation.objects.filter(person=person, status=EvaluationStatus.VALIDATED)
    if on is not None:
        grids = grids.filter(evaluated_on__lte=on)
    return grids.order_by("-evaluated_on", "-pk").first()


def filled_evaluations(person: Person):
    return FilledEvaluation.objects.filter(person=person).select_related("model", "author")


@dataclass(frozen=True)
class FacilityGmp:
    """GMP of a facility on a date, with the GIR distribution it comes from."""

    facility: Facility
    on: dt.date
    distribution: dict[int, int] = field(default_factory=dict)  # GIR → residents
    without_gir: int = 0  # residents present without a validated GIR at that date

    @property
    def residents(self) -> int:
        """Residents counted in the GMP (those with a validated GIR)."""
        return sum(self.distribution.values())

    @property
    def points(self) -> int:
        return sum(GMP_POINTS[gir] * n for gir, n in self.distribution.items())

    @property
    def gmp(self) -> Decimal | None:
        """Σ points / residents (CASF annexe 3-6 col. C, R314-171); None without residents.
        Same rounding as aggir.gmp (two decimals, half up)."""
        if not self.residents:
            return None
        return (Decimal(self.points) / Decimal(self.residents)).quantize(GMP_QUANTUM, ROUND_HALF_UP)

    def rows(self) -> list[tuple[int, int, int]]:
        """(GIR, residents, points) for GIR 1 to 6, zeros included, for display."""
        return [
            (g, self.distribution.get(g, 0), GMP_POINTS[g] * self.distribution.get(g, 0))
            for g in sorted(GMP_POINTS)
        ]


def facility_gmp(facility: Facility, on: dt.date) -> FacilityGmp:
    """The GMP of `facility` on `on`, in one query.

    Residents are the persons with a stay in the facility running on `on`; each
    counts with their latest VALIDE GIR evaluated on or before `on` (a grid drawn up
    in another facility of the organisation counts: the GIR describes the person).
    The database groups residents by that GIR; the few groups are then weighted with
    the points of CASF annexe 3-6. A person with two stays running the same day is
    counted once.
    """
    latest_gir = (
        AggirEvaluation.objects.filter(
            person_id=OuterRef("person_id"),
            status=EvaluationStatus.VALIDATED,
            evaluated_on__lte=on,
        )
        .order_by("-evaluated_on", "-pk")
        .values("gir")[:1]
    )
    groups = (
        Stay.objects.filter(facility=facility, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .annotate(current_gir=Subquery(latest_gir))
        .order_by()
        .values("current_gir")
        .annotate(residents=Count("person_id", distinct=True))
    )
    distribution: dict[int, int] = {}
    without = 0
    for row in groups:
        if row["current_gir"] is None:
            without += row["residents"]
        else:
            distribution[int(row["current_gir"])] = row["residents"]
    return FacilityGmp(facility, on, distribution, without)
