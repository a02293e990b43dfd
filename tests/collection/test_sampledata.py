"""Sample data (collection.sampledata): for every catalog table, the generated rows read back
unchanged through the real upload path and break no field check and no rule of the table."""

import pytest

from collection.sampledata import sample_rows, sample_workbook
from collection.schema import CycleDates, Severity, catalog_schemas
from collection.services.uploads import check_file

DATES = CycleDates.for_year(2026)
SCHEMAS = catalog_schemas()
# 字段待确认 without columns: nothing can be filled until the year's template is loaded.
NO_COLUMNS = [code for code, schema in SCHEMAS.items() if not schema.fields]


def test_only_the_new_tables_of_the_2024_evidence_have_no_columns():
    assert NO_COLUMNS == ["表1-7-3", "表3-3-3", "表5-3", "表6-6-9"]
    assert {SCHEMAS[code].fields_status for code in NO_COLUMNS} == {"unknown"}


@pytest.mark.parametrize("code", [code for code in SCHEMAS if code not in NO_COLUMNS])
@pytest.mark.parametrize("count", [1, 20])
def test_every_catalog_table_gets_valid_rows(code, count):
    schema = SCHEMAS[code]
    rows = sample_rows(schema, DATES, count)
    expected = 1 if schema.row_mode == "single" else count
    assert len(rows) == expected
    sheet, findings = check_file(schema, sample_workbook(schema, rows), f"{code}.xlsx", DATES)
    problems = [
        (f.severity.value, f.row, f.column, f.value, f.message)
        for f in findings
        if f.severity != Severity.HINT
    ]
    assert problems == []
    # What the reader stores is exactly what was generated (dates, numbers, 是/否, a;b).
    assert sheet.rows == rows
    assert sheet.header_row == 2  # below the title row


@pytest.mark.parametrize("code", ["表1-6", "表1-5-1", "表5-1-1", "表1-2"])
def test_keys_stay_unique_in_a_big_roster(code):
    schema = SCHEMAS[code]
    rows = sample_rows(schema, DATES, 300, seed=3)
    sheet, findings = check_file(schema, sample_workbook(schema, rows), "名单.xlsx", DATES)
    assert [f for f in findings if f.severity != Severity.HINT] == []
    assert len(sheet.rows) == 300


def test_rows_are_deterministic_and_depend_on_the_seed():
    schema = SCHEMAS["表1-5-1"]
    assert sample_rows(schema, DATES, 5, seed=1) == sample_rows(schema, DATES, 5, seed=1)
    assert sample_rows(schema, DATES, 5, seed=1) != sample_rows(schema, DATES, 5, seed=2)


def test_rows_look_like_the_college_typed_them():
    schema = SCHEMAS["表1-6"]
    rows = [dict(zip(schema.headers, row, strict=True)) for row in sample_rows(schema, DATES, 20)]
    assert all(row["学号"].isdigit() and len(row["学号"]) == 12 for row in rows)
    assert all(2 <= len(row["学生姓名"]) <= 4 for row in rows)
    assert all(row["性别"] in ("男", "女") for row in rows)
    # 年级 is a year before the statistics date.
    assert all(2022 <= int(row["年级"]) <= 2025 for row in rows)


def test_sums_and_dates_follow_the_tables_rules():
    land_schema = SCHEMAS["表2-1"]
    land = dict(zip(land_schema.headers, sample_rows(land_schema, DATES, 1)[0], strict=True))
    total = float(land["占地面积学校产权"]) + float(land["占地面积非学校产权"])
    assert float(land["总占地面积"]) == pytest.approx(total, abs=0.01)
    service = SCHEMAS["表SF-5"]
    for row in sample_rows(service, DATES, 20):
        values = dict(zip(service.headers, row, strict=True))
        assert values["开始日期"] <= values["结束日期"] <= DATES.academic_end.isoformat()
