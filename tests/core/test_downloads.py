"""Download responses and spreadsheet CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.access import Decision
from opendui.core.downloads import attachment, spreadsheet_cell, spreadsheet_csv
from opendui.core.exports import ExportPermit


def test_attachment_names_the_file():
    permit = ExportPermit(Decision(True))
    response = attachment(b"x", "text/csv; charset=utf-8", "preuve-2026-10.csv", permit=permit)
    assert response["Content-Disposition"] == 'attachment; filename="preuve-2026-10.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content == b"x"


def test_spreadsheet_csv_has_a_bom_semicolons_crlf_and_decimal_commas():
    text = spreadsheet_csv(
        ["Taux", "Nombre", "Note"], [[Decimal("92.5"), 3, None], ["a;b", 0, "é"]]
    )
    assert text == '\ufeffTaux;Nombre;Note\r\n92,5;3;\r\n"a;b";0;é\r\n'


# --- CSV formula injection (OWASP) -------------------------------------------------------------

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r", "\n")
plain_text = st.text(max_size=30).filter(lambda t: not t.startswith(FORMULA_CHARS))
cell = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    plain_text,
)


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


@given(st.lists(st.lists(cell, min_size=1, max_size=5), max_size=5))
def test_no_text_cell_starts_with_a_formula_character(rows):
    width = max((len(r) for r in rows), default=1)
    rows = [[*r, *[None] * (width - len(r))] for r in rows]
    for written, row in zip(_cells(spreadsheet_csv(["=A"] * width, rows))[1:], rows, strict=True):
        for text, value in zip(written, row, strict=True):
            if isinstance(value, str):
                assert not text.startswith(FORMULA_CHARS), (value, text)


@given(st.lists(st.one_of(plain_text, st.integers()), min_size=1, max_size=5))
def test_plain_values_and_numbers_are_written_unchanged(row):
    written = _cells(spreadsheet_csv(["A"] * len(row), [row]))[1]
    assert written == [str(value) for value in row]


def test_formulas_get_a_quote_and_negative_numbers_stay_numbers():
    assert spreadsheet_cell('=HYPERLINK("http://evil.example/","IME")').startswith("'=")
    for text in ("+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_cell(text) == "'" + text
    assert spreadsheet_cell(-3) == -3
    assert spreadsheet_cell(Decimal("-2.5")) == "-2,5"
    assert spreadsheet_cell("Les Glycines") == "Les Glycines"
