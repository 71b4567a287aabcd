"""Pagination that never counts the whole table: one query of page_size + 1 rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .params import page_param


@dataclass
class Page:
    object_list: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def page_number(page: str | None) -> int:
    """The 1-based page number asked for in a query string (core.params.page_param):
    anything invalid means 1, and it is bounded so that the OFFSET it makes neither
    overflows Python's slicing nor PostgreSQL's bigint."""
    return page_param(page)


def page_of(queryset: QuerySet, page: str | None, size: int) -> Page:
    """Page `page` (1-based; anything invalid means 1) of an ordered queryset."""
    number = page_number(page)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows[:size], number, len(rows) > size)
