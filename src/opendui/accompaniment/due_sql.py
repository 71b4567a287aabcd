"""The review due date of a PP version computed in SQL, from the same facts as the pure rule.

`rules.review_due(validated_on, last review's held_on, last review's next_review_on)`,
written as an expression over `PersonalisedProject`, so that the facility's overdue list
filters and sorts on the rule itself rather than on the stored `next_review_due` (a copy
that data written before the rule was enforced may hold later than allowed). A Hypothesis
test compares this expression with the pure rule on both databases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import DateField, Func, OuterRef, Subquery
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce, Greatest, Least

from .models import Review
from .rules import REVIEW_MONTHS


class AddMonths(Func):
    """`stays.rules.add_months` in SQL: the same day `months` later, clamped to the last day
    of a shorter month (31 January + 1 month = 28/29 February)."""

    output_field = DateField()

    def __init__(self, expression: Any, months: int) -> None:
        if months < 0:
            raise ValueError("AddMonths adds a positive number of months")
        self.months = int(months)
        super().__init__(expression, output_field=DateField())

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        # date + interval clamps to the month's end; the result is a timestamp.
        return f"(({sql}) + make_interval(months => {self.months}))::date", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # SQLite overflows into the next month (31/01 + 1 month = 03/03); the last day of
        # the target month is the bound, and ISO dates compare as text.
        return (
            f"MIN(DATE({sql}, '+{self.months} months'), "
            f"DATE({sql}, 'start of month', '+{self.months + 1} months', '-1 day'))",
            [*params, *params],
        )


def review_due_expression() -> Expression:
    """min(next date asked at the latest review, max(validation, latest review) + 12 months);
    NULL for a version never validated."""
    latest = Review.objects.filter(project=OuterRef("pk")).order_by("-held_on", "-pk")
    held = Subquery(latest.values("held_on")[:1], output_field=DateField())
    asked = Subquery(latest.values("next_review_on")[:1], output_field=DateField())
    base = Greatest("validated_on", Coalesce(held, "validated_on"), output_field=DateField())
    year = AddMonths(base, REVIEW_MONTHS)
    return Least(Coalesce(asked, year, output_field=DateField()), year, output_field=DateField())
