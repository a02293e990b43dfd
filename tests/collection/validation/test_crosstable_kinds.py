"""The cross-table rule kinds (collection/validation/crosstable.py) on small hand-made tables:
pairing of multi-valued cells, exempt values, tables without data, aggregates per key."""

import pytest
from django.utils import translation

from collection.schema import (
    FieldSchema,
    FieldType,
    Finding,
    ParsedSheet,
    RuleSpec,
    Severity,
    TableSchema,
)
from collection.validation.crosstable import (
    TableData,
    crosscheck,
    evaluate_cross_rule,
    referenced_tables,
)

UNITS_A = TableData("表A", "党政单位", ["单位号", "名称"], [["001", "教务处"]])
UNITS_B = TableData(
    "表B", "教学科研单位", ["单位号", "名称"], [["101", "药学院"], ["102", "护理学院"]]
)
STAFF = TableData(
    "表S", "教职工", ["工号", "姓名", "专业"], [["T1", "张明", "M1"], ["T2", "刘强", "M1"]]
)


def rule(kind, severity=Severity.ERROR, **params):
    return RuleSpec(id="表X#0", kind=kind, params=params, message="请核对。", severity=severity)


def table(headers, rows, multi=(), row_numbers=None, letters=None):
    return TableData("表X", "本表", headers, rows, frozenset(multi), row_numbers, letters or {})


UNIT_RULE = rule(
    "exists_in",
    fields=["单位号", "单位名称"],
    tables=[
        {"table": "表A", "fields": ["单位号", "名称"]},
        {"table": "表B", "fields": ["单位号", "名称"]},
    ],
    skip={"单位号": ["000"]},
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_exists_in_finds_the_pair_in_any_listed_table():
    own = table(
        ["单位号", "单位名称"],
        [["001", "教务处"], ["101", "药学院"], ["101", "护理学院"], ["000", "校外"], ["", "空"]],
        row_numbers=[5, 6, 7, 8, 9],
        letters={"单位号": "C"},
    )
    findings, not_checked = evaluate_cross_rule(UNIT_RULE, own, {"表A": UNITS_A, "表B": UNITS_B})
    assert not_checked is None
    # 000 is exempt; an empty 单位号 is left to the field checks
    assert findings == [
        Finding(
            severity=Severity.ERROR,
            message="请核对。",
            row=7,
            column="单位号",
            column_letter="C",
            value="101、护理学院",
            rule="表X#0",
            other_tables=("表A", "表B"),
        )
    ]
    assert findings[0].as_dict()["other_tables"] == ["表A", "表B"]


def test_a_single_table_finding_is_stored_as_before():
    finding = Finding(severity=Severity.HINT, message="m", row=2, rule="r")
    assert "other_tables" not in finding.as_dict()


def test_multi_valued_cells_pair_part_by_part():
    multi_rule = rule(
        "exists_in",
        fields=["单位号", "单位名称"],
        tables=[{"table": "表B", "fields": ["单位号", "名称"]}],
    )
    own = table(
        ["单位号", "单位名称"],
        [["101;102", "药学院;护理学院"], ["101;102", "护理学院;药学院"], ["101;102", "药学院"]],
        multi={"单位号", "单位名称"},
    )
    findings, _none = evaluate_cross_rule(multi_rule, own, {"表B": UNITS_B})
    assert [(f.row, f.value) for f in findings] == [
        (3, "101、护理学院；102、药学院"),  # swapped names
        (4, "102、"),  # two numbers but one name
    ]


def test_the_other_tables_multi_valued_cells_count_one_by_one():
    courses = TableData(
        "表C", "开课", ["开课号", "工号"], [["K1", "T1;T2"]], multi=frozenset({"工号"})
    )
    own = table(["开课号", "工号"], [["K1", "T2"], ["K1", "T3"]])
    spec = rule(
        "exists_in",
        fields=["开课号", "工号"],
        tables=[{"table": "表C", "fields": ["开课号", "工号"]}],
    )
    findings, _none = evaluate_cross_rule(spec, own, {"表C": courses})
    assert [f.value for f in findings] == ["K1、T3"]


def test_where_keeps_only_some_rows_of_the_other_table():
    majors = TableData("表M", "专业", ["代码", "师范"], [["M1", "S"], ["M2", "无"]])
    spec = rule(
        "exists_in",
        fields=["代码"],
        tables=[
            {"table": "表M", "fields": ["代码"], "where": {"field": "师范", "values": ["S", "J"]}}
        ],
    )
    findings, _none = evaluate_cross_rule(spec, table(["代码"], [["M1"], ["M2"]]), {"表M": majors})
    assert [f.value for f in findings] == ["M2"]


def test_without_one_of_the_tables_only_the_undecided_rows_are_not_checked():
    own = table(["单位号", "单位名称"], [["001", "教务处"], ["101", "药学院"], ["109", "某学院"]])
    findings, not_checked = evaluate_cross_rule(UNIT_RULE, own, {"表A": UNITS_A})
    assert findings == []  # 101 and 109 may be in 表B: no error without its data
    assert not_checked is not None
    assert (not_checked.tables, not_checked.rows) == (("表B",), 2)
    assert "表B" in not_checked.message


def test_without_any_table_the_rule_does_not_run():
    own = table(["单位号", "单位名称"], [["109", "某学院"]])
    result = crosscheck(_schema(UNIT_RULE, ["单位号", "单位名称"]), own, {})
    assert result.findings == []
    assert result.rules_run == []
    assert [(n.rule, n.tables, n.rows) for n in result.not_checked] == [
        ("表X#0", ("表A", "表B"), None)
    ]
    assert result.not_checked[0].message == "表A、表B: no data yet, not checked."


def test_not_in_names_the_other_tables_row():
    spec = rule("not_in", fields=["工号"], tables=[{"table": "表S", "fields": ["工号"]}])
    own = table(["工号", "姓名"], [["W1", "王五"], ["T2", "刘强"]])
    findings, not_checked = evaluate_cross_rule(spec, own, {"表S": STAFF})
    assert not_checked is None
    assert [(f.row, f.value) for f in findings] == [(3, "T2")]
    assert findings[0].message == "Also in 表S 教职工, row 3.请核对。"


def test_not_in_without_the_other_table_is_not_checked():
    spec = rule("not_in", fields=["工号"], tables=[{"table": "表S", "fields": ["工号"]}])
    findings, not_checked = evaluate_cross_rule(spec, table(["工号"], [["T2"]]), {})
    assert findings == [] and not_checked is not None and not_checked.rows is None


def test_aggregate_compare_counts_the_rows_matching_each_row():
    spec = rule(
        "aggregate_compare",
        severity=Severity.EXPLAIN,
        left={"field": "人数"},
        op="<=",
        right={"table": "表S", "count": True, "match": {"专业代码": "专业"}},
    )
    own = table(
        ["专业代码", "人数"], [["M1", "2"], ["M1", "3"], ["M9", "1"], ["M9", "0"], ["M1", ""]]
    )
    findings, _none = evaluate_cross_rule(spec, own, {"表S": STAFF})
    # M1 has two rows in 表S, M9 none; an empty number is left to the field checks
    assert [(f.row, f.value, f.severity) for f in findings] == [
        (3, "3", Severity.EXPLAIN),
        (4, "1", Severity.EXPLAIN),
    ]
    assert findings[0].message.startswith("表S 教职工 gives 2.")


def test_aggregate_compare_with_a_sum_of_a_single_record_table():
    area = TableData("表2-1", "占地与建筑面积", ["总建筑面积"], [["50000"]])
    spec = rule(
        "aggregate_compare",
        left={"sum": ["甲", "乙"]},
        op="<",
        right={"table": "表2-1", "sum": "总建筑面积"},
    )
    own = table(["甲", "乙"], [["45000", "5000"]])
    findings, _none = evaluate_cross_rule(spec, own, {"表2-1": area})
    assert [f.column for f in findings] == ["甲"]
    ok, _none = evaluate_cross_rule(spec, table(["甲", "乙"], [["40000", "5000"]]), {"表2-1": area})
    assert ok == []
    # the other table not filled in: nothing to compare with
    empty = TableData("表2-1", "占地与建筑面积", ["总建筑面积"], [])
    assert evaluate_cross_rule(spec, own, {"表2-1": empty})[0] == []


def test_count_of_all_rows():
    spec = rule(
        "aggregate_compare", left={"field": "站数"}, op="=", right={"table": "表S", "count": True}
    )
    findings, _none = evaluate_cross_rule(spec, table(["站数"], [["3"]]), {"表S": STAFF})
    assert findings[0].message.startswith("表S 教职工 gives 2.")
    assert evaluate_cross_rule(spec, table(["站数"], [["2"]]), {"表S": STAFF})[0] == []


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (
            {"fields": ["工号"], "tables": [{"table": "表S", "fields": ["工号"]}], "extra": 1},
            "unknown parameter",
        ),
        ({"fields": ["工号"]}, "missing parameter"),
        (
            {"fields": ["工号"], "tables": [{"table": "表S", "fields": ["编号"]}]},
            "no field '编号' in 表S",
        ),
        (
            {"fields": ["无此列"], "tables": [{"table": "表S", "fields": ["工号"]}]},
            "no field '无此列' in 表X",
        ),
        (
            {"fields": ["工号"], "tables": [{"table": "表S", "fields": ["工号", "姓名"]}]},
            "lists 2 fields",
        ),
        (
            {"fields": ["工号"], "tables": [{"table": "表S", "fields": ["工号"]}], "skip": ["000"]},
            "skip must",
        ),
    ],
)
def test_a_mapping_mistake_is_an_error_not_a_silent_pass(params, problem):
    with pytest.raises(ValueError, match=problem):
        evaluate_cross_rule(rule("exists_in", **params), table(["工号"], [["T1"]]), {"表S": STAFF})


def test_table_data_from_a_parsed_sheet_keeps_rows_and_letters():
    schema = TableSchema(
        code="表X",
        name="本表",
        sheet_name="X",
        fields=(
            FieldSchema("工号", FieldType.TEXT),
            FieldSchema("姓名", FieldType.TEXT, multi=True),
        ),
    )
    sheet = ParsedSheet(schema, [["T9", "某"]], [7], {"工号": "B"})
    data = TableData.from_sheet(sheet)
    assert (data.row_number(0), data.column_letters, data.multi) == (7, {"工号": "B"}, {"姓名"})


def test_referenced_tables():
    assert referenced_tables(UNIT_RULE) == ("表A", "表B")
    spec = rule(
        "aggregate_compare", left={"field": "a"}, op="=", right={"table": "表S", "count": True}
    )
    assert referenced_tables(spec) == ("表S",)


def _schema(spec, headers):
    return TableSchema(
        code="表X",
        name="本表",
        sheet_name="X",
        fields=tuple(FieldSchema(h, FieldType.TEXT) for h in headers),
        rules=(spec,),
    )
