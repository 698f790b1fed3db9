"""Downloads of what a list shows: CSV (UTF-8 with a byte-order mark, so office spreadsheets read the Chinese
correctly) and XLSX (written with XlsxWriter: a maintained writer of the format, rather than hand-made XML)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import xlsxwriter

from esledger.core.spreadsheet import cells

BOM = "\ufeff"


def csv_lines(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV lines (CRLF, as RFC 4180 and spreadsheets expect), for a download written page by page."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(cells(rows))
    return out.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    return BOM + csv_lines([header]) + csv_lines(rows)


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One worksheet: a bold header row, frozen; numbers stay numbers, and no text is taken for a formula."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    page = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    page.write_row(0, 0, list(header), bold)
    page.freeze_panes(1, 0)
    for index, row in enumerate(rows, start=1):
        page.write_row(index, 0, list(row))
    book.close()
    return out.getvalue()


def parse_csv(text: str) -> tuple[list[str], list[list[str | int]]]:
    """The API's CSV back into a header and rows (counts as integers), to be written as XLSX."""
    reader = csv.reader(io.StringIO(text.removeprefix(BOM)))
    header = next(reader, [])
    rows: list[list[str | int]] = [[int(v) if v.isdigit() else v for v in row] for row in reader]
    return header, rows
