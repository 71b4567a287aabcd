"""Files handed to the user: a download response, and CSV as French spreadsheets read it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from .exports import ExportPermit


def attachment(
    content: bytes | str, content_type: str, filename: str, *, permit: ExportPermit
) -> HttpResponse:
    """A response the browser saves as `filename` instead of showing it.

    A file leaves the application: `permit` is the proof that the export permission was
    checked (core.exports.authorize_export); there is no download without one.
    """
    if not isinstance(permit, ExportPermit) or not permit.decision:
        raise TypeError("attachment() needs the ExportPermit of core.exports.authorize_export")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# A text cell starting with one of these is read by spreadsheets as a formula (or, for tab
# and line breaks, shifts what follows into one): OWASP's "CSV injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value: Any) -> Any:
    """A value as a spreadsheet should read it: empty for None, a decimal comma for
    decimals (French spreadsheets), numbers as numbers (a negative number is not text).

    Any other value is text, and text under the users' control (a facility renamed
    `=HYPERLINK("http://evil.example/";"IME")`) must not run as a formula when the file is
    opened: a text starting with a formula character gets a leading single quote, which
    spreadsheets show as text (OWASP's advice for CSV injection).
    """
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, int | float):  # bool included: written True/False, never a formula
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text for a spreadsheet: a byte-order mark (accents read right), `;` as separator,
    CRLF line ends, every cell (headers included) through `spreadsheet_cell`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(cell) for cell in header])
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def streamed_attachment(
    handle: Any, content_type: str, filename: str, *, size: int | None, permit: ExportPermit
):
    """`attachment` for a large file streamed from an open `handle` (closed with the
    response), with the same proof of the export permission; never cached, never sniffed."""
    from django.http import FileResponse

    if not isinstance(permit, ExportPermit) or not permit.decision:
        raise TypeError(
            "streamed_attachment() needs the ExportPermit of core.exports.authorize_export"
        )
    response = FileResponse(handle, content_type=content_type)
    if size is not None:
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
