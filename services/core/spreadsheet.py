"""Cells of a CSV that people open in a spreadsheet. Unit names and other texts come from posted events, so a
text beginning like a formula (``=HYPERLINK(...)``) would run when the file is opened; such a text is written
with a leading apostrophe, which spreadsheets show as text (OWASP, "CSV Injection")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """The value as a spreadsheet-safe cell: texts a spreadsheet would evaluate are quoted, the rest unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def cells(rows: Iterable[Sequence[object]]) -> list[list[object]]:
    return [[cell(v) for v in row] for row in rows]
