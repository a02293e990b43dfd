"""Filling the platform's own blank template: everything outside the data cells stays as the
template has it, the data cells hold the rows in the template's column order.

The .xls cases are real blank templates of the platform (2018 pack, tests/fixtures/templates-2018): a sheet
named with a leading space, one named "data", a 师范 supplement sheet "表SF-1：…". The .xlsx and
the second .xls case are made here with what real templates carry: a title row above the
header, a hidden code-list sheet, dropdowns, column widths and header styles.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import xlrd
import xlwt
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from collection.excel.reader import read_upload
from collection.excel.templatefill import (
    XLS_MAX_ROWS,
    TemplateSource,
    fill_template,
    template_headers,
)
from collection.sampledata import sample_rows
from collection.schema import CycleDates, FieldSchema, FieldType, TableSchema, catalog_schemas
from collection.specdiff import header_key

ROOT = Path(__file__).resolve().parents[3]
# The platform's real blank templates of the 2018 collection, header rows only (see the
# folder's README.md for where they come from).
TEMPLATES_2018 = ROOT / "tests" / "fixtures" / "templates-2018"
DATES = CycleDates.for_year(2026)

HEADERS = ["学号", "姓名", "性别", "入学年份", "备注（平台专用）", "获奖人数", "学分", "奖项"]
SCHEMA = TableSchema(
    code="表9-9",
    name="测试名单",
    sheet_name="测试名单",
    # Not in the template's order; "专业" has no column there, "备注（平台专用）" no field here.
    fields=(
        FieldSchema("姓名", FieldType.TEXT),
        FieldSchema(" 学号 ", FieldType.TEXT),  # the same header, written with spaces
        FieldSchema("性别", FieldType.CODE),
        FieldSchema("入学年份", FieldType.DATE, format="YYYY-MM"),
        FieldSchema("获奖人数", FieldType.INT),
        FieldSchema("学分", FieldType.DECIMAL),
        FieldSchema("奖项", FieldType.TEXT, multi=True),
        FieldSchema("专业", FieldType.TEXT),
    ),
)
ROWS = [
    ["张三", "001", "男", "2023-09", "12", "3.5", "一等奖；二等奖", "药学"],
    ['=HYPERLINK("http://x","点我")', "002", "女", "2023-09", "012", "3.50", "", "护理"],
    ["-2+3", "003", "女", "2024-09", "", "1234567890123456", "@三等奖", "药学"],
]
# What the template's columns hold afterwards: in its order, 奖项 joined with ";".
EXPECTED = [
    ["001", "张三", "男", "2023-09", None, 12, 3.5, "一等奖;二等奖"],
    ["002", '=HYPERLINK("http://x","点我")', "女", "2023-09", None, "012", "3.50", None],
    ["003", "-2+3", "女", "2024-09", None, None, "1234567890123456", "@三等奖"],
]


def xlsx_template() -> bytes:
    """What a platform .xlsx template may carry around its header (row 2)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = " 测试名单"
    sheet["A1"] = "2026年 表9-9 测试名单（请勿修改表头）"
    sheet.merge_cells("A1:H1")
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["E"].width = 30
    sheet.freeze_panes = "A3"
    codes = book.create_sheet("代码")
    for value in ("男", "女"):
        codes.append([value])
    codes.sheet_state = "hidden"
    notes = book.create_sheet("填表说明")
    notes.append(["学号为10位数字"])
    notes.append(["入学年份格式：2023-09"])
    listed = DataValidation(type="list", formula1="代码!$A$1:$A$2", allow_blank=True)
    sheet.add_data_validation(listed)
    listed.add("C3:C5000")
    inline = DataValidation(type="whole", operator="between", formula1="0", formula2="999")
    sheet.add_data_validation(inline)
    inline.add("F3:F5000")
    book.defined_names["性别代码"] = DefinedName("性别代码", attr_text="代码!$A$1:$A$2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validations(sheet) -> list[tuple[str, str, str]]:
    return sorted(
        (dv.type, dv.formula1 or "", str(dv.sqref)) for dv in sheet.data_validations.dataValidation
    )


def assert_xlsx_same_outside_data(before: bytes, after: bytes, sheet_name: str, header_row: int):
    old, new = (openpyxl.load_workbook(io.BytesIO(b)) for b in (before, after))
    assert new.sheetnames == old.sheetnames
    assert [new[n].sheet_state for n in new.sheetnames] == [
        old[n].sheet_state for n in old.sheetnames
    ]
    assert sorted(new.defined_names) == sorted(old.defined_names)
    for name in old.sheetnames:
        a, b = old[name], new[name]
        assert _validations(b) == _validations(a)
        assert b.merged_cells.ranges == a.merged_cells.ranges
        assert b.freeze_panes == a.freeze_panes
        assert {k: d.width for k, d in b.column_dimensions.items()} == {
            k: d.width for k, d in a.column_dimensions.items()
        }
        if name != sheet_name:
            assert list(b.iter_rows(values_only=True)) == list(a.iter_rows(values_only=True))
            continue
        top_old = list(a.iter_rows(max_row=header_row))
        top_new = list(b.iter_rows(max_row=header_row))
        assert [[c.value for c in r] for r in top_new] == [[c.value for c in r] for r in top_old]
        assert [
            (c.font.b, c.font.color and c.font.color.rgb, c.fill.fgColor.rgb) for c in top_new[-1]
        ] == [
            (c.font.b, c.font.color and c.font.color.rgb, c.fill.fgColor.rgb) for c in top_old[-1]
        ]
        assert b.max_column == a.max_column  # nothing written right of the template's columns
    # The zip parts caiji does not need to touch are byte for byte the template's.
    with zipfile.ZipFile(io.BytesIO(before)) as zb, zipfile.ZipFile(io.BytesIO(after)) as za:
        touched = {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/sharedStrings.xml"}
        touched |= {"[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
        for name in zb.namelist():
            if name not in touched:
                assert za.read(name) == zb.read(name), name


def test_an_xlsx_template_keeps_everything_outside_the_data_cells():
    template = xlsx_template()
    filled = fill_template(TemplateSource("xlsx", template, " 测试名单", 2), SCHEMA, ROWS)
    assert filled.kind == "xlsx" and not filled.overflow
    assert filled.empty_columns == ["备注（平台专用）"] and filled.unplaced_fields == ["专业"]
    assert_xlsx_same_outside_data(template, filled.content, " 测试名单", 2)
    sheet = openpyxl.load_workbook(io.BytesIO(filled.content))[" 测试名单"]
    data = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert data == EXPECTED  # the template's column order; nothing below the last row
    code, formula, number = sheet["A3"], sheet["B4"], sheet["F3"]
    assert code.data_type == "s" and code.number_format == "@"  # leading zeros kept
    assert formula.data_type == "s" and formula.quotePrefix and not sheet["B3"].quotePrefix
    assert number.data_type == "n" and sheet["F4"].data_type == "s"  # "012" is not a number
    assert sheet["C5"].data_type == "s" and sheet["H5"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(filled.content)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")  # no formula anywhere
    again = fill_template(TemplateSource("xlsx", template, " 测试名单", 2), SCHEMA, ROWS)
    assert again.content == filled.content  # the same bytes: the manifest's hashes repeat


def test_an_xlsx_template_with_shared_strings_gets_the_data_texts_appended():
    """xlsxwriter (like Excel) keeps texts in a shared-string table: the header's entries stay
    where they are, the data's come after them."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, HEADERS)
    sheet.write_string(1, 0, "示例：2023000001")  # a sample row: replaced by the data
    book.close()
    template = out.getvalue()
    filled = fill_template(TemplateSource("xlsx", template, "data", 1), SCHEMA, ROWS)
    assert filled.replaced_rows == 1
    rows = list(openpyxl.load_workbook(io.BytesIO(filled.content))["data"].values)
    assert list(rows[0]) == HEADERS
    assert [list(r) for r in rows[1:]] == EXPECTED
    parsed = read_upload(filled.content, "x.xlsx", SCHEMA)
    assert [r[:7] for r in parsed.rows] == [
        [r[0], r[1], r[2], r[3], r[4], r[5], r[6].replace("；", ";")] for r in ROWS
    ]


def _schema_for(headers: list[str]) -> TableSchema:
    """The catalog table whose columns are the template's (the codes differ from 2018)."""
    keys = sorted(header_key(h) for h in headers)
    found = [
        s for s in catalog_schemas().values() if sorted(header_key(h) for h in s.headers) == keys
    ]
    assert found, headers
    return found[0]


def _font(book: xlrd.Book, sheet, row: int, col: int):
    return book.font_list[book.xf_list[sheet.cell_xf_index(row, col)].font_index]


def assert_xls_same_outside_data(before: bytes, after: bytes, sheet_name: str, header_row: int):
    old = xlrd.open_workbook(file_contents=before, formatting_info=True)
    new = xlrd.open_workbook(file_contents=after, formatting_info=True)
    assert new.sheet_names() == old.sheet_names()
    for a, b in zip(old.sheets(), new.sheets(), strict=True):
        assert b.visibility == a.visibility
        if a.name != sheet_name:
            assert [b.row_values(r) for r in range(b.nrows)] == [
                a.row_values(r) for r in range(a.nrows)
            ]
            continue
        assert [b.row_values(r) for r in range(header_row)] == [
            a.row_values(r) for r in range(header_row)
        ]
        assert b.ncols == a.ncols
        for col in range(a.ncols):
            if col in a.colinfo_map:
                assert b.colinfo_map[col].width == a.colinfo_map[col].width
            font_old = _font(old, a, header_row - 1, col)
            font_new = _font(new, b, header_row - 1, col)
            assert (font_new.bold, font_new.name) == (font_old.bold, font_old.name)


REAL = [
    ("表1-6-1 教职工基本信息.xls", " 教职工基本信息"),
    ("表6-6-4 学生获专业比赛奖励情况（艺术类专业用）.xls", "data"),
    ("表SF-1：学生发展成长指导教师情况.xls", "表SF-1：学生发展成长指导教师情况"),
]


@pytest.mark.parametrize(("filename", "sheet_name"), REAL)
def test_a_real_xls_template_stays_xls_with_its_sheet_and_header(filename, sheet_name):
    template = (TEMPLATES_2018 / filename).read_bytes()
    source = TemplateSource("xls", template, sheet_name, 1)
    headers = [text for _i, text in template_headers(source)]
    schema = _schema_for(headers)
    schema = replace(schema, fields=tuple(reversed(schema.fields)))  # matched by header, not place
    rows = sample_rows(schema, DATES, 30)
    filled = fill_template(source, schema, rows)
    assert filled.kind == "xls" and filled.content.startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
    assert not filled.empty_columns and not filled.unplaced_fields
    assert_xls_same_outside_data(template, filled.content, sheet_name, 1)
    sheet = xlrd.open_workbook(file_contents=filled.content).sheet_by_name(sheet_name)
    assert sheet.nrows == 1 + len(rows)
    # Read back as an upload: exactly the rows (codes, IDs and dates as text, numbers exact).
    parsed = read_upload(filled.content, filename, schema)
    assert parsed.rows == rows
    assert fill_template(source, schema, rows).content == filled.content


def xls_template(*, sample: bool = False) -> bytes:
    """An .xls as a platform may ship it: a title row, a bold header in row 2 with widths, a
    hidden code-list sheet; with ``sample``, a sample row below the header."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(" 测试名单")
    sheet.write_merge(0, 0, 0, 7, "2026年 表9-9 测试名单")
    bold = xlwt.easyxf("font: bold on, name 宋体; pattern: pattern solid, fore_colour light_green")
    for col, header in enumerate(HEADERS):
        sheet.write(1, col, header, bold)
        sheet.col(col).width = 256 * (12 + col)
    if sample:
        sheet.write(2, 0, "示例：2023000001")
        sheet.write(2, 7, "示例")
    codes = book.add_sheet("代码")
    codes.write(0, 0, "男")
    codes.write(1, 0, "女")
    codes.visibility = 1  # hidden
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xls_template_keeps_title_rows_hidden_sheets_widths_and_header_style():
    template = xls_template(sample=True)
    filled = fill_template(TemplateSource("xls", template, " 测试名单", 2), SCHEMA, ROWS)
    assert filled.kind == "xls" and filled.replaced_rows == 1  # the sample row is gone
    assert_xls_same_outside_data(template, filled.content, " 测试名单", 2)
    book = xlrd.open_workbook(file_contents=filled.content, formatting_info=True)
    sheet = book.sheet_by_name(" 测试名单")
    assert sheet.merged_cells == [(0, 1, 0, 8)]
    assert book.sheet_by_name("代码").visibility == 1
    data = [sheet.row_values(r) for r in range(2, sheet.nrows)]
    assert data == [["" if v is None else v for v in row] for row in EXPECTED]

    def xf(row: int, col: int):
        return book.xf_list[sheet.cell_xf_index(row, col)]

    assert book.format_map[xf(2, 0).format_key].format_str == "@"  # text: "001" stays "001"
    assert xf(3, 1).lotus_123_prefix and not xf(2, 1).lotus_123_prefix  # =HYPERLINK quoted
    assert (
        sheet.cell_type(2, 5) == xlrd.XL_CELL_NUMBER and sheet.cell_type(3, 5) == xlrd.XL_CELL_TEXT
    )


def test_a_table_longer_than_an_xls_holds_goes_out_as_xlsx_in_the_template_layout():
    template = xls_template()
    schema = replace(SCHEMA, fields=SCHEMA.fields[:2])
    count = XLS_MAX_ROWS - 2 + 1  # one more than fits below the header in row 2
    rows = [[f"学生{i}", f"{i:07d}"] for i in range(count)]
    filled = fill_template(TemplateSource("xls", template, " 测试名单", 2), schema, rows)
    assert filled.overflow and filled.kind == "xlsx"
    book = openpyxl.load_workbook(io.BytesIO(filled.content), read_only=True)
    assert book.sheetnames == [" 测试名单", "代码"]
    assert book["代码"].sheet_state == "hidden"
    sheet = book[" 测试名单"]
    head = list(sheet.iter_rows(max_row=3, values_only=True))
    assert head[0][0] == "2026年 表9-9 测试名单" and list(head[1]) == HEADERS
    assert head[2][:2] == ("0000000", "学生0")
    assert sheet.max_row == 2 + count
