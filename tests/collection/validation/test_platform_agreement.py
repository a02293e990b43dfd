"""Data the platform accepted gets no 错误 from caiji (issue 13, item 5): a platform export read
and checked as an upload, the catalog's corrections (collection/catalog/corrections.json), code
lists known to be incomplete, and the rules that are typical values, not facts."""

import json
from pathlib import Path

import pytest

from collection.excel.normalize import normalize_cell
from collection.excel.reader import read_upload
from collection.schema import (
    CycleDates,
    FieldSchema,
    FieldType,
    ParsedSheet,
    Severity,
    TableSchema,
    catalog,
    catalog_schemas,
)
from collection.validation.engine import evaluate_rule, validate
from collection.validation.fields import check_fields
from scripts.rules_report import mapping_entries
from tests.collection.excel.files import xls

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXPORT = json.loads((HERE / "platform_export.json").read_text(encoding="utf-8"))["tables"]
CORRECTIONS = json.loads(
    (ROOT / "collection" / "catalog" / "corrections.json").read_text(encoding="utf-8")
)["tables"]
DATES = CycleDates.for_year(2026)


def checked(code: str) -> tuple[ParsedSheet, list]:
    table = EXPORT[code]
    schema = catalog_schemas()[code]
    sheet = read_upload(xls([(table["sheet"], table["rows"])]), f"{code}.xls", schema)
    return sheet, validate(schema, sheet, DATES)


@pytest.mark.parametrize("code", sorted(EXPORT))
def test_a_platform_export_gets_no_error(code):
    sheet, findings = checked(code)
    assert len(sheet.rows) == len(EXPORT[code]["rows"]) - 1
    errors = [
        (f.row, f.column, f.value, f.message) for f in findings if f.severity == Severity.ERROR
    ]
    assert errors == []


def test_what_the_platform_export_leaves_to_explain():
    """Nothing blocks; two values ask for a word: a share of 0.65 among percent numbers (0.65 % or
    65 %?) and 本科批, a 新高考 batch missing from the 2019 list of 批次."""
    _sheet, findings = checked("表7-1")
    assert [(f.severity, f.rule, f.column, f.value) for f in findings] == [
        (Severity.HINT, "percent_ambiguous", "学生评教差", "0.65")
    ]
    _sheet, findings = checked("表6-3-3")
    assert [(f.severity, f.rule, f.column, f.value) for f in findings] == [
        (Severity.EXPLAIN, "code_open", "批次", "本科批")
    ]
    for code in ("表3-5-3", "表6-6-1", "表6-6", "表3-4-2", "表5-4-3", "表3-1"):
        assert checked(code)[1] == [], code


def test_percentages_are_stored_as_the_platform_takes_them():
    sheet, _findings = checked("表6-6")
    row = dict(zip(catalog_schemas()["表6-6"].headers, sheet.rows[0], strict=True))
    assert (row["英语四级考试累计通过率"], row["体质合格率"]) == ("78.5", "94.8")


# ---------------------------------------------------------------------------------------------
# Code lists known to be incomplete

OPEN = FieldSchema("收录情况", FieldType.CODE, codes=("SCI", "EI"), code_list="PARTIAL·收录情况")
CLOSED = FieldSchema("性别", FieldType.CODE, codes=("男", "女"), code_list="性别")
TABLE = TableSchema("表X", "测试", "测试", (OPEN, CLOSED))


def test_a_value_outside_an_incomplete_list_asks_for_one_explanation_per_value():
    rows = [["北大核心", "男"], ["SCI", "女"], ["北大核心", "男"], ["其他", "男"]]
    findings = check_fields(TABLE, ParsedSheet(TABLE, rows, [2, 3, 4, 5]))
    assert [(f.severity, f.rule, f.row, f.value) for f in findings] == [
        (Severity.EXPLAIN, "code_open", 2, "北大核心"),
        (Severity.EXPLAIN, "code_open", 5, "其他"),
    ]


def test_a_value_outside_a_complete_list_is_still_an_error_on_every_row():
    rows = [["SCI", "男性"], ["SCI", "男性"]]
    findings = check_fields(TABLE, ParsedSheet(TABLE, rows, [2, 3]))
    assert [(f.severity, f.rule, f.row) for f in findings] == [
        (Severity.ERROR, "code", 2),
        (Severity.ERROR, "code", 3),
    ]


def test_qita_and_qita_are_the_same_code():
    """其它 (the 指标解释's spelling) and 其他 (the code list's) are one value."""
    teaching = catalog_schemas()["表1-5-2"].field("任教类型")
    assert normalize_cell("其它教学任务", teaching) == "其他教学任务"


# ---------------------------------------------------------------------------------------------
# The corrections are in the catalog


def test_every_correction_is_in_the_catalog():
    problems = []
    for code, table in CORRECTIONS.items():
        for name, fix in table["fields"].items():
            field = catalog_schemas()[code].field(name)
            assert fix.get("why") and fix.get("source"), (code, name)
            for value in fix.get("add_codes", []):
                if value not in field.codes:
                    problems.append(f"{code} {name}: {value} not added")
            for key in ("required", "format", "code_list"):
                if key in fix and getattr(field, key) != fix[key]:
                    problems.append(f"{code} {name}: {key} is {getattr(field, key)!r}")
            if "type" in fix and field.type != FieldType(fix["type"]):
                problems.append(f"{code} {name}: type is {field.type}")
    assert problems == []


@pytest.mark.parametrize(
    ("code", "name", "value"),
    [
        ("表3-5-3", "收录情况", "北大中文核心期刊"),
        ("表6-6-1", "项目级别", "其他级（含校级）"),
        ("表7-2-1", "级别", "其他级（含校级）"),
        ("表SF-3", "级别", "区县级"),
        ("表1-5-3", "工作单位类别", "基础教育学校"),
        ("表4-3", "优势专业类型", "国家级一流本科专业建设点"),
    ],
)
def test_values_real_data_uses_are_in_the_code_lists(code, name, value):
    assert value in catalog_schemas()[code].field(name).codes


def test_every_ratio_is_a_percent_field_and_long_remarks_are_optional():
    ratio_words = ("比例", "率", "百分比")
    for schema in catalog_schemas().values():
        for f in schema.fields:
            if f.type is FieldType.DECIMAL and any(w in f.name for w in ratio_words):
                assert f.percent, (schema.code, f.name)
            if f.type is FieldType.TEXT and f.name in ("备注", "说明"):
                assert not f.required, (schema.code, f.name)
    grades = [f for f in catalog_schemas()["表7-1"].fields if f.percent]
    assert len(grades) == 15


# ---------------------------------------------------------------------------------------------
# Rule severities

EXPERIENCE_WORDS = ("经验", "预警", "提示", "警告")


def test_no_experience_check_of_the_platform_is_an_error():
    """A catalog rule the platform calls 经验/预警/提示 explains, it does not block."""
    by_rule = {(t["code"], r["index"]): r for t in catalog()["tables"] for r in t["catalog_rules"]}
    for _file, entry in mapping_entries():
        source = by_rule[(entry["table"], entry["index"])]
        text = f"{source['type']} {source['rule']} {source['message']}"
        if any(word in text for word in EXPERIENCE_WORDS):
            for rule in entry.get("rules", []):
                assert rule.get("severity") in ("explain", "hint"), entry["table"]


@pytest.mark.parametrize(
    ("code", "row", "severity"),
    [
        ("表7-2-2", {"本人排名": "6"}, Severity.EXPLAIN),  # a typical team size, not a fact
        ("表7-2-2", {"本人排名": "0"}, Severity.ERROR),
        ("表1-4-2", {"分流时间": "12"}, Severity.EXPLAIN),
        ("表1-4-2", {"分流时间": "0"}, Severity.ERROR),
        ("表1-4-1", {"允许修业年限": "12"}, Severity.EXPLAIN),
    ],
)
def test_typical_bounds_explain_and_facts_block(code, row, severity):
    schema = catalog_schemas()[code]
    rules = [r for r in schema.rules if r.kind == "range" and r.params["field"] in row]
    sheet = ParsedSheet(schema, [[row.get(name, "") for name in schema.headers]], [2])
    found = [f for r in rules for f in evaluate_rule(r, schema, sheet, DATES)]
    assert [f.severity for f in found] == [severity]
