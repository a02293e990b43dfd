"""Plausible, valid sample data for any table: rows for tests, the demo and benchmarks.

``sample_rows(schema, dates, count, seed=...)`` returns rows of text in header order, exactly as
the upload reader gives them back after normalisation (dates in the field's format, whole
numbers without ".0", decimals with at most two places, 是/否, several values joined by ";"),
so a workbook written by ``sample_workbook`` reads back to the same rows.

The rows pass every field check and every implemented rule of the table (``schema.rules``):
each field gets a value from its name, type, format and code list (工号 and 学号 numbered by row,
names of people from common surnames, dates inside the cycle's statistics period), and then the
rules are satisfied one by one until none changes anything: sums are recomputed, an inequality
moves the side that no equality fixes, dates move to the reference date, a conditional sets its
conclusion, and keys are made unique. The same arguments always give the same rows.

Plain Python (no ORM), like ``collection.excel``: reused by tests, the demo cycle, the export
round trip and the benchmarks.
"""

from __future__ import annotations

import io
import random

import xlsxwriter

from collection.sampledata.rules import make_unique, numeric_text_fields, satisfy
from collection.sampledata.values import Ctx, field_value, fit
from collection.schema import CycleDates, FieldType, TableSchema
from collection.validation.fields import to_number

__all__ = ["sample_rows", "sample_workbook"]


def sample_rows(
    schema: TableSchema, dates: CycleDates, count: int = 20, *, seed: int = 0
) -> list[list[str]]:
    """``count`` valid rows of ``schema`` (one for a single-record table), in header order."""
    if schema.row_mode == "single":
        count = min(count, 1)
    rng = random.Random(f"{schema.code}|{dates.year}|{seed}")
    numeric_text = frozenset(numeric_text_fields(schema))
    rows = []
    for index in range(count):
        ctx = Ctx(schema, dates, rng, index, count, seed, numeric_text)
        row = {f.name: fit(f, field_value(f, ctx)) for f in schema.fields}
        satisfy(schema, row, ctx)
        rows.append(row)
    make_unique(schema, rows)
    return [[row[f.name] for f in schema.fields] for row in rows]


def sample_workbook(schema: TableSchema, rows: list[list[str]], *, title: str = "") -> bytes:
    """The filled template as a collector sends it: the table's sheet, a title row, the header
    row, then the rows; numbers typed as numbers, everything else as text."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(schema.sheet_name)
    text = book.add_format({"num_format": "@"})
    sheet.write_string(0, 0, title or f"{schema.code} {schema.name}")
    numeric = [f.type in (FieldType.INT, FieldType.DECIMAL) for f in schema.fields]
    for col, f in enumerate(schema.fields):
        sheet.write_string(1, col, f.name)
        if not numeric[col]:
            sheet.set_column(col, col, None, text)
    for r, row in enumerate(rows, start=2):
        for col, cell in enumerate(row):
            number = to_number(cell) if numeric[col] and cell else None
            if number is not None:
                sheet.write_number(r, col, number)
            elif cell:
                sheet.write_string(r, col, cell)
    book.close()
    return output.getvalue()
