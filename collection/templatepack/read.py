"""One blank platform template: its sheet, header row, columns and the code lists it carries.

Plain Python. Every file first goes through the upload checks (``collection.excel.safety``:
size, zip bombs, macros, encryption, not really a workbook), with limits for a template; then
python-calamine reads the sheet names (exactly, leading spaces kept), which are hidden, and the
first rows of the template's sheet.

- **The template's sheet**: the first visible worksheet that has a header row, preferring one
  whose name carries the table code or name of the file; list and instruction sheets are
  passed over when another sheet is there.
- **The header row**: within the first ``HEADER_SCAN_ROWS`` rows, the first row with the most
  filled cells, so a title row above it (one merged cell) is passed over.
- **Code lists**: an .xlsx template's list validations (``lists``), written out or pointing at
  cells (usually a hidden list sheet); and hidden sheets whose columns are headed by a column
  of the template. An .xls file's data validations cannot be read (python-calamine and xlrd do
  not expose them); its hidden list sheets are read like an .xlsx file's.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from collection.excel import messages as excel_msg
from collection.excel.normalize import clean_light, drop_controls, normalize_header
from collection.excel.safety import FileKind, Limits, check_upload
from collection.excel.sheetscan import MB
from collection.schema import RejectedFile
from collection.specdiff import header_key
from collection.templatepack import lists
from collection.templatepack import messages as msg

Grid = list[list[Any]]
HEADER_SCAN_ROWS = 10
TEMPLATE_LIMITS = Limits(
    max_bytes=10 * MB,
    max_rows=50_000,  # a hidden list sheet of 学科 or 专业 codes has a few thousand rows
    max_columns=300,
    max_uncompressed=200 * MB,
    # max_cells as for uploads: the sheet scan bounds a plain sheet by 99,999 × 26 cells
)
CAIJI_SHEETS = {"_caiji", "_代码表"}  # caiji's own templates: not the platform's
_HELPER_WORDS = ("代码", "字典", "说明", "填表", "下拉", "列表", "数据源")
_SPACES = re.compile(r"[\r\n\t]+")


@dataclass
class Template:
    """What was read of one template (see the module docstring)."""

    filename: str
    kind: str  # "xls" or "xlsx"
    size: int
    sha256: str
    sheet_name: str
    header_row: int  # 1-based
    headers: list[str]
    columns: list[int]  # the 1-based column of each header
    codes: dict[str, list[str]] = field(default_factory=dict)  # header → values
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "sheet_name": self.sheet_name,
            "header_row": self.header_row,
            "headers": self.headers,
            "codes": self.codes,
            "notes": self.notes,
        }


def cell_text(value: object) -> str:
    """A header or list cell as typed: trimmed, without control or line-break characters."""
    text = value if isinstance(value, str) else normalize_header(value)
    return _SPACES.sub("", clean_light(drop_controls(text)))


def read_template(filename: str, content: bytes) -> Template:
    """Read one template; RejectedFile says why a file is not one."""
    checked = check_upload(content, filename, TEMPLATE_LIMITS)
    if checked.kind is FileKind.CSV:
        raise RejectedFile(_(msg.CSV_NOT_TEMPLATE))
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except BaseException as exc:  # calamine's errors, and a Rust panic (not an Exception)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RejectedFile(_(excel_msg.UNREADABLE)) from exc
    try:
        return _read(book, filename, content, checked.kind)
    except RejectedFile:
        raise
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise RejectedFile(_(excel_msg.UNREADABLE)) from exc
    finally:
        book.close()


def _read(book: CalamineWorkbook, filename: str, content: bytes, kind: FileKind) -> Template:
    sheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    visible = [m.name for m in sheets if m.visible == SheetVisibleEnum.Visible]
    hidden = [m.name for m in sheets if m.visible != SheetVisibleEnum.Visible]
    candidates = [n for n in visible if n not in CAIJI_SHEETS]
    if not candidates:
        raise RejectedFile(_(excel_msg.NO_SHEET))
    name, grid = _template_sheet(book, candidates, filename)
    row, headers, columns = _header_row(grid)
    if not headers:
        raise RejectedFile(
            _(msg.NO_HEADER_ROW) % {"rows": HEADER_SCAN_ROWS, "sheet": drop_controls(name)}
        )
    seen: set[str] = set()
    for header in headers:
        if header_key(header) in seen:
            raise RejectedFile(
                _(msg.REPEATED_HEADER) % {"sheet": drop_controls(name), "header": header}
            )
        seen.add(header_key(header))
    template = Template(
        filename=filename,
        kind=kind.value,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        sheet_name=drop_controls(name),
        header_row=row,
        headers=headers,
        columns=columns,
    )
    grids: dict[str, Grid] = {}

    def sheet_grid(sheet: str) -> Grid:
        if sheet not in grids:
            grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return grids[sheet]

    referenced: set[str] = set()
    if kind is FileKind.XLSX:
        referenced = _validation_lists(
            template, content, name, sheet_grid, {m.name for m in sheets}
        )
    unreferenced = [h for h in hidden if h not in CAIJI_SHEETS and h not in referenced]
    _hidden_sheet_lists(template, unreferenced, sheet_grid)
    return template


def _template_sheet(
    book: CalamineWorkbook, candidates: list[str], filename: str
) -> tuple[str, Grid]:
    """The sheet holding the template (see the module docstring) and its first rows."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem_key = header_key(stem)

    def preference(name: str) -> int:
        key = header_key(name)
        if key and key in stem_key:
            return 0  # the file is named after this sheet
        if any(word in name for word in _HELPER_WORDS):
            return 2
        return 1

    first: tuple[str, Grid] | None = None
    for name in sorted(candidates, key=lambda n: (preference(n), candidates.index(n))):
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
        first = first or (name, grid)
        if _header_row(grid)[1]:
            return name, grid
    assert first is not None
    return first


def _header_row(grid: Grid) -> tuple[int, list[str], list[int]]:
    """(row, headers, their columns): the first row with the most filled cells."""
    best: tuple[int, list[str], list[int]] = (0, [], [])
    for number, row in enumerate(grid[:HEADER_SCAN_ROWS], start=1):
        texts = [cell_text(cell) for cell in row]
        filled = [(text, column) for column, text in enumerate(texts, start=1) if text]
        if len(filled) > len(best[1]):
            best = (number, [t for t, _c in filled], [c for _t, c in filled])
    return best


def _validation_lists(
    template: Template, content: bytes, sheet: str, sheet_grid: Any, names: set[str]
) -> set[str]:
    """The template's list validations give their columns' lists; returns the sheets read."""
    rules = lists.list_rules(content).get(sheet, [])
    referenced: set[str] = set()
    if not rules:
        return referenced
    defined = lists.defined_names(content)
    by_column = dict(zip(template.columns, template.headers, strict=True))
    for rule in rules:
        headers = [
            by_column[c]
            for c in sorted(lists.sqref_columns(rule.sqref, template.header_row))
            if c in by_column
        ]
        if not headers:
            continue
        values = lists.inline_values(rule.formula)
        if values is None:
            area = lists.resolve(rule.formula, sheet, defined)
            if area is not None and area.sheet in names:
                referenced.add(area.sheet)
                values = lists.area_values(sheet_grid(area.sheet), area, cell_text)
        if not values:
            template.notes.extend(
                _(msg.LIST_UNREADABLE) % {"header": h, "formula": rule.formula[:100]}
                for h in headers
            )
            continue
        for header in headers:
            template.codes.setdefault(header, values)
    return referenced


def _hidden_sheet_lists(template: Template, hidden: list[str], sheet_grid: Any) -> None:
    """Columns of hidden sheets headed by a column of the template (or a hidden sheet named
    after one, holding one list) give that column's list when no validation gave one."""
    keys = {header_key(h): h for h in template.headers}
    for sheet in hidden:
        grid = sheet_grid(sheet)
        used = False
        if header_key(sheet) in keys and grid and all(len(r) <= 1 or not any(r[1:]) for r in grid):
            header = keys[header_key(sheet)]
            values = lists.area_values(grid, lists.Area(sheet, 1, 1, 1, None), cell_text)
            used = bool(values)
            if values:
                template.codes.setdefault(header, values)
        elif grid:
            for column, cell in enumerate(grid[0], start=1):
                named = keys.get(header_key(cell_text(cell)))
                if named is None:
                    continue
                values = lists.area_values(
                    grid, lists.Area(sheet, column, column, 2, None), cell_text
                )
                if values:
                    used = True
                    template.codes.setdefault(named, values)
        if not used:
            template.notes.append(_(msg.LIST_SHEET_UNUSED) % {"sheet": drop_controls(sheet)})
