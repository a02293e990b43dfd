"""Percentages (format "percent"): every way a collector writes 94.8 %, the form caiji stores
(the platform's: 94.8), and the rule for a bare 0.5, which may be 0.5 % or 50 %."""

import io

import openpyxl
import pytest

from collection.excel.normalize import normalize_column
from collection.excel.percent import resolve_percent_columns
from collection.excel.reader import read_upload
from collection.schema import (
    CycleDates,
    FieldSchema,
    FieldType,
    ParsedSheet,
    Severity,
    TableSchema,
    catalog_schemas,
)
from collection.validation.engine import validate
from collection.validation.fields import check_fields
from tests.collection.excel.files import xls

RATE = FieldSchema("体质合格率", FieldType.DECIMAL, format="percent")
SHARE = FieldSchema("学生评教差", FieldType.DECIMAL, format="percent")
COUNT = FieldSchema("参加国际会议", FieldType.INT)
SCHEMA = TableSchema("表X", "测试", "测试", (RATE, SHARE, COUNT), row_mode="single")


def stored(*columns: list[object]) -> tuple[list[list[str]], list]:
    """The columns of SCHEMA (RATE, SHARE, COUNT) as the reader stores them, and its findings."""
    normalized = [
        normalize_column(values, f) for f, values in zip(SCHEMA.fields, columns, strict=True)
    ]
    findings = resolve_percent_columns(SCHEMA.fields, normalized)
    return normalized, findings


@pytest.mark.parametrize(
    "written",
    ["94.8", 94.8, "94.8%", "94.8％", "94.8 %", " 94.8％ ", "９４．８％", "0.948", 0.948, "94.80"],
)
def test_every_spelling_of_a_percentage_is_stored_as_the_platform_takes_it(written):
    columns, _findings = stored([written], [""], ["3"])
    assert columns[0] in (["94.8"], ["94.80"])  # a typed 94.80 keeps its zero, like any decimal
    assert float(columns[0][0]) == 94.8


def test_fractions_are_read_as_fractions_only_when_every_bare_value_is_at_most_1():
    columns, findings = stored(["0.948"], ["0.0035"], ["3"])
    assert columns[:2] == [["94.8"], ["0.35"]]
    assert [f.rule for f in findings] == ["percent_fraction"]
    assert findings[0].severity == Severity.HINT
    assert "“体质合格率”、“学生评教差”" in findings[0].message
    columns, findings = stored([1], [0], ["3"])  # 1 alone is 100 %, 0 stays 0
    assert columns[:2] == [["100"], ["0"]] and findings


def test_among_percent_numbers_a_small_value_stays_a_percent_number():
    """0.5 % never silently becomes 50 %: next to 94.8 it is kept, with a hint."""
    columns, findings = stored(["94.8"], ["0.5"], ["3"])
    assert columns[:2] == [["94.8"], ["0.5"]] and findings == []
    sheet = ParsedSheet(SCHEMA, [list(row) for row in zip(*columns, strict=True)], [2])
    explained = check_fields(SCHEMA, sheet)
    assert [(f.severity, f.rule, f.column, f.value) for f in explained] == [
        (Severity.HINT, "percent_ambiguous", "学生评教差", "0.5")
    ]
    assert "理解为 0.5%" in explained[0].message


def test_a_percent_sign_anywhere_makes_the_sheet_percent_numbers():
    columns, findings = stored(["0.5%"], ["0.3"], ["3"])
    assert columns[:2] == [["0.5"], ["0.3"]] and findings == []


def test_zeros_alone_are_not_fractions():
    columns, findings = stored(["0"], ["0"], ["0"])
    assert columns[:2] == [["0"], ["0"]] and findings == []


def test_storing_is_idempotent():
    """Re-reading what was stored (an online edit writes the stored rows into a file) changes
    nothing: 94.8 stays 94.8."""
    first, _ = stored(["0.948"], ["0.35"], ["3"])
    again, findings = stored(*first)
    assert again == first and findings == []


def test_a_value_that_is_no_number_is_an_error_that_names_the_accepted_forms():
    columns, _findings = stored(["约95%"], [""], ["3"])
    sheet = ParsedSheet(SCHEMA, [list(row) for row in zip(*columns, strict=True)], [2])
    (finding,) = check_fields(SCHEMA, sheet)
    assert finding.severity == Severity.ERROR and finding.rule == "decimal"
    assert "94.8" in finding.message and "0.948" in finding.message


def _excel_percent_cells() -> bytes:
    """表6-6 as Excel writes cells formatted as percentages: the cell holds the fraction."""
    schema = catalog_schemas()["表6-6"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = " 本科生学习成效"
    sheet.append(schema.headers)
    values = {"英语四级考试累计通过率": 0.785, "英语六级考试累计通过率": 0.321, "体质合格率": 0.948}
    sheet.append([values.get(name, 0) for name in schema.headers])
    for cell in sheet[2]:
        if cell.value in values.values():
            cell.number_format = "0.0%"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_an_upload_with_excel_percentage_cells_is_stored_as_percent_numbers():
    schema = catalog_schemas()["表6-6"]
    sheet = read_upload(_excel_percent_cells(), "表6-6.xlsx", schema)
    row = dict(zip(schema.headers, sheet.rows[0], strict=True))
    assert (row["英语四级考试累计通过率"], row["英语六级考试累计通过率"], row["体质合格率"]) == (
        "78.5",
        "32.1",
        "94.8",
    )
    findings = validate(schema, sheet, CycleDates.for_year(2026))
    assert [f.rule for f in findings] == ["percent_fraction"]  # a hint, nothing else


def test_a_platform_export_with_percent_numbers_passes_the_range_rule():
    """The rule 0 ≤ 体质合格率 ≤ 100 (the platform's, with its zeros back) takes 94.8; before,
    caiji asked for 0–1 and refused the platform's own data."""
    schema = catalog_schemas()["表6-6"]
    values = {"英语四级考试累计通过率": "78.5%", "英语六级考试累计通过率": 32.1, "体质合格率": 94.8}
    content = xls(
        [(" 本科生学习成效", [schema.headers, [values.get(n, 0) for n in schema.headers]])]
    )
    sheet = read_upload(content, "表6-6.xls", schema)
    assert validate(schema, sheet, CycleDates.for_year(2026)) == []
    assert sheet.rows[0][schema.headers.index("英语四级考试累计通过率")] == "78.5"
