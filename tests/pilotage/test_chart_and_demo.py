"""The SVG chart geometry, and the demo's indicators (plausible, some targets missed, none
above 100 %, no DMP or MSSanté sending invented)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opendui.accounts.models import Assignment
from opendui.organisations.models import Facility
from opendui.pilotage.chart import line_chart
from opendui.pilotage.definitions import Period
from opendui.pilotage.indicators import compute_facilities, series_for


def test_chart_points_gaps_and_target():
    chart = line_chart(["01", "02", "03", "04"], [Decimal(0), None, Decimal(100), Decimal(50)], 90)
    assert [p.x for p in chart.points] == [36, 160.7, 285.3, 410]
    assert chart.points[0].y == 152 and chart.points[2].y == 10  # 0 % at the bottom, 100 % top
    assert chart.segments == ["36.0,152.0", "285.3,10.0 410.0,81.0"]  # no line across the gap
    assert chart.target_y == pytest.approx(24.2)
    tall = line_chart(["01"], [Decimal("126.3")], 70)
    # The axis grows to 130 % so that the point stays inside the chart.
    assert [t[1] for t in tall.ticks] == [0, 25, 50, 75, 100, 125]
    assert tall.points[0].y == pytest.approx(10 + 142 * (1 - 126.3 / 130), abs=0.1)


@pytest.mark.django_db
def test_demo_gives_plausible_indicators_and_the_director_account():
    from opendui.demo.seed import seed_demo

    today = dt.date(2026, 5, 14)
    seed_demo(5, 80, seed=1, reference_date=today)
    director = Assignment.objects.get(user__email="direction@demo.opendui.fr")
    assert (director.role.code, director.facility_id) == ("directeur", None)
    from opendui.documents.models import Sharing

    results = compute_facilities(Facility.objects.all(), Period.month(2026, 4))
    flat = [r for items in results.values() for r in items]
    assert all(r.denominator > 0 for r in flat)
    record_indicators = [r for r in flat if r.key not in ("mssante", "dmp")]
    assert any(r.met for r in record_indicators) and any(not r.met for r in record_indicators)
    # No rate above 100 %, per facility or for the organisation, in any month (the demo
    # showed 100,8 %, 101,8 %, 104,8 %: active records of persons no longer accompanied).
    assert all(r.numerator <= r.denominator and r.rate <= 100 for r in flat)
    ids = list(Facility.objects.values_list("pk", flat=True))
    series = series_for(ids, 12, last=Period.month(2026, 4))
    assert all(r.rate is None or r.rate <= 100 for _, items in series for r in items)
    # The software sends nothing to the DMP nor through MSSanté yet: the demo invents no
    # sending, the figures say so (they showed 96,9 % and 87,8 % "Cible atteinte").
    assert not Sharing.objects.exists()
    for r in flat:
        if r.key in ("mssante", "dmp"):
            assert (r.numerator, r.sent, r.met) == (0, 0, False), r.key
            assert r.no_sending.startswith("Pas encore d'envoi")
