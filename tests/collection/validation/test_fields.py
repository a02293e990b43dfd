"""Field checks: each check with values that pass and values that fail; no database."""

import ast
import json
import re
from pathlib import Path

import polib
import pytest

from collection.schema import FieldSchema, FieldType, ParsedSheet, TableSchema
from collection.validation.fields import cell_problems, check_fields, date_parts, to_number

ROOT = Path(__file__).resolve().parents[3]

F = FieldSchema
FIELDS = {
    "人数": F("人数", FieldType.INT),
    "金额": F("金额", FieldType.DECIMAL),
    "年份": F("年份", FieldType.DATE, format="YYYY"),
    "年月": F("年月", FieldType.DATE, format="YYYY-MM"),
    "紧凑年月": F("紧凑年月", FieldType.DATE, format="YYYYMM"),
    "日期": F("日期", FieldType.DATE, format="YYYY-MM-DD"),
    "任意日期": F("任意日期", FieldType.DATE),
    "是否": F("是否", FieldType.BOOL),
    "性别": F("性别", FieldType.CODE, codes=("男", "女")),
    "学科": F("学科", FieldType.CODE, codes=("工学", "理学", "医学"), multi=True),
    "年级": F("年级", FieldType.DATE, format="YYYY", multi=True),
    "未知代码": F("未知代码", FieldType.CODE),
    "网址": F("网址", FieldType.TEXT, format="url"),
    "电话": F("电话", FieldType.TEXT, format="mobile"),
    "邮箱": F("邮箱", FieldType.TEXT, format="email"),
    "名称": F("名称", FieldType.TEXT, max_len=5),
}

PASSING = [
    ("人数", "12"),
    ("人数", "12.0"),
    ("人数", "-3"),
    ("人数", "0"),
    ("金额", "12.5"),
    ("金额", "-0.25"),
    ("金额", "3"),
    ("金额", ".5"),
    ("年份", "2024"),
    ("年月", "2024-09"),
    ("年月", "2024-12"),
    ("紧凑年月", "202401"),
    ("日期", "2024-02-29"),
    ("日期", "2023-12-31"),
    ("任意日期", "2023"),
    ("任意日期", "2023-05-06"),
    ("是否", "是"),
    ("是否", "否"),
    ("性别", "男"),
    ("学科", "工学"),
    ("学科", "工学;医学"),
    ("学科", "工学; 医学;"),
    ("年级", "2021;2022"),
    ("未知代码", "随便什么"),
    ("网址", "https://www.example.edu.cn"),
    ("网址", "http://jwc.example.edu.cn:8080/index.html?a=1"),
    ("电话", "13812345678"),
    ("电话", "19912345678"),
    ("电话", "020-12345678"),
    ("电话", "0755-1234567"),
    ("电话", "0755-1234567-801"),
    ("邮箱", "name@example.edu.cn"),
    ("邮箱", "zhang.san+x@163.com"),
    ("名称", "药学院"),
    ("名称", "五个中文字"),  # five characters are fifteen bytes in UTF-8: still fits
]

FAILING = [
    ("人数", "12.5", "int"),
    ("人数", "十二", "int"),
    ("人数", "12人", "int"),
    ("人数", "1,234", "int"),
    ("金额", "12.5万", "decimal"),
    ("金额", "abc", "decimal"),
    ("金额", "1,234.5", "decimal"),
    ("年份", "24", "date"),
    ("年份", "2024年", "date"),
    ("年份", "0999", "date"),
    ("年份", "2024-09", "date"),
    ("年月", "2024-13", "date"),
    ("年月", "2024-00", "date"),
    ("年月", "202409", "date"),
    ("年月", "2024-9", "date"),
    ("紧凑年月", "2024-01", "date"),
    ("紧凑年月", "202413", "date"),
    ("日期", "2023-02-30", "date"),
    ("日期", "2023-02-29", "date"),
    ("日期", "2023/02/01", "date"),
    ("日期", "2023-02", "date"),
    ("任意日期", "2023-02-30", "date"),
    ("任意日期", "明年", "date"),
    ("是否", "Y", "bool"),
    ("是否", "是的", "bool"),
    ("性别", "M", "code"),
    ("性别", "男;女", "code"),
    ("学科", "工学;文学", "code"),
    ("学科", "工学，理学", "code"),
    ("年级", "2021;21", "date"),
    ("网址", "www.example.edu.cn", "url"),
    ("网址", "ftp://example.edu.cn", "url"),
    ("网址", "https://", "url"),
    ("电话", "1381234567", "mobile"),
    ("电话", "12812345678", "mobile"),
    ("电话", "12345678", "mobile"),
    ("电话", "138123456789", "mobile"),
    ("邮箱", "name.example.edu.cn", "email"),
    ("邮箱", "name@localhost", "email"),
    ("名称", "六个中文字符", "max_len"),
    ("名称", "abcdef", "max_len"),
]


@pytest.mark.parametrize(("name", "value"), PASSING)
def test_value_passes(name, value):
    assert cell_problems(FIELDS[name], value) == []


@pytest.mark.parametrize(("name", "value", "rule"), FAILING)
def test_value_fails_with_a_message_naming_column_and_value(name, value, rule):
    problems = cell_problems(FIELDS[name], value)
    assert [found_rule for found_rule, _message in problems] == [rule]
    message = problems[0][1]
    assert f"“{name}”" in message
    if rule != "max_len":
        assert value.split(";")[-1] in message or value in message


def test_multi_code_message_names_only_the_bad_parts():
    [(_rule, message)] = cell_problems(FIELDS["学科"], "工学;文学;史学;医学")
    assert "文学; 史学" in message
    assert "工学;" not in message


def test_max_len_counts_characters_and_says_how_many():
    [(_rule, message)] = cell_problems(FIELDS["名称"], "六个中文字符")
    assert "6" in message and "5" in message


def test_a_value_can_fail_several_checks():
    spec = F("网址", FieldType.TEXT, format="url", max_len=10)
    assert [rule for rule, _m in cell_problems(spec, "not a web address")] == ["url", "max_len"]


def test_empty_cells():
    required = F("学号", FieldType.TEXT, required=True)
    assert [rule for rule, _m in cell_problems(required, "")] == ["required"]
    assert cell_problems(F("人数", FieldType.INT), "") == []


def test_unknown_format_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown format"):
        cell_problems(F("x", FieldType.TEXT, format="phone"), "1")


def test_check_fields_reports_every_bad_cell_with_its_location():
    schema = TableSchema(
        code="表T",
        name="测试",
        sheet_name="T",
        fields=(
            F("学号", FieldType.TEXT, required=True, max_len=4),
            F("性别", FieldType.CODE, required=True, codes=("男", "女")),
            F("人数", FieldType.INT),
        ),
    )
    sheet = ParsedSheet(
        schema=schema,
        rows=[["1", "男", ""], ["", "M", "x"], ["12345", "M", "3"]],
        row_numbers=[4, 5, 7],
        column_letters={"学号": "B", "性别": "A", "人数": "C"},
    )
    found = {
        (f.row, f.column, f.column_letter, f.value, f.rule) for f in check_fields(schema, sheet)
    }
    assert found == {
        (5, "学号", "B", "", "required"),
        (5, "性别", "A", "M", "code"),
        (5, "人数", "C", "x", "int"),
        (7, "学号", "B", "12345", "max_len"),
        (7, "性别", "A", "M", "code"),
    }


def test_check_fields_of_an_empty_sheet():
    schema = TableSchema(code="表T", name="测试", sheet_name="T", fields=(F("a", FieldType.INT),))
    assert check_fields(schema, ParsedSheet(schema=schema, rows=[], row_numbers=[])) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), ("1,234.5", 1234.5), ("-0.5", -0.5), ("+3", 3.0), (" 7 ", 7.0), ("1e3", 1000.0)],
)
def test_to_number(text, number):
    assert to_number(text) == number


@pytest.mark.parametrize("text", ["", "abc", "12元", "nan", "inf", "1_000", "--1"])
def test_to_number_of_text(text):
    assert to_number(text) is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("2024", (2024,)),
        ("2024-09", (2024, 9)),
        ("202409", (2024, 9)),
        ("2024-09-30", (2024, 9, 30)),
        ("2024-02-30", None),
        ("2024-13", None),
        ("24-09", None),
    ],
)
def test_date_parts(text, parts):
    assert date_parts(text) == parts


# The msgids this package writes, and their Chinese (pending until merged into django.po).
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _msgids() -> list[str]:
    found = []
    for name in ["fields.py", "rules.py", "engine.py"]:
        tree = ast.parse((ROOT / "collection" / "validation" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in {"gettext", "gettext_noop"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append(node.args[0].value)
    return found


def _translations() -> dict[str, str]:
    pending = ROOT / "locale" / "pending" / "validation.json"
    found = json.loads(pending.read_text(encoding="utf-8")) if pending.exists() else {}
    po = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    found.update({entry.msgid: entry.msgstr for entry in po if entry.translated()})
    return found


def test_every_message_has_a_chinese_translation_with_the_same_placeholders():
    msgids = _msgids()
    assert len(msgids) >= 14
    translations = _translations()
    for msgid in msgids:
        assert msgid in translations, msgid
        chinese = translations[msgid]
        assert set(PLACEHOLDER.findall(chinese)) == set(PLACEHOLDER.findall(msgid)), msgid
        assert re.search(r"[\u4e00-\u9fff]", chinese), msgid
