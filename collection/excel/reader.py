"""Read an uploaded .xlsx, .xls or CSV file against a table's schema.

``safety.check_upload`` refuses hostile or unreadable files first; then python-calamine reads
the workbook (the csv module a CSV file), the header row is found even below title rows,
columns are mapped by their header text in whatever order they come, and every cell is
normalised to text (``normalize``). Problems with the sheet as a whole (missing or unknown
columns, another table's or another year's template) become findings, and so do the cells
that calamine reads as empty though Excel shows something (an error value, a formula never
calculated, a merged range: ``cellnotes``), hidden rows and control characters (removed from
the values: ``controls``); the values themselves are checked later by ``collection.validation``.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import compress
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from collection.excel import messages as msg
from collection.excel.cellnotes import ERROR_TEXTS, SheetNotes
from collection.excel.controls import clean_columns
from collection.excel.normalize import (
    clean_light,
    drop_controls,
    normalize_column,
    normalize_header,
)
from collection.excel.percent import resolve_percent_columns
from collection.excel.safety import CheckedUpload, FileKind, Limits, check_upload
from collection.excel.sheetscan import column_letter
from collection.schema import (
    FieldType,
    Finding,
    ParsedSheet,
    RejectedFile,
    Severity,
    TableSchema,
    catalog_schemas,
)

HEADER_SCAN_ROWS = 20
META_SHEET = "_caiji"  # written by collection.excel.template
HELPER_SHEETS = {META_SHEET, "_代码表"}
_TRAILING_HINT = re.compile(r"\([^()]*\)$")
_CSV_DELIMITERS = (",", "\t", ";")

Grid = Sequence[Sequence[Any]]  # rows of cell values; grid[i] is Excel row i + 1
Merge = tuple[
    tuple[int, int], tuple[int, int]
]  # calamine's ((row, column), (row, column)), 0-based
HIDDEN_ROWS_SHOWN = 10


@dataclass(frozen=True)
class _Layout:
    """What a workbook says about its cells besides their values."""

    notes: SheetNotes | None = None
    merges: Sequence[Merge] = ()
    date1904: bool = False


def read_upload(
    content: bytes,
    filename: str,
    schema: TableSchema,
    *,
    limits: Limits | None = None,
    expect_year: int | None = None,
) -> ParsedSheet:
    """Check, read and normalise an upload; raise RejectedFile when it cannot be read at all."""
    limits = limits or Limits.from_settings()
    checked = check_upload(content, filename, limits)
    with _no_gc():
        if checked.kind is FileKind.CSV:
            return _read_csv(checked, filename, schema, limits)
        book = _open(content)
        try:
            meta = _template_meta(book)
            sheet_name, grid, header, merges = _pick_sheet(book, schema)
        finally:
            book.close()
        findings = _meta_findings(meta, schema, expect_year)
        layout = _Layout(checked.notes.get(sheet_name), merges, checked.date1904)
        return _parse(schema, sheet_name, grid, header, findings, limits, layout)


def read_headers(content: bytes, filename: str) -> list[str]:
    """The header row of an official blank platform template: the first non-empty row of the
    first sheet, each header as typed (trimmed, without zero-width characters)."""
    checked = check_upload(content, filename, Limits.from_settings())
    if checked.kind is FileKind.CSV:
        grid: Grid = _csv_rows(checked.text or "", ",")[:HEADER_SCAN_ROWS]
    else:
        book = _open(content)
        try:
            names = _worksheets(book)
            if not names:
                raise RejectedFile(_(msg.NO_SHEET))
            grid = _sheet_rows(book, names[0], HEADER_SCAN_ROWS)[0]
        finally:
            book.close()
    for row in grid:
        headers = [_header_text(cell) for cell in row]
        if any(headers):
            return [h for h in headers if h]
    return []


def _header_text(cell: object) -> str:
    text = cell if isinstance(cell, str) else normalize_header(cell)
    return re.sub(r"[\r\n\t]+", "", clean_light(drop_controls(text)))


@contextmanager
def _no_gc() -> Iterator[None]:
    """Reading builds a list per row and a string per cell, all kept: the cyclic collector
    would walk them again and again for nothing (0.2 s of 1.05 s for a 50,000-row roster).
    The switch is process-wide, so it is only turned back on if it was on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Workbooks


def _open(content: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except BaseException as exc:  # calamine's errors, and a Rust panic (not an Exception)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RejectedFile(_calamine_message(exc)) from exc


def _calamine_message(exc: BaseException, sheet: str = "") -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    if "password" in text or "encrypt" in text:
        return _(msg.ENCRYPTED)
    if "string index" in text:  # a shared-string index past the end of the table
        return _(msg.SHARED_STRING_INDEX) % {"sheet": drop_controls(sheet)}
    return _(msg.UNREADABLE)


def _sheet_rows(
    book: CalamineWorkbook, name: str, nrows: int | None = None
) -> tuple[Grid, list[Merge]]:
    """The sheet's cells from A1, and its merged ranges."""
    try:
        sheet = book.get_sheet_by_name(name)
        grid: Grid = sheet.to_python(skip_empty_area=False, nrows=nrows)
        return grid, list(sheet.merged_cell_ranges or ())
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RejectedFile(_calamine_message(exc, name)) from exc


def _worksheets(book: CalamineWorkbook, *, visible_only: bool = True) -> list[str]:
    return [
        meta.name
        for meta in book.sheets_metadata
        if meta.typ == SheetTypeEnum.WorkSheet
        and meta.name not in HELPER_SHEETS
        and (meta.visible == SheetVisibleEnum.Visible or not visible_only)
    ]


def _template_meta(book: CalamineWorkbook) -> dict[str, str]:
    """The hidden "_caiji" sheet of caiji's own templates: table, cycle, spec_version."""
    if META_SHEET not in book.sheet_names:
        return {}
    found = {}
    for row in _sheet_rows(book, META_SHEET, 20)[0]:
        if len(row) >= 2 and isinstance(row[0], str):
            found[row[0].strip()] = _header_text(row[1])
    return found if found.get("generator") == "caiji" else {}


def _pick_sheet(
    book: CalamineWorkbook, schema: TableSchema
) -> tuple[str, Grid, _Header, list[Merge]]:
    """The sheet named like the table's sheet, else the visible sheet whose header matches
    the table best (the first of equals)."""
    visible = _worksheets(book)
    every = _worksheets(book, visible_only=False)
    wanted = normalize_header(schema.sheet_name)
    named = [n for n in every if n == schema.sheet_name] or [
        n for n in every if normalize_header(n) == wanted
    ]
    order = named[:1] + [n for n in visible if n not in named[:1]]
    if not order:
        raise RejectedFile(_(msg.NO_SHEET))
    keys = _field_keys(schema)
    best: tuple[str, Grid, _Header, list[Merge]] | None = None
    for name in order:
        grid, merges = _sheet_rows(book, name)
        header = _find_header(grid, keys)
        if best is None or header.score > best[2].score:
            best = (name, grid, header, merges)
        if header.score == len(schema.fields) or (name in named and header.score):
            break
    assert best is not None
    return best


# ---------------------------------------------------------------------------------------------
# CSV


def _read_csv(
    checked: CheckedUpload, filename: str, schema: TableSchema, limits: Limits
) -> ParsedSheet:
    text = checked.text or ""
    keys = _field_keys(schema)
    head = text[:65536]
    delimiter = max(
        _CSV_DELIMITERS,
        key=lambda d: _find_header(_csv_rows(head, d)[:HEADER_SCAN_ROWS], keys).score,
    )
    grid = _csv_rows(text, delimiter)
    width = max((len(row) for row in grid), default=0)
    if width > limits.max_columns:
        raise RejectedFile(
            _(msg.TOO_MANY_COLUMNS)
            % {
                "sheet": filename,
                "column": column_letter(width),
                "count": width,
                "limit": limits.max_columns,
            }
        )
    grid = [row + [""] * (width - len(row)) if len(row) < width else row for row in grid]
    return _parse(schema, filename, grid, _find_header(grid, keys), [], limits)


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RejectedFile(_(msg.CORRUPT)) from exc


# ---------------------------------------------------------------------------------------------
# Header


@dataclass
class _Header:
    index: int = -1  # grid row of the header; -1 when none was found
    score: int = 0  # how many of the table's fields it names
    columns: dict[str, int] = field(default_factory=dict)  # field name -> grid column
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (grid column, text)
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Keys:
    exact: dict[str, str]  # normalised header -> field name
    loose: dict[str, str]  # the same without a trailing "(…)" hint, when unambiguous


def _field_keys(schema: TableSchema) -> _Keys:
    return _keys_for(tuple(f.name for f in schema.fields))


@cache
def _keys_for(names: tuple[str, ...]) -> _Keys:
    exact = {normalize_header(name): name for name in names}
    loose: dict[str, str | None] = {}
    for key, name in exact.items():
        short = _TRAILING_HINT.sub("", key)
        loose[short] = None if short in loose and loose[short] != name else name
    return _Keys(exact, {k: v for k, v in loose.items() if v is not None})


def _match(keys: _Keys, cell: object) -> tuple[str, str | None]:
    key = normalize_header(cell)
    name = keys.exact.get(key)
    if name is None and key:
        short = _TRAILING_HINT.sub("", key)
        name = keys.loose.get(short) or keys.exact.get(short)
    return key, name


def _find_header(grid: Grid, keys: _Keys) -> _Header:
    """The row among the first HEADER_SCAN_ROWS that names most of the table's fields."""
    best = _Header()
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        header = _Header(index=index)
        for column, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            key, name = _match(keys, cell)
            if not key:
                continue
            if name is None:
                header.unknown.append((column, _header_text(cell)))
            elif name in header.columns:
                header.duplicates.append((name, header.columns[name], column))
            else:
                header.columns[name] = column
        header.score = len(header.columns)
        if header.score > best.score:
            best = header
    return best


# ---------------------------------------------------------------------------------------------
# Rows


def _parse(
    schema: TableSchema,
    sheet_name: str,
    grid: Grid,
    header: _Header,
    findings: list[Finding],
    limits: Limits,
    layout: _Layout | None = None,
) -> ParsedSheet:
    layout = layout or _Layout()
    sheet_name = drop_controls(sheet_name)  # an .xls sheet name can hold any character
    findings = findings + _other_table_findings(grid, schema, header, findings)
    if header.index < 0:
        findings.insert(
            0,
            Finding(
                severity=Severity.ERROR,
                message=_(msg.NO_HEADER)
                % {"table": schema.code, "count": HEADER_SCAN_ROWS, "sheet": sheet_name},
                rule="header",
            ),
        )
        return ParsedSheet(schema, [], [], {}, findings, sheet_name, 1)
    findings += _column_findings(schema, header)
    data = grid[header.index + 1 :]
    first_row = header.index + 2  # Excel row number of data[0]
    # One transposition in C (the grid is at most max_cells), then one pass per field.
    by_column = list(zip(*data, strict=True))
    columns = [
        normalize_column(
            by_column[header.columns[f.name]] if data else [], f, date1904=layout.date1904
        )
        if f.name in header.columns
        else [""] * len(data)
        for f in schema.fields
    ]
    findings += clean_columns(
        schema.fields, header.columns, by_column, columns, first_row, date1904=layout.date1904
    )
    findings += resolve_percent_columns(schema.fields, columns)
    tuples = list(zip(*columns, strict=True)) if data else []
    keep = list(map(any, tuples))
    numbers = list(compress(range(first_row, first_row + len(tuples)), keep))
    if len(numbers) > limits.max_rows:
        raise RejectedFile(_(msg.TOO_MANY_DATA_ROWS) % {"limit": f"{limits.max_rows:,}"})
    rows = list(map(list, compress(tuples, keep)))
    letters = {name: column_letter(column + 1) for name, column in header.columns.items()}
    findings += _cell_findings(schema, header, layout, columns, first_row, numbers)
    return ParsedSheet(schema, rows, numbers, letters, findings, sheet_name, header.index + 1)


def _column_findings(schema: TableSchema, header: _Header) -> list[Finding]:
    found = []
    for f in schema.fields:
        if f.name in header.columns:
            continue
        text = msg.MISSING_REQUIRED_COLUMN if f.required else msg.MISSING_OPTIONAL_COLUMN
        found.append(
            Finding(
                severity=Severity.ERROR if f.required else Severity.HINT,
                message=_(text) % {"column": f.name},
                column=f.name,
                rule="missing_column",
            )
        )
    for name, first, second in header.duplicates:
        found.append(
            Finding(
                severity=Severity.ERROR,
                message=_(msg.DUPLICATE_COLUMN)
                % {
                    "column": name,
                    "first": column_letter(first + 1),
                    "second": column_letter(second + 1),
                },
                column=name,
                column_letter=column_letter(second + 1),
                rule="duplicate_column",
            )
        )
    for column, text in header.unknown:
        letter = column_letter(column + 1)
        found.append(
            Finding(
                severity=Severity.HINT,
                message=_(msg.UNKNOWN_COLUMN)
                % {"letter": letter, "column": text, "table": schema.code},
                column=text,
                column_letter=letter,
                rule="unknown_column",
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Cells that are not what they seem


def _cell_findings(
    schema: TableSchema,
    header: _Header,
    layout: _Layout,
    columns: list[list[str]],
    first_row: int,
    numbers: list[int],
) -> list[Finding]:
    """Error values, formulas never calculated and merged ranges in the data area of the
    table's columns (each read as empty, or as an error text), and hidden data rows."""
    fields = {column: name for name, column in header.columns.items()}  # grid column → field
    notes = layout.notes or SheetNotes()
    cells = [(row, column - 1, code) for (row, column), code in notes.errors.items()]
    # An error copied as text (a CSV export, a pasted value): typed fields already refuse it.
    for f, values in zip(schema.fields, columns, strict=True):
        column = header.columns.get(f.name)
        if f.type is FieldType.TEXT and column is not None and not ERROR_TEXTS.isdisjoint(values):
            cells += [(first_row + i, column, v) for i, v in enumerate(values) if v in ERROR_TEXTS]
    found = [
        _cell_finding("excel_error", msg.EXCEL_ERROR, fields[column], row, column, code)
        for row, column, code in sorted(cells)
        if column in fields and row >= first_row
    ]
    found += [
        _cell_finding("formula_not_computed", msg.UNCOMPUTED_FORMULA, fields[c - 1], row, c - 1, "")
        for row, c in sorted(notes.uncomputed)
        if c - 1 in fields and row >= first_row
    ]
    found += _merge_findings(layout.merges, fields, first_row)
    hidden = sorted(notes.hidden_rows.intersection(numbers))
    if hidden:
        shown = ", ".join(map(str, hidden[:HIDDEN_ROWS_SHOWN]))
        more = "…" if len(hidden) > HIDDEN_ROWS_SHOWN else ""
        message = _(msg.HIDDEN_ROWS) % {"count": len(hidden), "rows": shown + more}
        found.append(
            Finding(severity=Severity.HINT, message=message, row=hidden[0], rule="hidden_rows")
        )
    return found


def _cell_finding(rule: str, text: str, name: str, row: int, column: int, value: str) -> Finding:
    letter = column_letter(column + 1)
    return Finding(
        severity=Severity.ERROR,
        message=_(text) % {"cell": f"{letter}{row}", "value": value},
        row=row,
        column=name,
        column_letter=letter,
        value=value,
        rule=rule,
    )


def _merge_findings(
    merges: Sequence[Merge], fields: dict[int, str], first_row: int
) -> list[Finding]:
    """A merged range in the data area leaves all but its first cell empty: one finding each."""
    found = []
    columns = sorted(fields)
    for (top, left), (bottom, right) in merges:
        at = bisect_left(columns, left)  # the first of the table's columns in the range
        if at == len(columns) or columns[at] > right:
            continue
        if top + 1 < first_row or (top, left) == (bottom, right):
            continue
        name = fields[columns[at]]
        first = f"{column_letter(left + 1)}{top + 1}"
        span = f"{first}:{column_letter(right + 1)}{bottom + 1}"
        found.append(
            Finding(
                severity=Severity.ERROR,
                message=_(msg.MERGED_CELLS) % {"range": span, "first": first},
                row=top + 1,
                column=name,
                column_letter=column_letter(left + 1),
                value=span,
                rule="merged_cells",
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Which template is this?


def _meta_findings(
    meta: dict[str, str], schema: TableSchema, expect_year: int | None
) -> list[Finding]:
    found: list[Finding] = []
    table = meta.get("table")
    if table and table != schema.code:
        other = catalog_schemas().get(table)
        found.append(
            Finding(
                severity=Severity.ERROR,
                message=_(msg.OTHER_TABLE_TEMPLATE)
                % {
                    "other": table,
                    "other_name": other.name if other else table,
                    "table": schema.code,
                    "name": schema.name,
                },
                rule="template_table",
            )
        )
        return found
    year = _int(meta.get("cycle"))
    if year and expect_year and year != expect_year:
        found.append(
            Finding(
                severity=Severity.EXPLAIN,
                message=_(msg.OTHER_YEAR_TEMPLATE) % {"year": year, "expected": expect_year},
                value=str(year),
                rule="template_cycle",
            )
        )
    version = _int(meta.get("spec_version"))
    if table and version and version < schema.spec_version and not found:
        found.append(
            Finding(
                severity=Severity.HINT,
                message=_(msg.OLD_SPEC_VERSION)
                % {"table": schema.code, "version": version, "current": schema.spec_version},
                value=str(version),
                rule="template_version",
            )
        )
    return found


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


@cache
def _catalog_keys() -> list[tuple[TableSchema, _Keys]]:
    return [(s, _field_keys(s)) for s in catalog_schemas().values()]


def _other_table_findings(
    grid: Grid, schema: TableSchema, header: _Header, findings: list[Finding]
) -> list[Finding]:
    """A hint when the first rows name another catalog table's fields better than this one's
    (not when the template itself already said which table it is)."""
    if any(f.rule == "template_table" for f in findings):
        return []
    mine = header.score
    if mine == len(schema.fields):
        return []
    best: tuple[int, TableSchema] | None = None
    row_keys = [
        {normalize_header(c) for c in row if c is not None and c != ""}
        for row in grid[:HEADER_SCAN_ROWS]
    ]
    for other, keys in _catalog_keys():
        if other.code == schema.code:
            continue
        score = max((_score(k, keys) for k in row_keys), default=0)
        needed = max(2, -(-len(other.fields) * 3 // 5))
        if score > mine and score >= needed and (best is None or score > best[0]):
            best = (score, other)
    if best is None:
        return []
    other = best[1]
    return [
        Finding(
            severity=Severity.HINT,
            message=_(msg.LOOKS_LIKE_OTHER_TABLE)
            % {
                "other": other.code,
                "other_name": other.name,
                "table": schema.code,
                "name": schema.name,
            },
            rule="other_table",
        )
    ]


def _score(row_keys: set[str], keys: _Keys) -> int:
    return len(
        {keys.exact.get(k) or keys.loose.get(_TRAILING_HINT.sub("", k)) for k in row_keys} - {None}
    )
