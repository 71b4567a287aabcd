"""The one parser of query-string parameters (page numbers, counts, dates), with bounds.

Every view reads its GET parameters through these functions, so that no value typed in
the address bar can reach Python's date arithmetic or the database out of range: a page
number of 9223372036854775807 overflows list slicing (OverflowError) and PostgreSQL's
bigint OFFSET; a date of 9999-12-31 overflows `date + timedelta` one week later.

Policy: these parameters are navigation (which page, which day, which month), never data
that is saved. An invalid or out-of-range value therefore falls back to the default (the
first page, today) and the page is shown, rather than answering 400: a stale or
hand-edited link still lands somewhere useful, and nothing is written from it. A view
that wants to tell the user can compare the raw value with the result (see `date_param`'s
`on_invalid`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import HttpRequest, QueryDict

# Dates: far enough from date.min/date.max that ± a few years of arithmetic never overflows,
# wide enough for any birth date or planning horizon of a social-care record.
DATE_MIN = dt.date(1800, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
# Page numbers: a million pages of lists is far beyond any real list, and the OFFSET it
# makes (≤ 10^6 × page size) stays well inside a bigint.
PAGE_MAX = 1_000_000
# Every integer parameter fits a PostgreSQL integer column unless the caller says otherwise.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
# Primary keys are bigints: an id beyond this can name no row and must not reach the database.
PK_MAX = 2**63 - 1
# Longer strings are not numbers or dates worth parsing (a guard against huge inputs).
MAX_LENGTH = 40


def int_param(
    value: str | None,
    *,
    default: int,
    minimum: int = INT_MIN,
    maximum: int = INT_MAX,
    clamp: bool = False,
) -> int:
    """The integer in `value` when it lies in [minimum, maximum]; `default` otherwise.

    With `clamp`, an integer outside the range is brought to the nearest bound instead
    (a page number of 0 means the first page). Garbage, empty, unicode digits and
    absurdly long strings give `default`.
    """
    number = parse_int(value)
    if number is None:
        return default
    if minimum <= number <= maximum:
        return number
    if clamp:
        return min(max(number, minimum), maximum)
    return default


def parse_int(value: str | int | None) -> int | None:
    """The integer written in `value` (ASCII digits, optional sign); None for anything else.

    Unicode digits ("²", "٣") are refused: `str.isdigit` accepts some that `int` does not,
    and none of them is typed on purpose in an address.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_LENGTH or not text.isascii():
        return None
    try:
        return int(text)
    except ValueError:
        return None


def page_param(value: str | None, *, maximum: int = PAGE_MAX) -> int:
    """A 1-based page number: 1 when absent or invalid, bounded to [1, maximum]."""
    return int_param(value, default=1, minimum=1, maximum=maximum, clamp=True)


def parse_date(value: str | None) -> dt.date | None:
    """The YYYY-MM-DD date in `value` when it lies in [DATE_MIN, DATE_MAX]; None otherwise."""
    text = (value or "").strip()
    if not text or len(text) > MAX_LENGTH or not text.isascii():
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


def date_param(
    value: str | None,
    *,
    default: dt.date,
    on_invalid: Callable[[], None] | None = None,
) -> dt.date:
    """The YYYY-MM-DD date in `value`, within [DATE_MIN, DATE_MAX]; `default` otherwise.

    `on_invalid` is called when a value was given but refused (so that the view can say
    in French that the default is shown); an absent or empty value is not an error.
    """
    day = parse_date(value)
    if day is not None:
        return day
    if (value or "").strip() and on_invalid is not None:
        on_invalid()
    return default


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST data of a POST, None for any other method.

    Not `posted(request)`: an empty POST (every field left out, as a hand-made
    request sends it) is falsy, so the form would be unbound on a POST, and a view that
    then adds an error to it (`add_error` needs `cleaned_data`) answered HTTP 500.
    """
    return request.POST if request.method == "POST" else None
