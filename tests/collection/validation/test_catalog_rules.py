"""The rule mapping files: every example of every implemented rule, full coverage of the
catalog's rules, and docs/rules.md generated from them."""

from typing import Any

import pytest

from collection.schema import (
    CycleDates,
    ParsedSheet,
    TableSchema,
    catalog,
    catalog_schemas,
    rule_specs,
)
from collection.validation.crosstable import is_cross_table
from collection.validation.engine import evaluate_rule
from scripts.rules_report import DOC, generated_part, mapping_entries, render

# The mapping examples are written for the 2026 cycle: 填报年度 2026, 时点 2026-09-30,
# 学年 2025-09-01…2026-08-31, 自然年 2025.
DATES = CycleDates.for_year(2026)
STATUSES = {"implemented", "cross_table", "not_implemented"}


def _examples() -> list[Any]:
    params = []
    for _file_name, entry in mapping_entries():
        if entry.get("status") != "implemented":
            continue
        specs, _key = rule_specs([entry])
        for spec, raw in zip(specs, entry.get("rules", []), strict=True):
            if is_cross_table(spec):
                continue  # tests/collection/test_crosstable.py runs those with the other tables
            examples = raw.get("examples") or {}
            for outcome in ("pass", "fail"):
                for n, example in enumerate(examples.get(outcome, [])):
                    params.append(
                        pytest.param(
                            entry["table"], spec, outcome, example, id=f"{spec.id}-{outcome}{n}"
                        )
                    )
    return params


def _sheet(schema: TableSchema, example: dict[str, Any] | list[dict[str, Any]]) -> ParsedSheet:
    rows = example if isinstance(example, list) else [example]
    for row in rows:
        unknown = set(row) - set(schema.headers)
        assert not unknown, f"example names fields not in {schema.code}: {sorted(unknown)}"
    return ParsedSheet(
        schema=schema,
        rows=[[_text(row.get(name, "")) for name in schema.headers] for row in rows],
        row_numbers=[2 + i for i in range(len(rows))],
    )


def _text(value: Any) -> str:
    assert isinstance(value, str | int | float) and not isinstance(value, bool), value
    return value if isinstance(value, str) else str(value)


@pytest.mark.parametrize(("table", "spec", "outcome", "example"), _examples())
def test_mapping_example(table, spec, outcome, example):
    schema = catalog_schemas()[table]
    findings = evaluate_rule(spec, schema, _sheet(schema, example), DATES)
    if outcome == "pass":
        assert findings == [], f"{spec.id} should pass {example}: {findings}"
    else:
        assert findings, f"{spec.id} should fail {example}"


def test_every_catalog_rule_is_mapped_exactly_once():
    catalog_rules = {
        (table["code"], rule["index"])
        for table in catalog()["tables"]
        for rule in table["catalog_rules"]
    }
    seen: dict[tuple[str, int], str] = {}
    problems = []
    for file_name, entry in mapping_entries():
        key = (entry.get("table"), entry.get("index"))
        where = f"{file_name}: {key[0]} #{key[1]}"
        if key not in catalog_rules:
            problems.append(f"{where} is not a catalog rule")
        if key in seen:
            problems.append(f"{where} is also mapped in {seen[key]}")
        seen.setdefault(key, file_name)
        problems += [f"{where}: {p}" for p in _entry_problems(entry)]
    problems += [f"{t} #{i} is not mapped" for t, i in sorted(catalog_rules - set(seen))]
    assert not problems, "\n".join(problems)


def _entry_problems(entry: dict[str, Any]) -> list[str]:
    status = entry.get("status")
    if status not in STATUSES:
        return [f"status {status!r} is not one of {sorted(STATUSES)}"]
    if status != "implemented":
        return [] if str(entry.get("reason", "")).strip() else [f"{status} without a reason"]
    rules = entry.get("rules") or []
    if not rules:
        return ["implemented without rules"]
    problems = []
    for n, rule in enumerate(rules):
        examples = rule.get("examples") or {}
        if not examples.get("pass") or not examples.get("fail"):
            problems.append(f"rule {n} ({rule.get('kind')}) needs a pass and a fail example")
    return problems


def test_docs_rules_md_is_up_to_date():
    expected = render(catalog(), [entry for _name, entry in mapping_entries()])
    current = generated_part(DOC.read_text(encoding="utf-8"))
    assert current == expected, "docs/rules.md is out of date: run python -m scripts.rules_report"
