"""Download responses and spreadsheet CSV."""

from __future__ import annotations

from decimal import Decimal

from opendui.accounts.access import Decision
from opendui.core.downloads import attachment, spreadsheet_csv
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
