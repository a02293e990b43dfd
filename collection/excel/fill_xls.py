"""Fill an .xls template (BIFF8) with xlrd, xlutils.copy and xlwt (see
``collection.excel.templatefill``).

xlutils copies the template as xlrd reads it into an xlwt workbook: every sheet in order with
its name, visibility (hidden list sheets stay hidden), cells, cell styles, column widths, row
heights, merged cells and frozen panes. What xlrd does not read is not copied: data validations
(dropdowns), defined names, comments, pictures and conditional formats. The platform's import
reads the sheet's name, header row and cells; a dropdown only helps a person typing.

Data cells: strings in a text-formatted ("@") twin of the column's style; formula-like text also
with the XF's quote-prefix bit (what a typed leading ' sets; xlwt has no attribute for it, so the
bit is set in the BIFF stream before it is saved); plain numbers as number cells. The data rows
are written as finished BIFF records (ROW, LABELSST, NUMBER: a handful of fixed-size records)
and handed to xlwt in place of its row objects: xlwt builds and packs an object per cell, which
made a 50,000-row table three times slower than caiji's own .xlsx writer.
"""

from __future__ import annotations

import copy
import io
import struct
from collections import Counter
from collections.abc import Sequence
from typing import Any

import xlrd
import xlsxwriter
import xlwt
from xlutils.filter import BaseFilter, XLRDReader, XLWTWriter, process
from xlwt.CompoundDoc import XlsDoc

from collection.excel.export import FORMULA_CHARS, is_plain_number
from collection.excel.templatefill import FillColumn, TemplateError, TemplateSource, no_sheet

XF_RECORD = 0x00E0
ROW_RECORD, LABEL_SST_RECORD, NUMBER_RECORD = 0x0208, 0x00FD, 0x0203
# A ROW record as xlwt writes one: default height (0x00FF), bit 8 set, the default XF 0x0F.
ROW_HEIGHT, ROW_OPTIONS = 0x00FF, 0x0100 | (0x0F << 16)
_ROW = struct.Struct("<HH6HL").pack
_LABEL_SST = struct.Struct("<HHHHHL").pack
_NUMBER = struct.Struct("<HHHHHd").pack
QUOTE_PREFIX_BIT = 0x08  # XF offset 4: fLocked, fHidden, fStyle, f123Prefix
DEFAULT_CELL_XF = 15  # the workbook's default cell format in BIFF8


class _QuotedProtection(xlwt.Protection):
    """Same protection, another key: xlwt keeps the quoted twin as an XF of its own."""

    def _search_key(self) -> tuple[Any, ...]:
        return (*super()._search_key(), "quote-prefix")


class _DataArea(BaseFilter):  # type: ignore[misc]
    """Copies everything except the template's cells where the data go (see templatefill)."""

    def __init__(self, sheet_index: int, header_row: int, count: int) -> None:
        self.target, self.header_row, self.last = sheet_index, header_row, header_row + count
        self.index = -1
        self.replaced: set[int] = set()

    def sheet(self, rdsheet: Any, wtsheet_name: str) -> None:
        self.index += 1
        self.rdsheet = rdsheet
        self.next.sheet(rdsheet, wtsheet_name)

    def cell(self, rdrowx: int, rdcolx: int, wtrowx: int, wtcolx: int) -> None:
        if self.index == self.target and rdrowx >= self.header_row:
            filled = self.rdsheet.cell_type(rdrowx, rdcolx) not in (
                xlrd.XL_CELL_EMPTY,
                xlrd.XL_CELL_BLANK,
            )
            if filled:
                self.replaced.add(rdrowx)
            if filled or rdrowx < self.last:
                return
        self.next.cell(rdrowx, rdcolx, wtrowx, wtcolx)


def _read(source: TemplateSource) -> xlrd.Book:
    try:
        return xlrd.open_workbook(
            file_contents=source.content, formatting_info=True, logfile=io.StringIO()
        )
    except Exception as exc:  # xlrd raises many kinds for a damaged file
        raise TemplateError(f".xls 模板无法读取：{exc}") from exc


def _sheet_index(book: xlrd.Book, name: str) -> int:
    try:
        return list(book.sheet_names()).index(name)
    except ValueError:
        raise no_sheet(name) from None


def _set_quote_prefix(stream: bytes, xf_index: int) -> bytes:
    """The workbook stream with the quote-prefix bit set on XF record number ``xf_index``."""
    data = bytearray(stream)
    pos, seen = 0, 0
    while pos + 4 <= len(data):
        rid, size = struct.unpack_from("<HH", data, pos)
        if rid == XF_RECORD:
            if seen == xf_index:
                data[pos + 8] |= QUOTE_PREFIX_BIT
                return bytes(data)
            seen += 1
        pos += 4 + size
    raise TemplateError("quoted text style not written")


class _DataRows:
    """The data rows as finished BIFF records (a ROW record, then the row's cells, row after
    row, as xlwt writes its own rows), standing in xlwt's row table for all of them."""

    level = 0  # xlwt's outline level of a row (its GUTS record reads every row's)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_row_biff_data(self) -> bytes:
        return b""

    def get_cells_biff_data(self) -> bytes:
        return self.data


def _column_styles(
    workbook: xlwt.Workbook, styles: list[xlwt.XFStyle], rdsheet: Any, columns: list[FillColumn]
) -> list[tuple[int, int, int]]:
    """Per column: the XF indexes of text, quoted text and number cells, twins of the style the
    template gives the column (else the workbook's default cell style)."""
    default = styles[DEFAULT_CELL_XF] if len(styles) > DEFAULT_CELL_XF else xlwt.XFStyle()
    found = []
    for c in columns:
        info = rdsheet.colinfo_map.get(c.index)
        base = (
            styles[info.xf_index] if info is not None and info.xf_index < len(styles) else default
        )
        text, quoted = copy.copy(base), copy.copy(base)
        text.num_format_str = quoted.num_format_str = "@"
        quoted.protection = _QuotedProtection()
        quoted.protection.cell_locked = base.protection.cell_locked
        quoted.protection.formula_hidden = base.protection.formula_hidden
        found.append(
            (workbook.add_style(text), workbook.add_style(quoted), workbook.add_style(base))
        )
    return found


def _is_number(value: str, plain: dict[str, bool]) -> bool:
    found = plain.get(value)
    if found is None:
        found = plain[value] = is_plain_number(value)
    return found


def _strings(
    workbook: xlwt.Workbook, columns: list[FillColumn], plain: dict[str, bool]
) -> dict[str, int]:
    """The data's texts in the workbook's shared-string table, each added once: the table's
    count of references is raised by the repeats (what adding each cell would have done)."""
    counts: Counter[str] = Counter()
    for c in columns:
        if c.numeric:
            counts.update(v for v in c.values if v and not _is_number(v, plain))
        else:
            counts.update(c.values)
    counts.pop("", None)
    index = {text: workbook.add_str(text) for text in counts}
    sst = workbook._Workbook__sst  # xlwt keeps the reference count in the table itself
    sst._add_calls += sum(counts.values()) - len(counts)
    return index


def _cells(
    c: FillColumn,
    rows: Sequence[int],
    xfs: tuple[int, int, int],
    strings: dict[str, int],
    plain: dict[str, bool],
) -> list[bytes]:
    """One column's cell records, b"" for an empty cell (a column at a time, as the .xlsx)."""
    x_text, x_quoted, x_number = xfs
    col = c.index
    cells = []
    for r, v in zip(rows, c.values, strict=True):
        if not v:
            cells.append(b"")
            continue
        if c.numeric and _is_number(v, plain):
            cells.append(_NUMBER(NUMBER_RECORD, 14, r, col, x_number, float(v)))
            continue
        xf = x_quoted if v[0] in FORMULA_CHARS else x_text
        cells.append(_LABEL_SST(LABEL_SST_RECORD, 10, r, col, xf, strings[v]))
    return cells


def fill(source: TemplateSource, columns: Sequence[FillColumn], count: int) -> tuple[bytes, int]:
    book = _read(source)
    index = _sheet_index(book, source.sheet_name)
    area = _DataArea(index, source.header_row, count)
    writer = XLWTWriter()
    process(XLRDReader(book, "template.xls"), area, writer)
    workbook: xlwt.Workbook = writer.output[0][1]
    sheet = workbook.get_sheet(index)
    placed = [c for c in columns if c.matched]
    xfs = _column_styles(workbook, writer.style_list, book.sheet_by_index(index), placed)
    plain: dict[str, bool] = {}
    strings = _strings(workbook, placed, plain)
    first, last = source.header_row, source.header_row + count - 1  # 0-based rows
    numbers = range(first, last + 1)
    by_column = [_cells(c, numbers, x, strings, plain) for c, x in zip(placed, xfs, strict=True)]
    if placed and count:
        low, high = min(c.index for c in placed), max(c.index for c in placed)
        data = b"".join(
            _ROW(ROW_RECORD, 16, r, low, high + 1, ROW_HEIGHT, 0, 0, ROW_OPTIONS) + b"".join(cells)
            for r, cells in zip(numbers, zip(*by_column, strict=True), strict=True)
            if any(cells)
        )
        rows = sheet.get_rows()
        kept = sorted(rows.items())
        rows.clear()
        rows.update((r, row) for r, row in kept if r < first)
        rows[first] = _DataRows(data)
        rows.update((r, row) for r, row in kept if r > last)
        sheet.last_used_row = max(sheet.last_used_row, last)
        sheet.first_used_col = min(sheet.first_used_col, low)
        sheet.last_used_col = max(sheet.last_used_col, high)
    stream = workbook.get_biff_data()
    for xf in {quoted for _text, quoted, _number in xfs}:
        stream = _set_quote_prefix(stream, xf)
    out = io.BytesIO()
    XlsDoc().save(out, stream)
    return out.getvalue(), len(area.replaced)


def as_xlsx(source: TemplateSource) -> TemplateSource:
    """The .xls template as an .xlsx of the same layout, for a table too long for .xls: every
    sheet in order with its name, visibility, cells and column widths; of the template's sheet
    the rows down to the header. Styles and dropdowns are not carried over."""
    book = _read(source)
    index = _sheet_index(book, source.sheet_name)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    for i, rdsheet in enumerate(book.sheets()):
        sheet = workbook.add_worksheet(rdsheet.name)
        if rdsheet.visibility == 1:
            sheet.hide()
        elif rdsheet.visibility == 2:
            sheet.very_hidden()
        for col, info in rdsheet.colinfo_map.items():
            sheet.set_column(col, col, info.width / 256)
        rows = source.header_row if i == index else rdsheet.nrows
        for r in range(min(rows, rdsheet.nrows)):
            for c, cell in enumerate(rdsheet.row(r)):
                if cell.ctype == xlrd.XL_CELL_TEXT:
                    sheet.write_string(r, c, cell.value)
                elif cell.ctype in (xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_DATE):
                    sheet.write_number(r, c, cell.value)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    sheet.write_boolean(r, c, bool(cell.value))
        if i == index:
            sheet.activate()
            for r1, r2, c1, c2 in rdsheet.merged_cells:
                if r2 <= source.header_row and (r2 - r1) * (c2 - c1) > 1:
                    value = rdsheet.cell_value(r1, c1)
                    sheet.merge_range(r1, c1, r2 - 1, c2 - 1, value)
    workbook.close()
    return TemplateSource("xlsx", out.getvalue(), source.sheet_name, source.header_row)
