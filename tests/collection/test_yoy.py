"""Year over year, plain Python: which changes from last year ask for an explanation."""

from decimal import Decimal

from django.utils import translation

from collection.schema import FieldSchema, FieldType, Severity, TableSchema
from collection.services.yoy import Threshold, Thresholds, yoy_findings, yoy_summary

STAFF = TableSchema(
    code="表T",
    name="教职工",
    sheet_name="T",
    fields=(
        FieldSchema("工号", FieldType.TEXT),
        FieldSchema("姓名", FieldType.TEXT),
        FieldSchema("课时", FieldType.INT),
        FieldSchema("经费", FieldType.DECIMAL),
    ),
    key_fields=("工号",),
)
RECORD = TableSchema(
    code="表R",
    name="学校概况",
    sheet_name="R",
    fields=(
        FieldSchema("学校名称", FieldType.TEXT),
        FieldSchema("专任教师数", FieldType.INT),
        FieldSchema("占地面积", FieldType.DECIMAL),
    ),
    row_mode="single",
)
DEFAULT = Thresholds(Threshold(Decimal(20), Decimal(10)))


def staff(n: int, hours: int = 100, money: str = "1.5") -> list[list[str]]:
    return [[f"{i:04d}", f"教师{i}", str(hours), money] for i in range(n)]


def rules(findings):
    return sorted(f.rule for f in findings)


def test_a_row_count_change_beyond_the_threshold_needs_an_explanation():
    with translation.override("en"):
        found = yoy_findings(STAFF, staff(130), staff(100), DEFAULT)
    rows = [f for f in found if f.rule == "yoy.rows"]
    assert len(rows) == 1
    assert rows[0].severity == Severity.EXPLAIN
    assert rows[0].row is None and rows[0].column is None
    assert "100" in rows[0].message and "130" in rows[0].message and "+30.0%" in rows[0].message
    assert rows[0].value == "100 → 130"


def test_totals_per_numeric_field_and_only_beyond_the_threshold():
    last = staff(10, hours=100, money="10")
    found = yoy_findings(STAFF, staff(10, hours=125, money="11"), last, DEFAULT)
    # 课时 1000 → 1250 (+25 %) counts; 经费 100 → 110 (+10 %) does not; the row count is equal.
    assert rules(found) == ["yoy.total|课时"]
    assert found[0].column == "课时"


def test_the_floor_keeps_small_numbers_from_flapping():
    # 3 → 5 rows is +67 %, but only 2 rows: below the floor of 10.
    assert yoy_findings(STAFF, staff(5, hours=1), staff(3, hours=1), DEFAULT) == []
    # The same percentage with a big enough difference counts.
    assert "yoy.rows" in rules(yoy_findings(STAFF, staff(50, hours=1), staff(30, hours=1), DEFAULT))


def test_a_field_has_its_own_threshold_and_floor():
    own = Thresholds(
        DEFAULT.default,
        {"经费": Threshold(Decimal(5), Decimal(1)), "课时": Threshold(Decimal(50), Decimal(0))},
    )
    last = staff(10, hours=100, money="10")
    found = yoy_findings(STAFF, staff(10, hours=140, money="11"), last, own)
    # 经费 +10 % is beyond its 5 %; 课时 +40 % is within its 50 %.
    assert rules(found) == ["yoy.total|经费"]


def test_a_decrease_counts_like_an_increase():
    assert "yoy.rows" in rules(yoy_findings(STAFF, staff(60), staff(100), DEFAULT))


def test_from_zero_counts_when_the_change_reaches_the_floor():
    found = yoy_findings(STAFF, staff(20, hours=0), [], DEFAULT)
    assert "yoy.rows" in rules(found)
    with translation.override("en"):
        [rows] = [f for f in yoy_findings(STAFF, staff(20), [], DEFAULT) if f.rule == "yoy.rows"]
    assert "last year 0" in rows.message


def test_single_record_tables_compare_each_numeric_value():
    with translation.override("en"):
        found = yoy_findings(
            RECORD, [["齐鲁医药学院", "1050", "500"]], [["齐鲁", "820", "510"]], DEFAULT
        )
    assert rules(found) == ["yoy.value|专任教师数"]
    assert "820" in found[0].message and "1050" in found[0].message and "+28.0%" in found[0].message
    assert "±20%" in found[0].message


def test_single_record_tables_compare_only_the_units_own_fields():
    this, last = [["学院", "1050", "900"]], [["学院", "820", "500"]]
    assert rules(yoy_findings(RECORD, this, last, DEFAULT, fields=["占地面积"])) == [
        "yoy.value|占地面积"
    ]


def test_an_empty_value_is_not_compared():
    assert yoy_findings(RECORD, [["学院", "", "500"]], [["学院", "820", "500"]], DEFAULT) == []


def test_the_summary_counts_new_gone_and_changed_rows_by_key():
    last = [["0001", "李", "10", "1"], ["0002", "王", "10", "1"], ["0003", "赵", "10", "1"]]
    this = [["0001", "李", "10", "1"], ["0002", "王", "12", "1"], ["0004", "孙", "10", "1"]]
    summary = yoy_summary(STAFF, this, last, DEFAULT)
    assert (summary.new, summary.gone, summary.changed) == (1, 1, 1)
    assert summary.row_count.last == summary.row_count.this == 3
    hours = next(t for t in summary.totals if t.column == "课时")
    assert (hours.last, hours.this, hours.delta) == (30, 32, 2)
    assert summary.exceeding == []
