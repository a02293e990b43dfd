"""The engine: every finding of an upload, located and ordered as the collector sees the file."""

import pytest

from collection.schema import (
    CycleDates,
    FieldSchema,
    FieldType,
    Finding,
    ParsedSheet,
    RuleSpec,
    Severity,
    TableSchema,
    catalog_schemas,
)
from collection.validation.engine import sort_findings, summarize, summary_text, validate

DATES = CycleDates.for_year(2026)

ROSTER = TableSchema(
    code="表T",
    name="学生",
    sheet_name="T",
    fields=(
        FieldSchema("学号", FieldType.TEXT, required=True, max_len=10),
        FieldSchema("性别", FieldType.CODE, required=True, codes=("男", "女")),
        FieldSchema("入学年份", FieldType.DATE, required=True, format="YYYY"),
        FieldSchema("学分", FieldType.DECIMAL),
    ),
    rules=(
        RuleSpec("表T#0", "unique", {"fields": ["学号"]}, "“学号”不能重复，请删除重复的行。"),
        RuleSpec(
            "表T#1",
            "date_vs_cycle",
            {"field": "入学年份", "op": "<", "ref": "year"},
            "“入学年份”应早于填报年度，请核对。",
        ),
        RuleSpec(
            "表T#2",
            "range",
            {"field": "学分", "max": 300},
            "“学分”超过 300，请说明原因。",
            severity=Severity.EXPLAIN,
        ),
    ),
)

# The collector moved 性别 to the front: the upload's letters differ from the schema's order.
LETTERS = {"性别": "A", "学号": "B", "入学年份": "C", "学分": "D"}


def upload(rows: list[list[str]], findings: list[Finding] | None = None) -> ParsedSheet:
    return ParsedSheet(
        schema=ROSTER,
        rows=rows,
        row_numbers=[4 + i for i in range(len(rows))],  # a title row, a header row, a help row
        column_letters=LETTERS,
        findings=findings or [],
        header_row=2,
    )


def located(findings: list[Finding]) -> list[tuple]:
    return [(f.row, f.column_letter, f.column, f.value, f.rule, f.severity) for f in findings]


def test_clean_upload_has_no_findings():
    sheet = upload([["2024001", "男", "2024", "120"], ["2024002", "女", "2025", ""]])
    assert validate(ROSTER, sheet, DATES) == []


def test_every_problem_is_reported_in_row_then_column_order():
    structural = Finding(Severity.ERROR, "缺少列“备注”。", rule="missing_column", column="备注")
    sheet = upload(
        [
            ["2024001", "M", "2026", "400"],  # bad code, year not before 2026, 学分 needs a word
            ["2024002", "女", "2025", "120"],
            ["2024001", "", "24", "abc"],  # duplicate, required, bad date, not a number
        ],
        findings=[structural],
    )
    assert located(validate(ROSTER, sheet, DATES)) == [
        (None, None, "备注", None, "missing_column", Severity.ERROR),
        (4, "A", "性别", "M", "code", Severity.ERROR),
        (4, "C", "入学年份", "2026", "表T#1", Severity.ERROR),
        (4, "D", "学分", "400", "表T#2", Severity.EXPLAIN),
        (6, "A", "性别", "", "required", Severity.ERROR),
        (6, "B", "学号", "2024001", "表T#0", Severity.ERROR),
        (6, "C", "入学年份", "24", "date", Severity.ERROR),
        (6, "D", "学分", "abc", "decimal", Severity.ERROR),
    ]


def test_messages_say_what_and_where():
    sheet = upload([["2024001", "男", "2024", ""], ["2024001", "男", "2030", ""]])
    duplicate, too_late = validate(ROSTER, sheet, DATES)
    # "与第 4 行重复。" once translated; the rule's own message follows.
    prefix, _, rest = duplicate.message.partition("“学号”不能重复")
    assert "4" in prefix and rest == "，请删除重复的行。"
    assert too_late.message == "“入学年份”应早于填报年度，请核对。"


def test_field_checks_come_before_rules_in_the_same_cell():
    schema = TableSchema(
        code="表T",
        name="学生",
        sheet_name="T",
        fields=(FieldSchema("学号", FieldType.TEXT, max_len=3),),
        rules=(RuleSpec("表T#0", "length", {"field": "学号", "min": 5}, "太短"),),
    )
    sheet = ParsedSheet(schema=schema, rows=[["1234"], ["12"]], row_numbers=[2, 3])
    assert [(f.row, f.rule) for f in validate(schema, sheet, DATES)] == [
        (2, "max_len"),
        (2, "表T#0"),
        (3, "表T#0"),
    ]


def test_sort_uses_schema_order_when_a_column_has_no_letter():
    findings = [
        Finding(Severity.ERROR, "b", row=5, column="入学年份"),
        Finding(Severity.ERROR, "a", row=5, column="学号"),
        Finding(Severity.HINT, "z", row=5, column="另一列"),
        Finding(Severity.ERROR, "c", row=2, column="学分", column_letter="AA"),
        Finding(Severity.ERROR, "d", row=2, column="学号", column_letter="Z"),
    ]
    assert [f.message for f in sort_findings(findings, ROSTER)] == ["d", "c", "a", "b", "z"]


def test_summary_counts_every_severity():
    sheet = upload([["2024001", "M", "2026", "400"], ["", "女", "2025", ""]])
    counts = summarize(validate(ROSTER, sheet, DATES))
    assert counts == {Severity.ERROR: 3, Severity.EXPLAIN: 1, Severity.HINT: 0}
    assert summarize([]) == {Severity.ERROR: 0, Severity.EXPLAIN: 0, Severity.HINT: 0}
    text = summary_text(counts)
    assert "3" in text and "1" in text and "0" in text


def test_many_rows_and_many_errors():
    rows = [[f"S{i:06d}", "男" if i % 2 else "X", "2020", ""] for i in range(5000)]
    findings = validate(ROSTER, upload(rows), DATES)
    assert len(findings) == 2500
    assert [f.row for f in findings] == [4 + i for i in range(0, 5000, 2)]


@pytest.mark.parametrize("code", list(catalog_schemas()))
def test_every_catalog_table_validates_blank_and_empty_sheets(code):
    schema = catalog_schemas()[code]
    blank = ParsedSheet(schema=schema, rows=[[""] * len(schema.fields)], row_numbers=[2])
    findings = validate(schema, blank, DATES)
    required = [f.name for f in schema.fields if f.required]
    assert [f.column for f in findings if f.rule == "required"] == required
    assert validate(schema, ParsedSheet(schema=schema, rows=[], row_numbers=[]), DATES) == []
