"""Server-rendered line charts of a monthly series (SVG coordinates, no JavaScript).

Pure: the template draws what `line_chart` returns. The vertical axis goes from 0 to 100 %
(or to the highest rate, rounded up to the next 10, when a rate exceeds 100 %); months
without a rate (zero denominator) leave a gap in the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 440, 180
LEFT, RIGHT, TOP, BOTTOM = 36, 30, 10, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Decimal | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[Point]
    segments: list[str]  # polyline "x,y x,y" strings, one per run of months with a rate
    target_y: float
    ticks: list[tuple[float, int]]  # (y, percent)
    left: int
    right: float
    bottom: float


def line_chart(labels: list[str], values: list[Decimal | None], target: int) -> Chart:
    top_value = max([100, *[float(v) for v in values if v is not None]])
    top_value = int(-(-top_value // 10) * 10)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(labels) - 1)

    def y_of(value: float) -> float:
        return round(TOP + inner_h * (1 - value / top_value), 1)

    points = [
        Point(round(LEFT + i * step, 1), y_of(float(v)) if v is not None else 0, label, v)
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    ]
    segments, run = [], []
    for point in points:
        if point.value is None:
            if run:
                segments.append(" ".join(run))
            run = []
        else:
            run.append(f"{point.x},{point.y}")
    if run:
        segments.append(" ".join(run))
    ticks = [(y_of(p), p) for p in range(0, top_value + 1, 25 if top_value <= 150 else 50)]
    return Chart(
        WIDTH, HEIGHT, points, segments, y_of(target), ticks, LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    )
