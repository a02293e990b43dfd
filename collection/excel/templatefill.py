"""Fill the platform's own blank template (批量下载模板) with a table's approved rows.

The platform's import refuses a changed template, so where the office loaded the year's template
for a table, the export writes into a copy of that very file: the same file type (.xls stays
.xls), the same sheets in the same order (hidden list sheets included), the sheet name as it is
(a leading space included), the rows above the header and the header row untouched. Only the
data area changes: the rows below the header row, in the template's header columns.

Columns are matched by header text (``collection.specdiff.header_key``): each template column
takes the field whose header is the same; a template column caiji has no field for stays empty,
and a field the template has no column for is not written (both are reported, so the export can
say so). Cell values follow ``collection.excel.export``: plain numbers of int and decimal fields
as number cells, everything else as text in a text-formatted cell, formula-like text quoted.

Which sheet rows the data replace: every template row below the header up to the last data row,
and below that any template row that holds a value (a sample row); empty styled rows below the
data are kept. A blank template has neither.

.xls holds at most 65,536 rows (header and title rows included). A table with more rows cannot
go into an .xls template: it is written as .xlsx in the template's layout (the template's sheets,
names, title rows and header row, converted; ``Filled.overflow``), and the export says so.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook

from collection.excel.export import NUMERIC, join_multi
from collection.schema import TableSchema
from collection.specdiff import header_key

XLS_MAX_ROWS = 65_536  # rows of an .xls sheet, header and title rows included


class TemplateError(ValueError):
    """The template cannot be filled (its sheet or header row is not where it was recorded).
    The message goes into the export package's warnings, which are Chinese (review/export.py);
    a damage only a developer can read keeps its technical text after the Chinese words."""


def no_sheet(name: str) -> TemplateError:
    return TemplateError(f"模板中没有工作表“{name}”")


@dataclass(frozen=True)
class TemplateSource:
    kind: str  # "xlsx" or "xls"
    content: bytes
    sheet_name: str
    header_row: int  # 1-based, as TemplateFile.header_row


@dataclass(frozen=True)
class FillColumn:
    """One header cell of the template and the values that go below it."""

    index: int  # 0-based column of the sheet
    header: str  # the template's header text, as it is
    values: Sequence[str]  # one per data row; empty when caiji has no field for it
    numeric: bool = False
    matched: bool = True


@dataclass
class Filled:
    content: bytes
    kind: str  # the file type written: "xlsx" or "xls"
    empty_columns: list[str] = field(default_factory=list)  # template headers without a field
    unplaced_fields: list[str] = field(default_factory=list)  # fields without a column
    overflow: bool = False  # an .xls template too small for the rows: written as .xlsx
    replaced_rows: int = 0  # template rows below the header that held values (sample rows)


def template_headers(source: TemplateSource) -> list[tuple[int, str]]:
    """The template's header row as (column index, text) of its non-empty cells."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(source.content))
        if source.sheet_name not in book.sheet_names:
            raise no_sheet(source.sheet_name)
        grid = book.get_sheet_by_name(source.sheet_name).to_python(
            skip_empty_area=False, nrows=source.header_row
        )
    except TemplateError:
        raise
    except BaseException as exc:  # calamine's errors, and a Rust panic
        raise TemplateError(f"模板文件无法读取：{exc}") from exc
    if len(grid) < source.header_row:
        raise TemplateError(f"模板没有第 {source.header_row} 行（表头行）")
    cells = [
        (i, _text(value)) for i, value in enumerate(grid[source.header_row - 1]) if _text(value)
    ]
    if not cells:
        raise TemplateError(f"模板第 {source.header_row} 行（表头行）是空的")
    return cells


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def fill_columns(
    headers: list[tuple[int, str]], schema: TableSchema, rows: Sequence[Sequence[str]]
) -> tuple[list[FillColumn], list[str]]:
    """The template's columns with the values of the field of the same header, and the fields
    that have no column in the template."""
    by_key = {header_key(f.name): i for i, f in enumerate(schema.fields)}
    columns_of_rows = list(zip(*rows, strict=True)) if rows else [()] * len(schema.fields)
    placed: set[int] = set()
    columns = []
    for index, header in headers:
        i = by_key.get(header_key(header))
        if i is None or i in placed:
            columns.append(FillColumn(index, header, [""] * len(rows), matched=False))
            continue
        placed.add(i)
        f = schema.fields[i]
        values = columns_of_rows[i]
        if f.multi:
            values = tuple(join_multi(v) if v else v for v in values)
        columns.append(FillColumn(index, header, values, numeric=f.type in NUMERIC))
    unplaced = [f.name for i, f in enumerate(schema.fields) if i not in placed]
    return columns, unplaced


def fill_template(
    source: TemplateSource, schema: TableSchema, rows: Sequence[Sequence[str]]
) -> Filled:
    """``rows`` (stored values in ``schema``'s field order) in a copy of the template."""
    from collection.excel import fill_xls, fill_xlsx  # both import this module's types

    columns, unplaced = fill_columns(template_headers(source), schema, rows)
    overflow = source.kind == "xls" and len(rows) > XLS_MAX_ROWS - source.header_row
    try:
        if source.kind == "xls" and not overflow:
            content, replaced = fill_xls.fill(source, columns, len(rows))
        else:
            if overflow:
                source = fill_xls.as_xlsx(source)
            content, replaced = fill_xlsx.fill(source, columns, len(rows))
    except TemplateError:
        raise
    except Exception as exc:  # a template unlike any seen: the export says so and goes on
        raise TemplateError(f"模板结构无法识别：{exc!r}") from exc
    return Filled(
        content=content,
        kind="xls" if source.kind == "xls" else "xlsx",
        empty_columns=[c.header for c in columns if not c.matched],
        unplaced_fields=unplaced,
        overflow=overflow,
        replaced_rows=replaced,
    )
