"""Sample rows that agree with the other tables of a cycle (the cross-table rules).

``sample_rows`` makes each table's rows on their own, so a 工号 of 表3-1 is not a teacher of
表1-5-1. ``consistent_rows(schema, rows, others, dates)`` changes rows of one table so that its
cross-table rules hold against ``others`` ({table code: (headers, rows)}, the tables filled so
far; a table missing there is not looked at, as the check reports it "not checked"):

- ``exists_in``: a row whose key is in none of the listed tables takes the key of a row of the
  first listed table that has rows (matching ``where``), row i from row i (cycling), together
  with every field of the same name in both tables (单位名称 travels with 单位号), so that rules
  of the same row over overlapping fields agree;
- ``not_in``: a key found in a listed table gets a new number beyond the other table's;
- ``aggregate_compare``: the row's number is moved (like an in-table compare) to agree with the
  other table's sum or count.
The table's own rules are then satisfied again. Plain Python, like the rest of the package.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from collection.sampledata.rules import _fix_compare, _put, numeric_text_fields, satisfy
from collection.sampledata.values import Ctx
from collection.schema import CycleDates, FieldType, RuleSpec, TableSchema
from collection.validation.fields import to_number

Other = tuple[Sequence[str], Sequence[Sequence[str]]]
MAX_PASSES = 4


def consistent_rows(
    schema: TableSchema,
    rows: list[list[str]],
    others: Mapping[str, Other],
    dates: CycleDates,
    borrowed: Sequence[RuleSpec] = (),
) -> list[list[str]]:
    """``rows`` changed so that ``schema``'s cross-table rules hold against ``others``.
    ``borrowed``: ``exists_in`` rules of other tables over fields this table has too (表5-1-1's
    授课教师工号 checked like 表SF-9's), so that tables reading this one can agree with both."""
    names = list(schema.headers)
    found = [dict(zip(names, row, strict=True)) for row in rows]
    rng = random.Random(f"{schema.code}|consistent")
    numeric_text = frozenset(numeric_text_fields(schema))
    cross = [r for r in schema.rules if r.kind in ("exists_in", "not_in", "aggregate_compare")]
    cross = [*borrowed, *cross]
    for _pass in range(MAX_PASSES):
        changed = False
        for rule in cross:
            for i, row in enumerate(found):
                if rule.kind == "exists_in":
                    changed |= _exists(schema, rule, row, i, others)
                elif rule.kind == "not_in":
                    changed |= _not_in(rule, row, i, others)
                else:
                    ctx = Ctx(schema, dates, rng, i, len(found), 0, numeric_text)
                    changed |= _aggregate(rule, row, ctx, others)
        for i, row in enumerate(found):
            satisfy(schema, row, Ctx(schema, dates, rng, i, len(found), 0, numeric_text))
        if not changed:
            break
    return [[row[n] for n in names] for row in found]


def _records(other: Other, where: Any = None) -> list[dict[str, str]]:
    headers, rows = other
    records = [dict(zip(headers, row, strict=False)) for row in rows]
    if where:
        allowed = {str(v) for v in where["values"]}
        records = [r for r in records if r.get(where["field"], "") in allowed]
    return records


def _skipped(rule: RuleSpec, row: dict[str, str]) -> bool:
    skip = rule.params.get("skip") or {}
    return any(row.get(name, "") in {str(v) for v in values} for name, values in skip.items())


def _exists(
    schema: TableSchema,
    rule: RuleSpec,
    row: dict[str, str],
    i: int,
    others: Mapping[str, Other],
) -> bool:
    fields = list(rule.params["fields"])
    if _skipped(rule, row) or any(not row.get(f, "") for f in fields):
        return False
    key = tuple(row[f] for f in fields)
    candidates = []
    for spec in rule.params["tables"]:
        if spec["table"] not in others:
            return False  # not checked: leave the row alone
        records = _records(others[spec["table"]], spec.get("where"))
        if any(tuple(r.get(f, "") for f in spec["fields"]) == key for r in records):
            return False
        if records:
            candidates.append((spec, records))
    if not candidates:
        return False
    spec, records = candidates[0]
    source = records[i % len(records)]
    for own, theirs in zip(fields, spec["fields"], strict=True):
        row[own] = source.get(theirs, "")
    for name in set(row) & set(source):
        f = schema.field(name)
        if name not in fields and source[name] and f.type is FieldType.TEXT and not f.codes:
            row[name] = source[name]  # plain text only: another table's codes may differ
    return True


def _not_in(rule: RuleSpec, row: dict[str, str], i: int, others: Mapping[str, Other]) -> bool:
    fields = list(rule.params["fields"])
    if len(fields) != 1 or _skipped(rule, row):
        return False
    name, changed = fields[0], False
    for spec in rule.params["tables"]:
        if spec["table"] not in others:
            continue
        taken = {r.get(spec["fields"][0], "") for r in _records(others[spec["table"]])}
        if row[name] in taken:
            numbers = [int(v) for v in taken if v.isdigit()]
            width = len(row[name])
            new = str(max(numbers, default=0) + 1 + i).zfill(width)
            row[name], changed = new, True
    return changed


def _aggregate(rule: RuleSpec, row: dict[str, str], ctx: Ctx, others: Mapping[str, Other]) -> bool:
    right = rule.params["right"]
    if right["table"] not in others:
        return False
    match = right.get("match", {})
    records = [
        r
        for r in _records(others[right["table"]])
        if all(
            r.get(theirs, "").strip() == row.get(own, "").strip() for own, theirs in match.items()
        )
    ]
    if "count" in right:
        figure = float(len(records))
    else:
        numbers = [to_number(r.get(right["sum"], "")) for r in records]
        figure = sum(n for n in numbers if n is not None)
    compare = RuleSpec(
        id=rule.id,
        kind="compare",
        params={"left": rule.params["left"], "op": rule.params["op"], "right": {"const": figure}},
        message=rule.message,
    )
    left = _left_value(rule.params["left"], row)
    if rule.params["op"] in ("<", "<=") and left and figure > 0 and left >= figure:
        # Scale every number the table's compare rules read: a total recomputed from its
        # parts then stays below the other table's figure.
        return _scale_row(rule, row, ctx, figure * 0.5 / left)
    return _fix_compare(compare, row, ctx, set())


def _left_value(spec: dict[str, Any], row: dict[str, str]) -> float | None:
    names = [spec["field"]] if "field" in spec else list(spec.get("sum", []))
    numbers = [to_number(row.get(n, "")) for n in names]
    return None if None in numbers else sum(n for n in numbers if n is not None)


def _scale_row(rule: RuleSpec, row: dict[str, str], ctx: Ctx, factor: float) -> bool:
    """Scale the fields the table's compare rules and this rule read, so that sums and
    inequalities between them still hold (a total recomputed from its parts stays small)."""
    names = set(_expression_names(rule.params["left"]))
    for other in ctx.schema.rules:
        if other.kind == "compare":
            names |= set(_expression_names(other.params["left"]))
            names |= set(_expression_names(other.params["right"]))
    changed = False
    for name in names:
        number = to_number(row.get(name, ""))
        if number:
            changed |= _put(row, ctx, name, number * factor)
    return changed


def _expression_names(spec: dict[str, Any]) -> list[str]:
    if "field" in spec:
        return [spec["field"]]
    return list(spec.get("sum", []))


def borrowable(schema: TableSchema, schemas: Sequence[TableSchema]) -> list[RuleSpec]:
    """The ``exists_in`` rules of the other ``schemas`` whose fields ``schema`` has too (none
    of them its key), that do not read ``schema`` itself and filter nothing."""
    names = set(schema.headers)
    return [
        rule
        for other in schemas
        if other.code != schema.code
        for rule in other.rules
        if rule.kind == "exists_in"
        and set(rule.params["fields"]) <= names
        and not rule.params.get("skip")
        and not set(rule.params["fields"]) & set(schema.key_fields)  # a roster keeps its keys
        and all(t["table"] != schema.code and not t.get("where") for t in rule.params["tables"])
    ]
