import io
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from collection.excel.template import (
    CODES_SHEET,
    META_SHEET,
    build_template,
    build_templates_zip,
)
from collection.schema import FieldSchema, FieldType, TableSchema, catalog_schemas

YEAR = 2026
# 56 names, joined far beyond the 255 characters Excel accepts in a typed list.
NATIONS = tuple(f"民族名称{i:02d}" for i in range(56))


def load(schema: TableSchema, **kwargs: int) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(schema, cycle_year=YEAR, **kwargs)))


def validation(ws: Worksheet, letter: str) -> DataValidation | None:
    found = [dv for dv in ws.data_validations.dataValidation if f"{letter}2" in dv.sqref]
    assert len(found) <= 1
    return found[0] if found else None


def number_format(ws: Worksheet, letter: str) -> str:
    index = column_index_from_string(letter)
    for dim in ws.column_dimensions.values():
        if dim.min <= index <= dim.max:
            return dim.number_format
    return "General"


def letter_of(schema: TableSchema, name: str) -> str:
    return openpyxl.utils.get_column_letter(schema.headers.index(name) + 1)


def test_single_record_table_has_the_platform_layout():
    schema = catalog_schemas()["表1-1"]
    wb = load(schema, spec_version=3)
    assert wb.sheetnames == [schema.sheet_name, META_SHEET]
    ws = wb.active
    assert ws.title == schema.sheet_name
    assert [c.value for c in ws[1]] == schema.headers
    assert ws.max_row == 1  # nothing above or below the header
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    comment = ws["A1"].comment.text
    assert schema.fields[0].help in comment
    assert "必填" in comment and "最多 100 字" in comment
    assert "本表只填一行" in comment
    meta = wb[META_SHEET]
    assert meta.sheet_state == "veryHidden"
    assert list(meta.values) == [
        ("table", "表1-1"),
        ("cycle", YEAR),
        ("spec_version", 3),
        ("generator", "caiji"),
    ]


def test_roster_keeps_ids_and_years_as_text():
    schema = catalog_schemas()["表1-6"]
    ws = load(schema).active
    assert [c.value for c in ws[1]] == schema.headers
    for name in ("学号", "校内专业（大类）代码", "年级", "性别"):
        assert number_format(ws, letter_of(schema, name)) == "@", name
    grade = validation(ws, letter_of(schema, "年级"))
    assert grade is not None and grade.type is None
    assert "YYYY" in grade.prompt and "2023" in grade.prompt
    assert "填写代表年份" in ws[f"{letter_of(schema, '年级')}1"].comment.text
    assert ws.column_dimensions["A"].width >= 10


def test_code_fields_get_inline_dropdowns():
    schema = catalog_schemas()["表1-6"]
    ws = load(schema).active
    sex = validation(ws, "C")
    assert sex is not None
    assert (sex.type, sex.formula1, str(sex.sqref)) == ("list", '"男,女"', "C2:C1048576")
    assert sex.errorStyle in (None, "stop")
    assert "可选值：男、女" in ws["C1"].comment.text


def test_bool_fields_get_yes_no_dropdowns():
    schema = catalog_schemas()["表1-5-2"]
    ws = load(schema).active
    dv = validation(ws, letter_of(schema, "是否双师双能型"))
    assert dv is not None and dv.formula1 == '"是,否"'


@pytest.mark.parametrize(("code", "name"), [("表5-1-4", "课程类型"), ("表3-5-3", "收录情况")])
def test_partial_code_list_warns_instead_of_refusing(code, name):
    schema = catalog_schemas()[code]
    assert schema.field(name).codes_open  # its list is named PARTIAL·…
    dv = validation(load(schema).active, letter_of(schema, name))
    assert dv is not None and dv.errorStyle == "warning"


def test_multi_value_field_gets_an_input_message_not_a_dropdown():
    schema = catalog_schemas()["表5-1-1"]
    teachers = letter_of(schema, "授课教师")
    ws = load(schema).active
    dv = validation(ws, teachers)
    assert dv is not None and dv.type is None
    assert ";" in dv.prompt
    assert "英文分号" in ws[f"{teachers}1"].comment.text

    multi_code = FieldSchema("研究方向", FieldType.CODE, codes=("药学", "护理"), multi=True)
    ws = load(replace(schema, fields=(*schema.fields, multi_code))).active
    dv = validation(ws, openpyxl.utils.get_column_letter(len(schema.fields) + 1))
    assert dv is not None and dv.type is None
    assert "药学;护理" in dv.prompt


def test_long_code_lists_go_to_one_hidden_sheet():
    fields = (
        FieldSchema("姓名", FieldType.TEXT),
        FieldSchema("民族", FieldType.CODE, codes=NATIONS, code_list="民族"),
        FieldSchema("父亲民族", FieldType.CODE, codes=NATIONS, code_list="民族"),
        FieldSchema("说明", FieldType.CODE, codes=("a,b", "c")),  # a comma cannot go inline
    )
    assert len(",".join(NATIONS)) > 255
    schema = TableSchema(code="表X", name="测试", sheet_name="测试", fields=fields)
    wb = load(schema)
    assert wb.sheetnames == ["测试", CODES_SHEET, META_SHEET]
    codes = wb[CODES_SHEET]
    assert codes.sheet_state == "hidden"
    ws = wb["测试"]
    nation, father, note = (validation(ws, letter) for letter in "BCD")
    assert nation.formula1 == father.formula1 == f"'{CODES_SHEET}'!$A$1:$A$56"
    assert [c.value for c in codes["A"]] == list(NATIONS)
    assert note.formula1 == f"'{CODES_SHEET}'!$B$1:$B$2"


def test_longest_catalog_code_list_is_offered():
    table, f = max(
        ((t, f) for t in catalog_schemas().values() for f in t.fields if f.codes and not f.multi),
        key=lambda pair: len(",".join(pair[1].codes)),
    )
    wb = load(table)
    dv = validation(wb.active, letter_of(table, f.name))
    assert dv is not None and dv.type == "list"
    if len(",".join(f.codes)) <= 255:
        assert dv.formula1 == '"' + ",".join(f.codes) + '"'
    else:
        sheet, cells = dv.formula1.split("!")
        assert [c.value for row in wb[sheet.strip("'")][cells] for c in row] == list(f.codes)


@pytest.mark.parametrize("code", list(catalog_schemas()))
def test_every_catalog_template_builds(code):
    schema = catalog_schemas()[code]
    data = build_template(schema, cycle_year=YEAR)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    ws = wb[schema.sheet_name]
    first_row = [c.value for c in next(ws.iter_rows(max_row=1))]
    if schema.fields:
        assert first_row == schema.headers
    else:  # 字段待确认 without columns: row 1 says so instead of a header
        assert schema.fields_status == "unknown"
        assert first_row[0].startswith("字段待确认") and "空白模板" in first_row[0]
    assert next(iter(wb[META_SHEET].values)) == ("table", code)


def test_a_pending_tables_template_says_its_columns_are_to_be_confirmed():
    """表2-4 keeps the 2019 columns of its predecessor until this year's template is loaded
    (provisional); 表5-3 has no public columns at all (unknown)."""
    provisional = catalog_schemas()["表2-4"]
    assert provisional.fields_status == "provisional" and provisional.fields
    ws = load(provisional).active
    assert [c.value for c in ws[1]] == provisional.headers
    assert ws["A1"].comment.text.startswith("字段待确认：本表的列沿用 2019 年表")
    unknown = catalog_schemas()["表5-3"]
    assert unknown.fields == () and unknown.fields_pending
    assert load(unknown).active["A1"].value.startswith("字段待确认：国家数据平台尚未公开本表的字段")
    assert not catalog_schemas()["表2-5"].fields_pending
    assert not load(catalog_schemas()["表2-5"]).active["A1"].comment.text.startswith("字段待确认")


def test_zip_has_one_named_template_per_table_and_a_readme():
    schemas = list(catalog_schemas().values())
    archive = zipfile.ZipFile(io.BytesIO(build_templates_zip(schemas, cycle_year=YEAR)))
    names = [info.filename for info in archive.infolist()]
    expected = [f"{s.code} {s.name}.xlsx" for s in schemas]
    assert names == [*expected, "说明.txt"]
    assert "表5-1-1 开课情况.xlsx" in names
    assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    readme = archive.read("说明.txt").decode("utf-8-sig")
    assert str(YEAR) in readme
    assert all(name in readme for name in expected)
    assert "表1-1 学校概况.xlsx（单条记录）" in readme
    assert "表5-3 本科在线课程情况.xlsx（字段待确认）" in readme
    wb = openpyxl.load_workbook(io.BytesIO(archive.read("表5-1-1 开课情况.xlsx")))
    assert list(wb[META_SHEET].values)[:2] == [("table", "表5-1-1"), ("cycle", YEAR)]


def test_zip_names_cannot_make_folders():
    schema = replace(catalog_schemas()["表1-1"], name="学校/概况")
    archive = zipfile.ZipFile(io.BytesIO(build_templates_zip([schema], cycle_year=YEAR)))
    assert archive.namelist() == ["表1-1 学校_概况.xlsx", "说明.txt"]
