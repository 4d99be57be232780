"""Templates as files people fill in: Word (.docx, by pandoc) for every template, Excel (.xlsx, by openpyxl) for registers.

Both are produced at sync, from the rendered and sanitized document, and stored with the
generation; a download serves the stored bytes. The only module that imports pypandoc, openpyxl
and python-docx.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# pandoc, python-docx and openpyxl are imported where files are made (at sync), not when the web
# app loads: each web worker would otherwise carry some 50 MB of modules it never runs.

NAVY = "1F3A5F"
FORMULA_ROWS = 200  # rows below the examples that already carry the derived columns' formulas
SHEET_NAME = re.compile(r"^[^\[\]:*?/\\]{1,31}$")
FORMULA = re.compile(r"^[\w\s.+\-*/()%]+$")
PLACEHOLDER = re.compile(r"^<[^<>]*>$")  # a fill-in cell such as <1-5>: the template's empty row


# --- the register specification in front matter ----------------------------------------------


@dataclass(frozen=True)
class ColumnRule:
    kind: str  # whole | decimal | list | date | formula
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    formula: str = ""


@dataclass(frozen=True)
class Register:
    sheet: str
    table: int
    columns: dict[str, ColumnRule] = field(default_factory=dict)


def parse_register(value) -> tuple[list[Register] | None, list[str]]:
    """Read a template's ``register:`` front matter (one sheet, or a list of sheets); return them or the problems."""
    items = value if isinstance(value, list) else [value]
    sheets, problems = [], []
    for item in items:
        sheet, found = _parse_sheet(item)
        problems += found
        if sheet is not None:
            sheets.append(sheet)
    names = [sheet.sheet.lower() for sheet in sheets]
    if len(set(names)) != len(names):
        problems.append("two sheets of `register` have the same name.")
    return (None, problems) if problems or not sheets else (sheets, [])


def _parse_sheet(value) -> tuple[Register | None, list[str]]:
    problems: list[str] = []
    if not isinstance(value, dict):
        return None, ["`register` must have `sheet`, `table` and `columns` (see content/README.md)."]
    sheet, table, columns = value.get("sheet"), value.get("table", 1), value.get("columns", {})
    unknown = set(value) - {"sheet", "table", "columns"}
    if unknown:
        problems.append(f"`register` has unknown fields: {', '.join(sorted(map(str, unknown)))}.")
    if not isinstance(sheet, str) or not SHEET_NAME.match(sheet):
        problems.append("`register.sheet` must be a worksheet name of 1 to 31 characters without [ ] : * ? / \\.")
    if not isinstance(table, int) or isinstance(table, bool) or table < 1:
        problems.append("`register.table` must be the number of the table that holds the register (1 = the first).")
    if not isinstance(columns, dict):
        problems.append("`register.columns` must map column headers to their rules.")
        columns = {}
    rules: dict[str, ColumnRule] = {}
    for header, rule in columns.items():
        parsed = _column_rule(str(header), rule)
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            rules[str(header)] = parsed
    if problems:
        return None, problems
    return Register(sheet, table, rules), []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_rule(header: str, rule) -> ColumnRule | str:
    where = f"`register.columns` “{header}”"
    if not isinstance(rule, dict) or len(rule) != 1:
        return f"{where} needs one rule: whole, decimal, list, date or formula."
    (kind, arg), = rule.items()
    if kind in ("whole", "decimal"):
        if (not isinstance(arg, list) or len(arg) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in arg) or arg[0] > arg[1]):
            return f"{where}: `{kind}` takes [minimum, maximum]."
        return ColumnRule(kind, float(arg[0]), float(arg[1]))
    if kind == "list":
        if not isinstance(arg, list) or not arg or not all(isinstance(v, str) and v and "," not in v for v in arg):
            return f"{where}: `list` takes the allowed values (text without commas)."
        if len(",".join(arg)) > 250:
            return f"{where}: the allowed values may take at most 250 characters together (Excel's limit)."
        return ColumnRule(kind, choices=tuple(arg))
    if kind == "date":
        return ColumnRule(kind)
    if kind == "formula":
        if not isinstance(arg, str) or not FORMULA.match(arg):
            return f"{where}: `formula` takes an expression of column headers, numbers and + - * / ( )."
        return ColumnRule(kind, formula=arg)
    return f"{where}: unknown rule `{kind}`; use whole, decimal, list, date or formula."


def _formula_names(formula: str) -> list[str]:
    return [part.strip() for part in re.split(r"[+\-*/()]", formula) if part.strip()]


# --- reading the register table from the rendered document ---------------------------------------


class _Tables(HTMLParser):
    """Collect the text of every table's cells: [table][row][cell]."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif tag == "tr" and self._depth == 1:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._depth -= 1
        elif tag in ("td", "th") and self._cell is not None and self._depth == 1:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _parse_value(rule: ColumnRule | None, text: str):
    """The typed value of an example cell, or raise ValueError naming what is wrong."""
    if rule is None or rule.kind == "list":
        if rule is not None and text not in rule.choices:
            raise ValueError(f"“{text}” is not one of {', '.join(rule.choices)}")
        return text
    if rule.kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a date written YYYY-MM-DD") from None
    if rule.kind in ("whole", "decimal", "formula"):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueError(f"“{text}” is not a number") from None
        if rule.kind == "whole" and number != int(number):
            raise ValueError(f"“{text}” is not a whole number")
        if rule.minimum is not None and not rule.minimum <= number <= rule.maximum:
            raise ValueError(f"{text} is outside {rule.minimum:g} to {rule.maximum:g}")
        return int(number) if number == int(number) else number
    return text


def check_register(sheets: list[Register], html: str) -> list[str]:
    """Check each sheet against its table: headers exist, formulas name columns, examples obey the rules."""
    return [problem for register in sheets for problem in _check_sheet(register, html)]


def _check_sheet(register: Register, html: str) -> list[str]:
    tables = tables_of(html)
    if register.table > len(tables):
        return [f"`register.table` is {register.table}, but the document has {len(tables)} table(s)."]
    rows = tables[register.table - 1]
    headers = rows[0] if rows else []
    problems = [f"`register.columns` names “{name}”, which is not a header of table {register.table} "
                f"(its headers: {', '.join(headers)})." for name in register.columns if name not in headers]
    for name, rule in register.columns.items():
        if rule.kind == "formula":
            for part in _formula_names(rule.formula):
                if part not in headers and not _is_number(part):
                    problems.append(f"the formula of “{name}” names “{part}”, which is not a header of the table.")
    if problems:
        return problems
    if len(rows) < 2:
        return [f"table {register.table} has no example rows; give two or three."]
    for number, row in enumerate(rows[1:], start=1):
        for header, text in zip(headers, row):
            rule = register.columns.get(header)
            if rule is None or not text or PLACEHOLDER.match(text):
                continue
            try:
                _parse_value(rule, text)
            except ValueError as exc:
                problems.append(f"sheet “{register.sheet}”, example row {number}, column “{header}”: {exc}.")
    return problems


# --- Excel -----------------------------------------------------------------------------------


def register_xlsx(sheets: list[Register], html: str, title: str, summary: str, version: str) -> bytes:
    """An .xlsx of the register: per sheet a styled header, frozen panes, widths, examples, validations, formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    tables = tables_of(html)
    for register in sheets:
        _fill_sheet(book.create_sheet(register.sheet), register, tables[register.table - 1])
    about = book.create_sheet("About")
    for r, (label, value) in enumerate((("Template", title), ("Purpose", summary), ("Version", version),
                                         ("How to use", "Replace the example rows with your own. Columns with "
                                          "drop-downs or number ranges only accept valid values; derived "
                                          "columns compute themselves.")), start=1):
        about.cell(row=r, column=1, value=label).font = Font(bold=True)
        about.cell(row=r, column=2, value=value).alignment = Alignment(wrap_text=True)
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 14, 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_sheet(sheet, register: Register, rows: list[list[str]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    # The example rows; a fill-in row of <placeholders> becomes the empty rows below them.
    headers = rows[0]
    examples = [row for row in rows[1:] if not any(PLACEHOLDER.match(cell) for cell in row)]
    letters = {header: get_column_letter(n) for n, header in enumerate(headers, start=1)}
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=NAVY)
    for n, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=n, value=header)
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    last_row = 1 + len(examples) + FORMULA_ROWS
    for r, row in enumerate(examples, start=2):
        for n, (header, text) in enumerate(zip(headers, row), start=1):
            rule = register.columns.get(header)
            if rule is not None and rule.kind == "formula":
                continue
            value = _parse_value(rule, text) if text and rule is not None else text
            cell = sheet.cell(row=r, column=n, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for header, rule in register.columns.items():
        column = letters[header]
        cells = f"{column}2:{column}{last_row}"
        if rule.kind == "formula":
            for r in range(2, last_row + 1):
                sheet[f"{column}{r}"] = "=" + _excel_formula(rule.formula, letters, r)
            continue
        validation = _validation(header, rule)
        sheet.add_data_validation(validation)
        validation.add(cells)
        if rule.kind == "date":
            for r in range(2 + len(examples), last_row + 1):
                sheet[f"{column}{r}"].number_format = "yyyy-mm-dd"
    for n, header in enumerate(headers, start=1):
        longest = max([len(header)] + [len(row[n - 1]) for row in examples if len(row) >= n])
        sheet.column_dimensions[get_column_letter(n)].width = min(max(10, longest + 2), 48)
    sheet.freeze_panes = "B2" if len(headers) > 3 else "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{1 + len(examples)}"


def _excel_formula(formula: str, letters: dict[str, str], row: int) -> str:
    """Turn "Probability * Impact" into "C5*D5", longest header names first."""
    result = formula
    for header in sorted(letters, key=len, reverse=True):
        result = re.sub(rf"(?<![\w]){re.escape(header)}(?![\w])", f"{letters[header]}{row}", result)
    return result.replace(" ", "")


def _validation(header: str, rule: ColumnRule) -> DataValidation:
    from openpyxl.worksheet.datavalidation import DataValidation

    if rule.kind == "list":
        validation = DataValidation(type="list", formula1='"' + ",".join(rule.choices) + '"', allow_blank=True)
        message = f"Choose one of: {', '.join(rule.choices)}."
    elif rule.kind == "date":
        validation = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True)
        message = "Enter a date (YYYY-MM-DD)."
    else:
        low, high = (int(rule.minimum), int(rule.maximum)) if rule.kind == "whole" else (rule.minimum, rule.maximum)
        validation = DataValidation(type=rule.kind, operator="between", formula1=str(low), formula2=str(high),
                                    allow_blank=True)
        what = "a whole number" if rule.kind == "whole" else "a number"
        message = f"Enter {what} from {low:g} to {high:g}."
    validation.error, validation.errorTitle = message, f"{header}: not allowed"
    validation.prompt, validation.promptTitle = message, header[:32]
    validation.showErrorMessage = validation.showInputMessage = True
    return validation


# --- Word ------------------------------------------------------------------------------------

_RELATIVE_LINK = re.compile(r'<a href="(?!https?:|mailto:)[^"]*"[^>]*>(.*?)</a>', re.DOTALL)


def template_docx(html: str, title: str, summary: str, version: str, owner: str) -> bytes:
    """A .docx of the template in the CoE's styles; links to other documents become their text."""
    import pypandoc

    body = _RELATIVE_LINK.sub(r"\1", html)
    source = (f"<h1>{_escape(title)}</h1><p><em>{_escape(summary)}</em></p>"
              f"<p>Version {_escape(version)} · Owner: {_escape(owner)}</p>{body}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "template.docx"
        pypandoc.convert_text(source, "docx", format="html", outputfile=str(out),
                              extra_args=[f"--reference-doc={reference_docx()}"])
        return out.read_bytes()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.lru_cache(maxsize=1)
def reference_docx() -> str:
    """Pandoc's default reference document with the CoE's fonts and colours, made once per process."""
    import docx
    from docx.shared import Pt, RGBColor

    folder = Path(tempfile.mkdtemp(prefix="coe-reference-"))
    path = folder / "reference.docx"
    path.write_bytes(_default_reference())
    document = docx.Document(str(path))
    styles = document.styles
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        if name in [s.name for s in styles]:
            styles[name].font.name, styles[name].font.size = "Calibri", Pt(10.5)
    for level, size in ((1, 20), (2, 15), (3, 12.5)):
        style = styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.bold = "Calibri", Pt(size), True
        style.font.color.rgb = RGBColor.from_string(NAVY)
    document.save(str(path))
    return str(path)


def _default_reference() -> bytes:
    import pypandoc

    import subprocess

    return subprocess.run([pypandoc.get_pandoc_path(), "--print-default-data-file=reference.docx"],
                          check=True, capture_output=True, timeout=60).stdout
