"""Filling a contribution online: single-record tables in a form, list rows fixed one by one.

An online edit never changes a version. It takes the current version's rows, applies the edit,
writes the result as a filled copy of the table's template ("在线填报-v3.xlsx") and puts that
file through exactly the path of an upload (``upload_check`` with purpose ONLINE): the file is
kept with its sha256, read, normalised and validated, and becomes the next version. So the
same data hashes the same whether it was uploaded or typed, and a value typed badly gets the
same finding it would get in a file, never a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from accounts.models import User
from collection.excel.annotate import MAX_TEXT, NEEDS_ESCAPE, _text, _with_sheet_data
from collection.excel.template import build_template
from collection.models import Contribution, TableSpec, Upload, Version
from collection.schema import Finding, TableSchema
from collection.selectors import table_schema
from collection.services.uploads import findings_from_upload, unpack
from collection.services.versions import (
    _locked,
    _version_from_file,
    editable_fields,
    require_collector,
    require_drafting,
    version_next_number,
)

ONLINE_FILENAME = "在线填报-v{number}.xlsx"  # a file name shown to collectors: always Chinese
DATA_SHEET = "xl/worksheets/sheet1.xml"  # build_template adds the table's sheet first


# ---------------------------------------------------------------------------------------------
# The workbook


def online_workbook(
    schema: TableSchema, rows: list[list[str]], *, cycle_year: int, spec_version: int
) -> bytes:
    """The table's template for the cycle, filled with ``rows`` from Excel row 2, every value
    an inline text cell (so "=1+1" stays text and "001" keeps its zeros)."""
    template = build_template(schema, cycle_year=cycle_year, spec_version=spec_version)
    width = len(schema.headers)
    letters = [xl_col_to_name(i) for i in range(width)]
    last = xl_rowcol_to_cell(len(rows), max(width, 1) - 1)
    return _with_sheet_data(template, DATA_SHEET, _sheet_rows(schema, rows, letters), f"A1:{last}")


def _sheet_rows(schema: TableSchema, rows: list[list[str]], letters: list[str]) -> Iterator[str]:
    search = NEEDS_ESCAPE.search
    for n, values in enumerate([schema.headers, *rows], start=1):
        cells = "".join(
            f'<c r="{letters[c]}{n}" t="inlineStr"><is>'
            f"{_text(v) if len(v) > MAX_TEXT or search(v) else f'<t>{v}</t>'}</is></c>"
            for c, v in enumerate(values[: len(letters)])
            if v
        )
        yield f'<row r="{n}">{cells}</row>'


# ---------------------------------------------------------------------------------------------
# Reads


def version_rows(version: Version | None, schema: TableSchema) -> tuple[list[list[str]], list[int]]:
    """The version's rows aligned to the schema's columns (by header text, so a spec changed
    since the upload still lines up), and the Excel row number of each row."""
    if version is None:
        return [], []
    data = unpack(version.upload.rows_blob) or {}
    assert isinstance(data, dict)
    headers: list[str] = data.get("headers", [])
    rows: list[list[str]] = data.get("rows", [])
    numbers: list[int] = data.get("row_numbers") or list(range(2, len(rows) + 2))
    if headers != schema.headers:
        where = {h: i for i, h in enumerate(headers)}
        picks = [where.get(h) for h in schema.headers]
        rows = [[row[p] if p is not None and p < len(row) else "" for p in picks] for row in rows]
    return rows, numbers


def findings_by_row(
    version: Version, numbers: list[int]
) -> tuple[dict[int, list[Finding]], list[Finding]]:
    """The version's findings per row index (0-based), and those about the sheet as a whole."""
    position = {n: i for i, n in enumerate(numbers)}
    per_row: defaultdict[int, list[Finding]] = defaultdict(list)
    general = []
    for finding in findings_from_upload(version.upload):
        index = position.get(finding.row) if finding.row is not None else None
        if index is None:
            general.append(finding)
        else:
            per_row[index].append(finding)
    return dict(per_row), general


# ---------------------------------------------------------------------------------------------
# Writes


@transaction.atomic
def single_record_fill(
    *, actor: User, contribution: Contribution, values: dict[str, str], base: int
) -> Version:
    """Save the single-record form as the next version. ``values`` holds the fields the unit
    fills (``editable_fields``); the others keep the current version's values. ``base`` is the
    number of the version the form was filled from (0 for none)."""
    contribution, schema = _prepare(actor, contribution, base)
    if schema.row_mode != TableSpec.RowMode.SINGLE:
        raise ValidationError(_("This table has a row per record: fix its rows instead."))
    own = editable_fields(contribution, schema)
    foreign = [name for name in values if name not in own]
    if foreign:
        raise PermissionDenied(
            _(
                "%(unit)s does not fill %(fields)s of %(table)s: the task breakdown gives it to another unit."
            )
            % {
                "unit": contribution.unit.name,
                "fields": "、".join(foreign),
                "table": schema.code,
            }
        )
    rows, _numbers = version_rows(contribution.current_version, schema)
    row = list(rows[0]) if rows else [""] * len(schema.headers)
    for name, value in values.items():
        row[schema.headers.index(name)] = value
    # Rows beyond the first (an uploaded file with several) stay, for validation to report.
    return _save(actor, contribution, schema, [row, *rows[1:]], {"edit": "fill"})


@transaction.atomic
def row_save(
    *,
    actor: User,
    contribution: Contribution,
    index: int | None,
    values: dict[str, str],
    base: int,
) -> Version:
    """Replace the row at ``index`` (0-based) of the current version, or add a row at the end
    when ``index`` is None, and save the result as the next version."""
    contribution, schema = _prepare(actor, contribution, base)
    rows, _numbers = _list_rows(contribution, schema)
    unknown = [name for name in values if name not in schema.headers]
    if unknown:
        raise ValidationError(
            _("%(table)s has no column %(fields)s.")
            % {"table": schema.code, "fields": "、".join(unknown)}
        )
    if not any(value.strip() for value in values.values()):
        raise ValidationError(_("The row is empty: fill in its fields, or delete the row instead."))
    if index is None:
        row = [""] * len(schema.headers)
        rows.append(row)
        edit = {"edit": "row_add", "row": len(rows)}
    else:
        row = list(rows[_checked(index, rows)])
        rows[index] = row
        edit = {"edit": "row_edit", "row": index + 1}
    for name, value in values.items():
        row[schema.headers.index(name)] = value
    return _save(actor, contribution, schema, rows, edit)


@transaction.atomic
def row_delete(*, actor: User, contribution: Contribution, index: int, base: int) -> Version:
    """Remove the row at ``index`` (0-based) and save the rest as the next version."""
    contribution, schema = _prepare(actor, contribution, base)
    rows, _numbers = _list_rows(contribution, schema)
    removed = rows.pop(_checked(index, rows))
    return _save(
        actor,
        contribution,
        schema,
        rows,
        {"edit": "row_delete", "row": index + 1, "values": removed},
    )


def _prepare(
    actor: User, contribution: Contribution, base: int
) -> tuple[Contribution, TableSchema]:
    contribution = _locked(contribution)
    require_collector(actor, contribution)
    require_drafting(contribution)
    current = contribution.current_version
    if (current.number if current else 0) != base:
        raise ValidationError(
            _(
                "Version %(number)s was saved after you opened this page, so your change "
                "was not applied: open the page again and redo it on the latest data."
            )
            % {"number": current.number if current else 0}
        )
    return contribution, table_schema(contribution.assignment.table)


def _list_rows(
    contribution: Contribution, schema: TableSchema
) -> tuple[list[list[str]], list[int]]:
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        raise ValidationError(_("This table has a single record: fill it in its form instead."))
    return version_rows(contribution.current_version, schema)


def _checked(index: int, rows: list[list[str]]) -> int:
    if not 0 <= index < len(rows):
        raise ValidationError(
            _("Row %(row)s does not exist in the current version (it has %(count)s rows).")
            % {"row": index + 1, "count": len(rows)}
        )
    return index


def _save(
    actor: User,
    contribution: Contribution,
    schema: TableSchema,
    rows: list[list[str]],
    edit: dict[str, object],
) -> Version:
    cycle = contribution.assignment.cycle
    number = version_next_number(contribution)
    content = online_workbook(
        schema,
        rows,
        cycle_year=cycle.year,
        spec_version=contribution.assignment.table.spec_version,
    )
    version = _version_from_file(
        actor,
        contribution,
        content,
        ONLINE_FILENAME.format(number=number),
        purpose=Upload.Purpose.ONLINE,
        event_data=edit,
    )
    if isinstance(version, str):  # the rows came from a version: only a cap can refuse them
        raise ValidationError(version)
    return version
