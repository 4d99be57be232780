"""The dashboard as files: CSV lines and an Excel workbook, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# openpyxl is imported where a workbook is written: it costs each web worker some 24 MB that pages
# other than the export never use.

# A spreadsheet runs a cell starting with one of these as a formula: a name like "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: list[str], lines: Iterable[list]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the names and the "−" right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_text(value) for value in line] for line in lines])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """One worksheet per (title, header, rows); every string is stored as text, never as a formula."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        name = _sheet_name(title, used)
        sheet = workbook.create_sheet(name)
        sheet.append([_cell(sheet, value, bold=True) for value in header])
        for row in rows:
            # Plain values are written as they are; only a string openpyxl would take for a formula is wrapped.
            sheet.append([_cell(sheet, value) if _read_as_code(value) else value for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read_as_code(value) -> bool:
    """Whether openpyxl would store this string as a formula or an error code rather than as text."""
    from openpyxl.cell.cell import ERROR_CODES

    return isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)


def _cell(sheet, value, bold: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = "".join("-" if char in "[]:*?/\\" else char for char in title).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name
