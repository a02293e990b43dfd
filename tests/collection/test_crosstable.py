"""The catalog's cross-table rules: every pass and fail example of every mapped rule, run with
the other tables' data it gives; without that data the rule reports "not checked", never an
error."""

from typing import Any

import pytest

from collection.schema import (
    CycleDates,
    ParsedSheet,
    Severity,
    TableSchema,
    catalog_schemas,
    rule_specs,
)
from collection.validation.crosstable import (
    CROSS_TABLE_KINDS,
    TableData,
    crosscheck,
    evaluate_cross_rule,
    is_cross_table,
    referenced_tables,
)
from collection.validation.engine import validate
from scripts.rules_report import mapping_entries


def _cross_rules() -> list[tuple[str, Any, dict[str, Any]]]:
    found = []
    for _file_name, entry in mapping_entries():
        if entry.get("status") != "implemented":
            continue
        specs, _key = rule_specs([entry])
        for spec, raw in zip(specs, entry.get("rules", []), strict=True):
            if is_cross_table(spec):
                found.append((entry["table"], spec, raw))
    return found


CROSS_RULES = _cross_rules()


def _examples() -> list[Any]:
    params = []
    for table, spec, raw in CROSS_RULES:
        for outcome in ("pass", "fail"):
            for n, example in enumerate((raw.get("examples") or {}).get(outcome, [])):
                params.append(
                    pytest.param(table, spec, outcome, example, id=f"{spec.id}-{outcome}{n}")
                )
    return params


def _data(schema: TableSchema, rows: list[dict[str, str]]) -> TableData:
    for row in rows:
        unknown = set(row) - set(schema.headers)
        assert not unknown, f"example names fields not in {schema.code}: {sorted(unknown)}"
        assert all(isinstance(v, str) for v in row.values()), row
    return TableData.from_rows(
        schema, schema.headers, [[row.get(name, "") for name in schema.headers] for row in rows]
    )


def _others(spec, example: dict[str, Any]) -> dict[str, TableData]:
    """Every table the rule reads, with the example's rows (none when the example gives none)."""
    given = example.get("tables", {})
    assert set(given) <= set(referenced_tables(spec)), f"{spec.id}: example names other tables"
    schemas = catalog_schemas()
    return {code: _data(schemas[code], given.get(code, [])) for code in referenced_tables(spec)}


@pytest.mark.parametrize(("table", "spec", "outcome", "example"), _examples())
def test_mapping_example(table, spec, outcome, example):
    own = _data(catalog_schemas()[table], example["rows"])
    findings, not_checked = evaluate_cross_rule(spec, own, _others(spec, example))
    assert not_checked is None
    if outcome == "pass":
        assert findings == [], f"{spec.id} should pass {example}: {findings}"
    else:
        assert findings, f"{spec.id} should fail {example}"
        # Each finding links to the other tables and says which they are.
        assert {f.other_tables for f in findings} == {referenced_tables(spec)}
        for code in referenced_tables(spec):
            assert f"{code} {catalog_schemas()[code].name}" in findings[0].message


@pytest.mark.parametrize(
    ("table", "spec", "raw"), CROSS_RULES, ids=[spec.id for _t, spec, _r in CROSS_RULES]
)
def test_without_the_other_tables_a_rule_is_not_checked(table, spec, raw):
    example = raw["examples"]["fail"][0]
    own = _data(catalog_schemas()[table], example["rows"])
    findings, not_checked = evaluate_cross_rule(spec, own, {})
    assert findings == []
    assert not_checked is not None
    assert not_checked.tables == referenced_tables(spec)
    assert "未核对" in not_checked.message or "not checked" in not_checked.message


def test_the_catalog_maps_every_cross_table_rule():
    statuses = [entry.get("status") for _name, entry in mapping_entries()]
    assert "cross_table" not in statuses  # each is implemented or not_implemented with a reason
    # 100 in the 2019 set; 10 went with the tables the 2024 numbering leaves out, or read one
    # (collection/catalog/evidence-2024.json, scripts/renumber_rules_2024.py).
    assert len(CROSS_RULES) == 90
    assert {spec.kind for _t, spec, _r in CROSS_RULES} == CROSS_TABLE_KINDS


def test_every_cross_table_rule_names_real_fields():
    """The fields a rule reads exist in the catalog's tables, on both sides (also checked by
    evaluation, but only for the tables an example supplies)."""
    schemas = catalog_schemas()
    for table, spec, _raw in CROSS_RULES:
        full = {code: _data(schemas[code], []) for code in referenced_tables(spec)}
        evaluate_cross_rule(spec, _data(schemas[table], []), full)


def test_single_table_validation_skips_cross_table_rules():
    """An upload's own check never runs a cross-table rule: 表3-1 with a 工号 unknown anywhere
    validates exactly as before."""
    schema = catalog_schemas()["表3-1"]
    assert any(is_cross_table(rule) for rule in schema.rules)
    sheet = ParsedSheet(
        schema=schema,
        rows=[["999999", "王五", "校长", "2010-09", "全面工作"]],
        row_numbers=[2],
    )
    findings = validate(schema, sheet, CycleDates.for_year(2026))
    assert [f for f in findings if f.other_tables] == []


def test_crosscheck_runs_every_cross_table_rule_of_a_table():
    schemas = catalog_schemas()
    schema = schemas["表5-1-1"]
    own = _data(
        schema, [{"开课号": "K1", "课程名称": "药理学", "单位号": "109", "开课单位": "某学院"}]
    )
    units = {
        "表1-2": _data(schemas["表1-2"], [{"单位号": "001", "党政单位名称": "教务处"}]),
        "表1-3": _data(schemas["表1-3"], [{"单位号": "101", "教学科研单位名称": "药学院"}]),
    }
    result = crosscheck(schema, own, units)
    assert [(f.rule, f.row, f.column, f.value) for f in result.findings] == [
        ("表5-1-1#2", 2, "单位号", "109、某学院")
    ]
    assert result.findings[0].severity == Severity.ERROR
    assert result.not_checked == []
    assert result.rules_run == ["表5-1-1#2"]
