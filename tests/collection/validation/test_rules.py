"""Rule evaluators: each kind, each condition operator, and the errors a mapping mistake raises."""

import pytest

from collection.schema import (
    CycleDates,
    FieldSchema,
    FieldType,
    ParsedSheet,
    RuleSpec,
    Severity,
    TableSchema,
)
from collection.validation.rules import evaluate_rule

DATES = CycleDates.for_year(2026)  # 时点 2026-09-30, 学年 2025-09-01…2026-08-31, 自然年 2025

SCHEMA = TableSchema(
    code="表T",
    name="测试",
    sheet_name="T",
    fields=(
        FieldSchema("工号", FieldType.TEXT),
        FieldSchema("年份", FieldType.TEXT),
        FieldSchema("总数", FieldType.DECIMAL),
        FieldSchema("甲", FieldType.DECIMAL),
        FieldSchema("乙", FieldType.DECIMAL),
        FieldSchema("时间", FieldType.DATE),
        FieldSchema("开始", FieldType.DATE),
        FieldSchema("结束", FieldType.DATE),
        FieldSchema("类别", FieldType.TEXT),
        FieldSchema("名称", FieldType.TEXT),
        FieldSchema("年级", FieldType.DATE, format="YYYY", multi=True),
    ),
)
LETTERS = {name: chr(ord("A") + i) for i, name in enumerate(SCHEMA.headers)}


def sheet(*rows: dict[str, str]) -> ParsedSheet:
    return ParsedSheet(
        schema=SCHEMA,
        rows=[[row.get(name, "") for name in SCHEMA.headers] for row in rows],
        row_numbers=[3 + i for i in range(len(rows))],  # data starts below a two-row header
        column_letters=LETTERS,
    )


def run(kind: str, rows: list[dict[str, str]], **params):
    rule = RuleSpec(id="表T#0", kind=kind, params=params, message="请核对。")
    return evaluate_rule(rule, SCHEMA, sheet(*rows), DATES)


def failing_rows(kind: str, rows: list[dict[str, str]], **params) -> list[int]:
    return [finding.row for finding in run(kind, rows, **params)]


# unique


def test_unique_reports_every_duplicate_after_the_first():
    rows = [{"工号": "A1"}, {"工号": "B2"}, {"工号": "A1"}, {"工号": "A1"}]
    findings = run("unique", rows, fields=["工号"])
    assert [f.row for f in findings] == [5, 6]
    assert all("3" in f.message and f.message.endswith("请核对。") for f in findings)
    assert (findings[0].column, findings[0].column_letter, findings[0].value) == ("工号", "A", "A1")


def test_unique_with_a_composite_key():
    rows = [
        {"工号": "A1", "年份": "2024"},
        {"工号": "A1", "年份": "2025"},
        {"工号": "A1", "年份": "2024"},
    ]
    findings = run("unique", rows, fields=["工号", "年份"])
    assert [f.row for f in findings] == [5]
    assert findings[0].value == "A1、2024"


def test_unique_skips_rows_with_an_empty_key_part():
    rows = [{"工号": "A1"}, {"工号": "A1"}, {"工号": ""}, {"工号": ""}]
    assert failing_rows("unique", rows, fields=["工号", "年份"]) == []
    assert failing_rows("unique", rows, fields=["工号"]) == [4]


# compare


@pytest.mark.parametrize(
    ("op", "left", "right", "holds"),
    [
        ("=", "10", "10", True),
        ("=", "10", "11", False),
        ("!=", "10", "11", True),
        ("!=", "10", "10", False),
        ("<", "9", "10", True),
        ("<", "10", "10", False),
        ("<=", "10", "10", True),
        ("<=", "11", "10", False),
        (">", "11", "10", True),
        (">", "10", "10", False),
        (">=", "10", "10", True),
        (">=", "9", "10", False),
        ("=", "10", "10.004", True),  # within the tolerance of 0.005
        ("=", "10", "10.005", True),
        ("=", "10", "10.01", False),
        ("<", "10", "10.004", False),  # equal within the tolerance, so not less
        ("<=", "10.004", "10", True),
        ("=", "1,234.5", "1234.5", True),
    ],
)
def test_compare_each_op(op, left, right, holds):
    rows = [{"甲": left, "乙": right}]
    found = failing_rows("compare", rows, left={"field": "甲"}, op=op, right={"field": "乙"})
    assert found == ([] if holds else [3])


def test_compare_a_sum_with_decimals():
    rule = {"left": {"field": "总数"}, "op": "=", "right": {"sum": ["甲", "乙"]}}
    rows = [
        {"总数": "0.3", "甲": "0.1", "乙": "0.2"},
        {"总数": "10", "甲": "6", "乙": "4"},
        {"总数": "11", "甲": "6", "乙": "4"},
    ]
    findings = run("compare", rows, **rule)
    assert [(f.row, f.column, f.column_letter, f.value) for f in findings] == [
        (5, "总数", "C", "11")
    ]


def test_compare_is_skipped_when_a_value_is_empty_or_not_a_number():
    rule = {"left": {"field": "总数"}, "op": "=", "right": {"sum": ["甲", "乙"]}}
    rows = [{"总数": "10", "甲": "6"}, {"总数": "十", "甲": "6", "乙": "4"}, {"总数": ""}]
    assert failing_rows("compare", rows, **rule) == []


def test_compare_const_and_cycle_year():
    rows = [{"甲": "0"}, {"甲": "1"}]
    assert failing_rows("compare", rows, left={"field": "甲"}, op=">", right={"const": 0}) == [3]
    rows = [{"年份": "2026"}, {"年份": "2027"}]
    rule = {"left": {"field": "年份"}, "op": "<=", "right": {"cycle": "year"}}
    assert failing_rows("compare", rows, **rule) == [4]


def test_compare_when():
    rule = {
        "left": {"field": "甲"},
        "op": "=",
        "right": {"const": 1},
        "when": {"field": "总数", "op": ">", "value": 0},
    }
    rows = [{"总数": "0", "甲": "0.5"}, {"总数": "0.3", "甲": "0.5"}, {"总数": "0.3", "甲": "1"}]
    assert failing_rows("compare", rows, **rule) == [4]


def test_compare_reports_on_the_first_field_of_the_right_when_the_left_has_none():
    rows = [{"甲": "5"}]
    findings = run("compare", rows, left={"const": 10}, op="<", right={"field": "甲"})
    assert findings[0].column == "甲"


# range


@pytest.mark.parametrize(
    ("bounds", "value", "holds"),
    [
        ({"min": 0, "max": 1}, "0", True),
        ({"min": 0, "max": 1}, "1", True),
        ({"min": 0, "max": 1}, "0.5", True),
        ({"min": 0, "max": 1}, "1.2", False),
        ({"min": 0, "max": 1}, "-0.1", False),
        ({"min": 1}, "1000", True),
        ({"min": 1}, "0.5", False),
        ({"max": 5}, "-3", True),
        ({"max": 5}, "6", False),
        ({"min": 0, "max": 1}, "", True),
        ({"min": 0, "max": 1}, "很多", True),  # the field check reports text in a number field
    ],
)
def test_range(bounds, value, holds):
    assert failing_rows("range", [{"甲": value}], field="甲", **bounds) == ([] if holds else [3])


# date_vs_cycle


@pytest.mark.parametrize(
    ("value", "op", "ref", "holds"),
    [
        ("2025", "<", "year", True),
        ("2026", "<", "year", False),
        ("2026", "<=", "year", True),
        ("2026-12", "<=", "year", True),  # the year of a month against 填报年度
        ("2027-01", "<=", "year", False),
        ("2026-09", "<=", "snapshot", True),  # same month as 2026-09-30
        ("2026-10", "<=", "snapshot", False),
        ("202610", "<=", "snapshot", False),
        ("2026-09-30", "<=", "snapshot", True),
        ("2026-10-01", "<=", "snapshot", False),
        ("2025", "<=", "natural_end", True),  # 立项时间 <= 采集年度 - 1
        ("2026", "<=", "natural_end", False),
        ("2025-01-01", ">=", "natural_start", True),
        ("2024-12-31", ">=", "natural_start", False),
        ("2025-09-01", ">=", "academic_start", True),
        ("2025-08", ">=", "academic_start", False),
        ("2026-08-31", "<=", "academic_end", True),
        ("2026-09-01", "<=", "academic_end", False),
        ("2026", "=", "year", True),
        ("2025", "!=", "year", True),
        ("2027", ">", "year", True),
        ("2026", ">", "year", False),
        ("2026", ">=", "year", True),
        ("2026-02-30", "<", "year", True),  # not a real date: the field check reports it
        ("", "<", "year", True),
    ],
)
def test_date_vs_cycle(value, op, ref, holds):
    found = failing_rows("date_vs_cycle", [{"时间": value}], field="时间", op=op, ref=ref)
    assert found == ([] if holds else [3])


def test_date_vs_cycle_and_range_check_each_part_of_a_multi_value_cell():
    rows = [{"年级": "2024;2025"}, {"年级": "2025;2026"}, {"年级": "2026"}]
    rule = {"field": "年级", "op": "<=", "ref": "natural_end"}
    findings = run("date_vs_cycle", rows, **rule)
    assert [(f.row, f.value) for f in findings] == [(4, "2025;2026"), (5, "2026")]
    assert failing_rows("range", rows, field="年级", min=2025) == [3]


# date_order


@pytest.mark.parametrize(
    ("start", "end", "allow_equal", "holds"),
    [
        ("2024-01-01", "2024-06-30", True, True),
        ("2024-06-30", "2024-01-01", True, False),
        ("2024-06-30", "2024-06-30", True, True),
        ("2024-06-30", "2024-06-30", False, False),
        ("2024", "2024-05", True, True),  # compared at the coarser precision
        ("2024-05", "2023", True, False),
        ("2024-06", "202405", True, False),
        ("", "2024-01-01", True, True),
        ("2024-02-30", "2024-01-01", True, True),
    ],
)
def test_date_order(start, end, allow_equal, holds):
    rows = [{"开始": start, "结束": end}]
    findings = run("date_order", rows, earlier="开始", later="结束", allow_equal=allow_equal)
    assert [f.row for f in findings] == ([] if holds else [3])
    if findings:
        assert (findings[0].column, findings[0].value) == ("结束", end)


def test_date_order_allows_equal_by_default():
    rows = [{"开始": "2024-06", "结束": "2024-06"}]
    assert failing_rows("date_order", rows, earlier="开始", later="结束") == []


# conditional and each condition operator


def conditional(condition: dict, value: str) -> bool:
    """Whether ``condition`` on 甲 holds for ``value`` (the rule fails exactly then)."""
    then = {"field": "名称", "op": "blank"}
    return bool(
        failing_rows("conditional", [{"甲": value, "名称": "x"}], **{"if": condition, "then": then})
    )


@pytest.mark.parametrize(
    ("condition", "value", "holds"),
    [
        ({"op": "=", "value": "无"}, "无", True),
        ({"op": "=", "value": "无"}, "有", False),
        ({"op": "=", "value": 0}, "0.00", True),  # numeric when both sides are numbers
        ({"op": "=", "value": "0"}, "0.001", True),
        ({"op": "=", "value": 0}, "", False),
        ({"op": "!=", "value": "无"}, "有", True),
        ({"op": "!=", "value": "无"}, "无", False),
        ({"op": "!=", "value": 1}, "1.0", False),
        ({"op": "<", "value": 1}, "0.5", True),
        ({"op": "<", "value": 1}, "1", False),
        ({"op": "<", "value": 1}, "", False),  # an ordering needs a number
        ({"op": "<", "value": 1}, "少", False),
        ({"op": "<=", "value": 1}, "1", True),
        ({"op": "<=", "value": 1}, "2", False),
        ({"op": ">", "value": 0}, "0.3", True),
        ({"op": ">", "value": 0}, "0", False),
        ({"op": ">=", "value": 0}, "0", True),
        ({"op": ">=", "value": 0}, "-1", False),
        ({"op": "in", "values": ["国家级", "省部级"]}, "省部级", True),
        ({"op": "in", "values": ["国家级", "省部级"]}, "校级", False),
        ({"op": "in", "values": [1, 2]}, "2.0", True),
        ({"op": "not_in", "values": ["国家级", "省部级"]}, "校级", True),
        ({"op": "not_in", "values": ["国家级", "省部级"]}, "国家级", False),
        ({"op": "blank"}, "", True),
        ({"op": "blank"}, "x", False),
        ({"op": "not_blank"}, "x", True),
        ({"op": "not_blank"}, "", False),
    ],
)
def test_condition_operators(condition, value, holds):
    assert conditional({"field": "甲", **condition}, value) is holds


@pytest.mark.parametrize(
    ("value", "all_holds", "any_holds"),
    [("0.5", True, True), ("2", False, True), ("", False, True), ("-1", False, False)],
)
def test_all_and_any(value, all_holds, any_holds):
    parts = [{"field": "甲", "op": ">=", "value": 0}, {"field": "甲", "op": "<=", "value": 1}]
    assert conditional({"all": parts}, value) is all_holds
    either = [
        {"field": "甲", "op": "blank"},
        {"all": [parts[0], {"field": "甲", "op": ">", "value": 1}]},
    ]
    assert conditional({"any": [*either, {"all": parts}]}, value) is any_holds


def test_conditional_reports_on_the_then_field():
    rule = {
        "if": {"field": "类别", "op": "=", "value": "横向项目"},
        "then": {"field": "名称", "op": "=", "value": "无"},
    }
    rows = [
        {"类别": "横向项目", "名称": "无"},
        {"类别": "横向项目", "名称": "国家级"},
        {"类别": "纵向项目"},
    ]
    findings = run("conditional", rows, **rule)
    assert [(f.row, f.column, f.column_letter, f.value) for f in findings] == [
        (4, "名称", "J", "国家级")
    ]


# pattern and length


def test_pattern_matches_the_whole_text():
    rows = [{"工号": "123456"}, {"工号": "1234567"}, {"工号": "A12345"}, {"工号": ""}]
    assert failing_rows("pattern", rows, field="工号", regex=r"\d{6}", hint="6 位数字") == [4, 5]


def test_length_counts_characters():
    rows = [{"名称": "药学"}, {"名称": "药学院药学院"}, {"名称": "药"}, {"名称": ""}]
    assert failing_rows("length", rows, field="名称", min=2, max=5) == [4, 5]


# every finding carries its place, its rule and the rule's own message and severity


def test_finding_carries_rule_id_message_and_severity():
    rule = RuleSpec(
        id="表T#3.1",
        kind="range",
        params={"field": "甲", "max": 1, "examples": {"pass": [], "fail": []}},
        message="“甲”不能大于 1，请核对。",
        severity=Severity.EXPLAIN,
    )
    [finding] = evaluate_rule(rule, SCHEMA, sheet({}, {"甲": "2"}), DATES)
    assert finding.as_dict() == {
        "row": 4,
        "column": "甲",
        "column_letter": "D",
        "severity": "explain",
        "value": "2",
        "message": "“甲”不能大于 1，请核对。",
        "rule": "表T#3.1",
    }


# a mapping mistake raises ValueError when the rule is evaluated


@pytest.mark.parametrize(
    ("kind", "params", "complaint"),
    [
        ("uniq", {"fields": ["工号"]}, "unknown kind 'uniq'"),
        ("unique", {"fields": ["学号"]}, "no field '学号'"),
        ("unique", {"fields": "工号"}, "non-empty list"),
        ("unique", {}, "missing parameter"),
        ("compare", {"left": {"field": "丙"}, "op": "=", "right": {"const": 1}}, "no field '丙'"),
        ("compare", {"left": {"field": "甲"}, "op": "=", "right": {"sum": ["甲", "丁"]}}, "'丁'"),
        ("compare", {"left": {"field": "甲"}, "op": "==", "right": {"const": 1}}, "unknown op"),
        ("compare", {"left": {"field": "甲"}, "op": "=", "right": {"const": "1"}}, "const"),
        ("compare", {"left": {"field": "甲"}, "op": "=", "right": {"cycle": "snapshot"}}, "cycle"),
        (
            "compare",
            {"left": {"fld": "甲"}, "op": "=", "right": {"const": 1}},
            "unknown expression",
        ),
        ("compare", {"left": {"const": 1}, "op": "=", "right": {"const": 1}}, "compares no field"),
        ("range", {"field": "甲"}, "min or max"),
        ("range", {"field": "甲", "min": "0"}, "must be a number"),
        (
            "range",
            {"field": "甲", "max": 1, "when": {"field": "甲", "op": "blank"}},
            "unknown parameter",
        ),
        ("date_vs_cycle", {"field": "时间", "op": "<", "ref": "today"}, "unknown ref"),
        ("date_order", {"earlier": "开始", "later": "完成"}, "'完成'"),
        ("date_order", {"earlier": "开始", "later": "结束", "allow_equal": "yes"}, "allow_equal"),
        (
            "conditional",
            {"if": {"field": "戊", "op": "blank"}, "then": {"field": "甲", "op": "blank"}},
            "'戊'",
        ),
        (
            "conditional",
            {
                "if": {"all": [{"field": "甲", "op": "blank"}, {"field": "己", "op": "blank"}]},
                "then": {"field": "甲", "op": "blank"},
            },
            "'己'",
        ),
        (
            "conditional",
            {
                "if": {"field": "甲", "op": "like", "value": "x"},
                "then": {"field": "甲", "op": "blank"},
            },
            "unknown condition op",
        ),
        (
            "conditional",
            {
                "if": {"field": "甲", "op": "=", "values": ["x"]},
                "then": {"field": "甲", "op": "blank"},
            },
            "takes",
        ),
        (
            "conditional",
            {
                "if": {"field": "甲", "op": "in", "values": "x"},
                "then": {"field": "甲", "op": "blank"},
            },
            "list",
        ),
        (
            "conditional",
            {"if": {"any": []}, "then": {"field": "甲", "op": "blank"}},
            "non-empty list",
        ),
        ("pattern", {"field": "工号", "regex": "(\\d"}, "bad regex"),
    ],
)
def test_mapping_mistakes_raise(kind, params, complaint):
    with pytest.raises(
        ValueError, match=f"表T#0.*{complaint}" if "kind" not in complaint else complaint
    ):
        run(kind, [{}], **params)


def test_a_rule_without_a_message_raises():
    rule = RuleSpec(id="表T#0", kind="unique", params={"fields": ["工号"]}, message="")
    with pytest.raises(ValueError, match="no message"):
        evaluate_rule(rule, SCHEMA, sheet({}), DATES)


def test_an_unknown_field_raises_even_on_an_empty_sheet():
    rule = RuleSpec(
        id="表T#0", kind="range", params={"field": "不存在", "max": 1}, message="请核对。"
    )
    with pytest.raises(ValueError, match="不存在"):
        evaluate_rule(rule, SCHEMA, sheet(), DATES)
