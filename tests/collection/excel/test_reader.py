"""Reading uploads against a table's schema: where the header is, which column is which, which
template it is, and the rows with their Excel row numbers. No database."""

import ast
import json
import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.translation import gettext

from collection.excel import messages as msg
from collection.excel.reader import read_headers, read_upload
from collection.excel.safety import Limits
from collection.schema import (
    FieldSchema,
    FieldType,
    RejectedFile,
    Severity,
    TableSchema,
    catalog_schemas,
)
from tests.collection.excel.files import inline_rows, raw_xlsx, sheet_xml, xls, xlsx

ROOT = Path(__file__).resolve().parents[3]
STUDENTS = catalog_schemas()["表1-6"]  # 8 columns, 学号 … 入学年份
STAFF = catalog_schemas()["表1-5-1"]  # 出生年月 and 入校时间 are YYYY-MM
HEADERS = STUDENTS.headers
ROW_A = ["2023000001", "张三", "男", "药学", "100701", "境内", "2023", "2023"]
ROW_B = ["2023000002", "李四", "女", "护理学", "101101", "留学生", "2022", "2022"]


def pattern(msgid: str) -> re.Pattern[str]:
    """The message as the active language renders it, whatever fills its placeholders."""
    parts = re.split(r"%\(\w+\)s", gettext(msgid))
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


def rules(sheet):
    return [(f.rule, f.severity, f.column) for f in sheet.findings]


def test_template_layout():
    sheet = read_upload(xlsx([HEADERS, ROW_A, ROW_B]), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [ROW_A, ROW_B]
    assert sheet.row_numbers == [2, 3]
    assert sheet.header_row == 1
    assert sheet.sheet_name == "Sheet1"
    assert sheet.column_letters == {h: "ABCDEFGH"[i] for i, h in enumerate(HEADERS)}
    assert sheet.findings == []


def test_header_only():
    sheet = read_upload(xlsx([HEADERS]), "1-6.xlsx", STUDENTS)
    assert (sheet.rows, sheet.row_numbers, sheet.findings) == ([], [], [])
    assert sheet.column_letters["入学年份"] == "H"


def test_title_rows_above_the_header():
    rows = [
        ["表1-6 本科生基本情况"],
        ["填报单位：药学院", None, None, "时点：9月30日"],
        HEADERS,
        ROW_A,
    ]
    sheet = read_upload(xlsx(rows), "1-6.xlsx", STUDENTS)
    assert sheet.header_row == 3
    assert sheet.rows == [ROW_A]
    assert sheet.row_numbers == [4]


def test_header_below_leading_empty_rows_and_columns():
    rows = [[None, None, *HEADERS], [None, None, *ROW_A]]
    sheet = read_upload(xlsx(rows, start_row=4), "1-6.xlsx", STUDENTS)
    assert sheet.header_row == 4
    assert sheet.row_numbers == [5]
    assert sheet.rows == [ROW_A]
    assert sheet.column_letters["学号"] == "C"


def test_empty_rows_are_skipped_and_row_numbers_kept():
    rows = [HEADERS, ROW_A, [], [None, "  ", "\u200b"], ROW_B, []]
    sheet = read_upload(xlsx(rows), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [ROW_A, ROW_B]
    assert sheet.row_numbers == [2, 5]


def test_reordered_columns_with_messy_headers():
    order = [7, 0, 3, 1, 2, 6, 5, 4]
    headers = [HEADERS[i] for i in order]
    headers[1] = " *学号\n"
    headers[2] = "校内专业(大类)名称（必填）"
    headers[3] = "学生　姓名"
    sheet = read_upload(xlsx([headers, [ROW_A[i] for i in order]]), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [ROW_A]
    assert sheet.column_letters["学号"] == "B"
    assert sheet.column_letters["入学年份"] == "A"
    assert sheet.findings == []


def test_missing_and_unknown_columns():
    headers = [h for h in HEADERS if h != "性别"] + ["备注"]
    row = [v for h, v in zip(HEADERS, ROW_A, strict=True) if h != "性别"] + ["转专业"]
    sheet = read_upload(xlsx([headers, row]), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [[*ROW_A[:2], "", *ROW_A[3:]]]
    assert "性别" not in sheet.column_letters
    assert rules(sheet) == [
        ("missing_column", Severity.ERROR, "性别"),
        ("unknown_column", Severity.HINT, "备注"),
    ]
    missing, unknown = sheet.findings
    assert missing.row is None
    assert pattern(msg.MISSING_REQUIRED_COLUMN).fullmatch(missing.message)
    assert "性别" in missing.message
    assert unknown.column_letter == "H"
    assert pattern(msg.UNKNOWN_COLUMN).fullmatch(unknown.message)


def test_missing_optional_column_is_a_hint():
    fields = list(STUDENTS.fields)
    fields[-1] = replace(fields[-1], required=False)
    schema = replace(STUDENTS, fields=tuple(fields))
    sheet = read_upload(xlsx([HEADERS[:-1], ROW_A[:-1]]), "1-6.xlsx", schema)
    assert rules(sheet) == [("missing_column", Severity.HINT, "入学年份")]
    assert pattern(msg.MISSING_OPTIONAL_COLUMN).fullmatch(sheet.findings[0].message)
    assert sheet.rows == [[*ROW_A[:-1], ""]]


def test_duplicate_column():
    sheet = read_upload(xlsx([[*HEADERS, "学号"], [*ROW_A, "x"]]), "1-6.xlsx", STUDENTS)
    assert rules(sheet) == [("duplicate_column", Severity.ERROR, "学号")]
    assert sheet.findings[0].column_letter == "I"
    assert sheet.rows == [ROW_A]


def test_no_header():
    rows = [["说明"]] * 21 + [HEADERS, ROW_A]
    sheet = read_upload(xlsx(rows), "1-6.xlsx", STUDENTS)
    assert sheet.rows == []
    assert rules(sheet) == [("header", Severity.ERROR, None)]
    assert pattern(msg.NO_HEADER).fullmatch(sheet.findings[0].message)


def test_values_are_normalised_per_field():
    row = [
        2023000001.0,
        "张三 ",
        " 男",
        "临床医学（５年）",
        "１００２０１K",
        "境内",
        2023.0,
        "2023年",
    ]
    sheet = read_upload(xlsx([HEADERS, row]), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [
        ["2023000001", "张三", "男", "临床医学（5年）", "100201K", "境内", "2023", "2023"]
    ]


def test_real_date_cells():
    headers = ["工号", "姓名", "出生年月", "入校时间"]
    rows = [
        headers,
        ["001", "王芳", date(1985, 3, 1), datetime(2010, 7, 15, 9, 30)],
        ["002", "赵强", 31107.0, "2011.9"],  # a serial without its date format, and text
    ]
    sheet = read_upload(xlsx(rows), "1-5-1.xlsx", STAFF)
    birth, joined = STAFF.headers.index("出生年月"), STAFF.headers.index("入校时间")
    assert [(r[0], r[birth], r[joined]) for r in sheet.rows] == [
        ("001", "1985-03", "2010-07"),
        ("002", "1985-03", "2011-09"),
    ]


# -- which sheet ------------------------------------------------------------------------------


def test_the_sheet_named_like_the_table_wins():
    book = xlsx([["封面"]], sheets=[(STUDENTS.sheet_name, [HEADERS, ROW_A])])
    sheet = read_upload(book, "1-6.xlsx", STUDENTS)
    assert sheet.sheet_name == STUDENTS.sheet_name
    assert sheet.rows == [ROW_A]


def test_else_the_sheet_whose_header_matches_best():
    book = xlsx([["封面"], ["说明"]], title="说明", sheets=[("数据", [HEADERS, ROW_A, ROW_B])])
    sheet = read_upload(book, "1-6.xlsx", STUDENTS)
    assert sheet.sheet_name == "数据"
    assert sheet.row_numbers == [2, 3]


# -- which template ---------------------------------------------------------------------------


def meta(table="表1-6", cycle=2026, version=1):
    return [("table", table), ("cycle", cycle), ("spec_version", version), ("generator", "caiji")]


def test_own_template_of_this_year_has_no_finding():
    sheet = read_upload(xlsx([HEADERS, ROW_A], meta=meta()), "1-6.xlsx", STUDENTS, expect_year=2026)
    assert sheet.findings == []


def test_another_tables_template():
    staff = STAFF.headers
    book = xlsx([staff, ["001", "王芳"]], meta=meta(table="表1-5-1"))
    sheet = read_upload(book, "x.xlsx", STUDENTS, expect_year=2026)
    finding = sheet.findings[0]
    assert (finding.rule, finding.severity) == ("template_table", Severity.ERROR)
    assert pattern(msg.OTHER_TABLE_TEMPLATE).fullmatch(finding.message)
    assert "表1-5-1" in finding.message and "表1-6" in finding.message
    assert "other_table" not in [f.rule for f in sheet.findings]  # said once, not twice


def test_another_years_template():
    sheet = read_upload(
        xlsx([HEADERS, ROW_A], meta=meta(cycle=2025)), "1-6.xlsx", STUDENTS, expect_year=2026
    )
    assert rules(sheet) == [("template_cycle", Severity.EXPLAIN, None)]
    assert pattern(msg.OTHER_YEAR_TEMPLATE).fullmatch(sheet.findings[0].message)
    assert "2025" in sheet.findings[0].message and "2026" in sheet.findings[0].message
    assert sheet.rows == [ROW_A]


def test_an_older_version_of_the_table():
    schema = replace(STUDENTS, spec_version=3)
    sheet = read_upload(
        xlsx([HEADERS, ROW_A], meta=meta(version=2)), "1-6.xlsx", schema, expect_year=2026
    )
    assert rules(sheet) == [("template_version", Severity.HINT, None)]


def test_a_sheet_named_caiji_from_elsewhere_is_ignored():
    book = xlsx([HEADERS, ROW_A], meta=[("table", "表1-5-1")])  # no generator row
    assert read_upload(book, "1-6.xlsx", STUDENTS).findings == []


def test_headers_of_another_table():
    staff = STAFF.headers
    sheet = read_upload(xlsx([staff, ["001", "王芳"]]), "x.xlsx", STUDENTS)
    finding = [f for f in sheet.findings if f.rule == "other_table"]
    assert len(finding) == 1 and finding[0].severity == Severity.HINT
    assert "表1-5-1" in finding[0].message
    assert pattern(msg.LOOKS_LIKE_OTHER_TABLE).fullmatch(finding[0].message)


def test_the_template_writers_file_reads_back():
    from collection.excel.template import build_template

    template = build_template(STUDENTS, cycle_year=2026)
    assert read_upload(template, "1-6.xlsx", STUDENTS, expect_year=2026).findings == []
    foreign = read_upload(template, "1-6.xlsx", STAFF)
    assert foreign.findings[0].rule == "template_table"
    older = read_upload(template, "1-6.xlsx", STUDENTS, expect_year=2027)
    assert [f.rule for f in older.findings] == ["template_cycle"]


# -- other formats ----------------------------------------------------------------------------


def test_xls():
    rows = [
        ["表1-6 本科生基本情况"],
        HEADERS,
        [2023000001.0, "张三", "男", "药学", "100701", "境内", 2023.0, 2023.0],
        [],
        ["2023000002", "李四", "女", "护理学", "101101", "留学生", date(2022, 9, 1), "2022"],
    ]
    sheet = read_upload(xls([(STUDENTS.sheet_name, rows)]), "1-6.xls", STUDENTS)
    assert sheet.header_row == 2
    assert sheet.row_numbers == [3, 5]
    assert sheet.rows == [ROW_A, ROW_B]


def test_content_decides_the_format_not_the_name():
    sheet = read_upload(xls([("S", [HEADERS, ROW_A])]), "1-6.xlsx", STUDENTS)
    assert sheet.rows == [ROW_A]
    sheet = read_upload(xlsx([HEADERS, ROW_A]), "1-6.xls", STUDENTS)
    assert sheet.rows == [ROW_A]


def csv_text(rows, delimiter=","):
    return "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_encodings(encoding):
    content = csv_text([["表1-6"], HEADERS, ROW_A, [], ROW_B]).encode(encoding)
    sheet = read_upload(content, "1-6.csv", STUDENTS)
    assert sheet.rows == [ROW_A, ROW_B]
    assert sheet.header_row == 2
    assert sheet.row_numbers == [3, 5]


def test_csv_with_tabs_and_quotes():
    row = [*ROW_A[:3], '"临床医学（5年）"', *ROW_A[4:]]
    content = csv_text([HEADERS, row], "\t").encode("utf-8")
    sheet = read_upload(content, "1-6.csv", STUDENTS)
    assert sheet.rows[0][3] == "临床医学（5年）"


def test_csv_utf16_text_from_excel():
    content = csv_text([HEADERS, ROW_A], "\t").encode("utf-16")
    assert read_upload(content, "1-6.txt", STUDENTS).rows == [ROW_A]


def test_data_row_limit():
    rows = [HEADERS] + [ROW_A] * 6
    with pytest.raises(RejectedFile) as refused:
        read_upload(xlsx(rows), "1-6.xlsx", STUDENTS, limits=Limits(max_rows=5))
    assert pattern(msg.TOO_MANY_DATA_ROWS).fullmatch(str(refused.value))
    assert "5" in str(refused.value)
    assert (
        len(read_upload(xlsx(rows[:6]), "1-6.xlsx", STUDENTS, limits=Limits(max_rows=5)).rows) == 5
    )


def test_limits_from_settings(settings):
    assert Limits.from_settings() == Limits()
    settings.CAIJI_UPLOAD_MAX_ROWS = 10
    settings.CAIJI_UPLOAD_MAX_BYTES = 1024
    assert Limits.from_settings() == Limits(max_rows=10, max_bytes=1024)


# -- control characters -----------------------------------------------------------------------

STAFF_LIST = TableSchema(
    code="表T-2",
    name="教职工（测试）",
    sheet_name="教职工",
    fields=(
        FieldSchema("工号", FieldType.TEXT, required=True, max_len=20),
        FieldSchema("姓名", FieldType.TEXT),
        FieldSchema("备注", FieldType.TEXT),
    ),
)
STAFF_HEADERS = ["工号", "姓名", "备注"]


def inline_book(rows):
    """Values written into <t> as they are: _xHHHH_ escapes and literal control characters."""
    return raw_xlsx(sheet_xml(inline_rows(rows)))


def test_a_nul_in_a_staff_id_is_removed_and_reported_as_an_error():
    # _x000D_ is a carriage return, as in Excel; _x005F_x0000_ is the escaped text "_x0000_".
    rows = [STAFF_HEADERS, ["T_x0000_001", "张三", "第一行_x000D_&#10;第二行\t_x005F_x0000_"]]
    with translation.override("zh-hans"):
        sheet = read_upload(inline_book(rows), "教职工.xlsx", STAFF_LIST)
    assert sheet.rows == [["T001", "张三", "第一行\r\n第二行\t_x0000_"]]  # tab, line breaks stay
    (finding,) = sheet.findings
    assert (finding.severity, finding.rule, finding.row, finding.column) == (
        Severity.ERROR,
        "control_char",
        2,
        "工号",
    )
    assert (finding.column_letter, finding.value) == ("A", "T001")
    for words in ("单元格 A2", "“工号”", "NUL", "控制字符", "删除", "重新输入"):
        assert words in finding.message, finding.message


def test_the_same_control_characters_give_the_same_findings_in_every_format():
    rows = [STAFF_HEADERS, ["\x1bT001", "张\x00三", "x\x7f"], ["T002\x1f", "李四", "\x85"]]
    expected = [["T001", "张三", "x"], ["T002", "李四", ""]]
    files = {
        "教职工.xlsx": inline_book(rows),
        "教职工.xls": xls([("教职工", rows)]),
        "教职工.csv": "\r\n".join(",".join(r) for r in rows).encode("utf-16"),
    }
    read = {}
    for name, content in files.items():
        with translation.override("zh-hans"):
            sheet = read_upload(content, name, STAFF_LIST)
        assert sheet.rows == expected, name
        found = sorted(sheet.findings, key=lambda f: f.row or 0)  # validate() sorts them so
        read[name] = [(f.rule, f.row, f.column, f.value, f.message) for f in found]
    assert read["教职工.xls"] == read["教职工.xlsx"] == read["教职工.csv"]
    assert [spot[:3] for spot in read["教职工.xlsx"]] == [
        ("control_char", 2, "工号"),
        ("control_char", 2, "姓名"),
        ("control_char", 2, "备注"),
        ("control_char", 3, "工号"),
        ("control_char", 3, "备注"),
    ]
    names = [message.split("（")[2].split("）")[0] for *_, message in read["教职工.xlsx"]]
    assert names == ["ESC", "NUL", "DEL", "U+001F", "U+0085"]


def test_a_line_break_inside_an_id_is_an_error_but_not_in_a_remark():
    rows = [STAFF_HEADERS, ["T0\n01", "张三", "第一行\n第二行"], ["\tT002\r\n", "李四", "完"]]
    sheet = read_upload(xls([("教职工", rows)]), "教职工.xls", STAFF_LIST)
    assert sheet.rows == [["T0\n01", "张三", "第一行\n第二行"], ["T002", "李四", "完"]]
    assert rules(sheet) == [("line_break_in_id", Severity.ERROR, "工号")]
    assert sheet.findings[0].row == 2


def test_control_characters_in_headers_and_sheet_names_are_dropped():
    rows = [["工号\x1b", "\x00姓名", "备注"], ["T001", "张三", ""]]
    sheet = read_upload(xls([("教职\x00工", rows)]), "教职工.xls", STAFF_LIST)
    assert (sheet.rows, sheet.findings, sheet.sheet_name) == ([["T001", "张三", ""]], [], "教职工")
    assert read_headers(xls([("S", rows)]), "t.xls") == ["工号", "姓名", "备注"]
    blank = read_upload(xls([("教职\x00工", [["x"]])]), "教职工.xls", STAFF_LIST)
    assert "\x00" not in blank.findings[0].message and "教职工" in blank.findings[0].message


# -- read_headers -----------------------------------------------------------------------------


def test_read_headers_of_official_templates():
    headers = ["学号 ", "学生\n姓名", "校内专业（大类）名称\u200b", None, "年级"]
    assert read_headers(xlsx([[], headers]), "t.xlsx") == [
        "学号",
        "学生姓名",
        "校内专业（大类）名称",
        "年级",
    ]
    assert read_headers(xls([("S", [[], headers])]), "t.xls") == [
        "学号",
        "学生姓名",
        "校内专业（大类）名称",
        "年级",
    ]
    with pytest.raises(RejectedFile):
        read_headers(b"<html></html>", "t.xls")


# -- messages ---------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _msgids() -> list[str]:
    tree = ast.parse((ROOT / "collection" / "excel" / "messages.py").read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "gettext_noop"
    ]


def test_every_message_has_a_chinese_translation_with_the_same_placeholders():
    translations = {}
    for pending in sorted((ROOT / "locale" / "pending").glob("*.json")):
        translations.update(json.loads(pending.read_text(encoding="utf-8")))
    po = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    translations.update({entry.msgid: entry.msgstr for entry in po if entry.translated()})
    msgids = _msgids()
    assert len(msgids) >= 30
    for msgid in msgids:
        assert msgid in translations, msgid
        chinese = translations[msgid]
        assert set(PLACEHOLDER.findall(chinese)) == set(PLACEHOLDER.findall(msgid)), msgid
        assert re.search(r"[\u4e00-\u9fff]", chinese), msgid


def test_field_schema_unchanged_contract():
    # The reader fills every field in schema order, "" for a missing column.
    schema = replace(STUDENTS, fields=(FieldSchema("学号", FieldType.TEXT),))
    sheet = read_upload(xlsx([["学号", "姓名"], ["1", "x"]]), "x.xlsx", schema)
    assert sheet.rows == [["1"]]
