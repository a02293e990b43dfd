"""Making a row satisfy the table's rules: each rule kind has a fixer that changes the row
when the rule fails, applied until no fixer changes anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from collection.excel.normalize import number_text
from collection.sampledata.values import Ctx, Row, decimal_text, field_value, fit, format_date
from collection.schema import FieldType, RuleSpec, TableSchema
from collection.validation.fields import cell_problems, date_parts, to_number
from collection.validation.rules import numbers_compare

MAX_PASSES = 12


# ---------------------------------------------------------------------------------------------
# Rules


def numeric_text_fields(schema: TableSchema) -> set[str]:
    found: set[str] = set()
    for rule in schema.rules:
        if rule.kind == "compare":
            for side in ("left", "right"):
                found.update(_expression_fields(rule.params[side]))
    return {n for n in found if schema.field(n).type is FieldType.TEXT}


def _expression_fields(spec: dict[str, Any]) -> list[str]:
    if "field" in spec:
        return [spec["field"]]
    if "sum" in spec:
        return list(spec["sum"])
    return []


def _determined(schema: TableSchema) -> set[str]:
    """Fields fixed by an equality (a total): an inequality moves the other side instead."""
    return {
        rule.params["left"]["field"]
        for rule in schema.rules
        if rule.kind == "compare" and rule.params["op"] == "=" and "field" in rule.params["left"]
    }


def satisfy(schema: TableSchema, row: Row, ctx: Ctx) -> None:
    determined = _determined(schema)
    for _pass in range(MAX_PASSES):
        changed = False
        for rule in schema.rules:
            fixer = _FIXERS.get(rule.kind)
            if fixer is not None and fixer(rule, row, ctx, determined):
                changed = True
        if not changed:
            return


def _number(row: Row, name: str) -> float | None:
    return to_number(row[name])


def _put(row: Row, ctx: Ctx, name: str, value: float) -> bool:
    f = ctx.schema.field(name)
    value = max(value, 0.0)
    text = decimal_text(value) if f.type is FieldType.DECIMAL else str(int(value))
    if row[name] == text:
        return False
    row[name] = text
    return True


def _evaluate(spec: dict[str, Any], row: Row, ctx: Ctx) -> float | None:
    if "field" in spec:
        return _number(row, spec["field"])
    if "sum" in spec:
        numbers = [_number(row, n) for n in spec["sum"]]
        return None if any(n is None for n in numbers) else sum(n for n in numbers if n)
    if "const" in spec:
        return float(spec["const"])
    return float(ctx.dates.year)


def _is_whole(ctx: Ctx, names: list[str]) -> bool:
    return all(ctx.schema.field(n).type is not FieldType.DECIMAL for n in names)


def _scale(row: Row, ctx: Ctx, names: list[str], target: float) -> bool:
    """Set the fields so that they add up to ``target`` (keeping their proportions)."""
    values = [_number(row, n) or 0.0 for n in names]
    total = sum(values) or float(len(values))
    weights = values if sum(values) else [1.0] * len(values)
    whole = _is_whole(ctx, names)
    parts = []
    for w in weights[:-1]:
        share = w / total * target
        parts.append(float(int(share)) if whole else int(share * 100) / 100)
    parts.append(round(target - sum(parts), 0 if whole else 2))
    changed = False
    for name, part in zip(names, parts, strict=True):
        changed |= _put(row, ctx, name, part)
    return changed


def _fix_compare(rule: RuleSpec, row: Row, ctx: Ctx, determined: set[str]) -> bool:
    p = rule.params
    if "when" in p and not _holds(p["when"], row):
        return False
    left, right, op = _evaluate(p["left"], row, ctx), _evaluate(p["right"], row, ctx), p["op"]
    if left is None or right is None or numbers_compare(left, op, right):
        return False
    lspec, rspec = p["left"], p["right"]
    lfield, rfield = lspec.get("field"), rspec.get("field")
    step = 1.0
    if op == "=":
        if lfield:
            return _put(row, ctx, lfield, right)
        if "sum" in lspec:
            return _scale(row, ctx, list(lspec["sum"]), right)
        return bool(rfield) and _put(row, ctx, rfield, left)
    if op in (">=", ">"):
        want = right + (step if op == ">" else 0)
        if lfield and lfield not in determined:
            return _put(row, ctx, lfield, want if op == ">=" else max(want, right * 1.2))
        room = left - (step if op == ">" else 0)
        if rfield:
            return _put(row, ctx, rfield, room * (0.6 if op == ">" else 1))
        if "sum" in rspec:
            return _scale(row, ctx, list(rspec["sum"]), room)
        return False
    if op in ("<=", "<"):
        room = right - (step if op == "<" else 0)
        if lfield and lfield not in determined and room >= 0:
            return _put(row, ctx, lfield, room if op == "<=" else right * 0.6)
        if rfield and rfield not in determined:
            return _put(row, ctx, rfield, left + step)
        if "sum" in lspec and room >= 0:
            return _scale(row, ctx, list(lspec["sum"]), room)
    return False


def _fix_range(rule: RuleSpec, row: Row, ctx: Ctx, determined: set[str]) -> bool:
    name = rule.params["field"]
    number = _number(row, name)
    if number is None:
        return False
    low, high = rule.params.get("min"), rule.params.get("max")
    if low is not None and number < low:
        return _put(row, ctx, name, float(low))
    if high is not None and number > high:
        return _put(row, ctx, name, float(high))
    return False


_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _fix_date_vs_cycle(rule: RuleSpec, row: Row, ctx: Ctx, determined: set[str]) -> bool:
    name, op, ref = rule.params["field"], rule.params["op"], rule.params["ref"]
    parts = date_parts(row[name].split(";")[0])
    if parts is None:
        return False
    day = date(ctx.dates.year, 6, 1) if ref == "year" else getattr(ctx.dates, ref)
    target = (ctx.dates.year,) if ref == "year" else (day.year, day.month, day.day)
    n = min(len(parts), len(target))
    if _OPS[op](parts[:n], target[:n]):
        return False
    fmt = ctx.schema.field(name).format or "YYYY-MM-DD"
    if op in ("<", ">"):
        day = _shift(day, fmt, -1 if op == "<" else 1)
    row[name] = format_date(day, fmt)
    return True


def _shift(day: date, fmt: str, sign: int) -> date:
    if fmt == "YYYY":
        return date(day.year + sign, 6, 1)
    if fmt in ("YYYY-MM", "YYYYMM"):
        month = day.year * 12 + day.month - 1 + sign
        return date(month // 12, month % 12 + 1, 1)
    return day + timedelta(days=sign)


def _fix_date_order(rule: RuleSpec, row: Row, ctx: Ctx, determined: set[str]) -> bool:
    """Move the earlier date back to the later one (rules bound start dates from above)."""
    earlier, later = rule.params["earlier"], rule.params["later"]
    first, second = date_parts(row[earlier]), date_parts(row[later])
    if first is None or second is None:
        return False
    n = min(len(first), len(second))
    allow_equal = rule.params.get("allow_equal", True)
    if first[:n] < second[:n] or (allow_equal and first[:n] == second[:n]):
        return False
    day = date(*(*second, 1, 1)[:3])
    fmt = ctx.schema.field(earlier).format or "YYYY-MM-DD"
    if not allow_equal:
        day = _shift(day, fmt, -1)
    row[earlier] = format_date(day, fmt)
    return True


def _fix_conditional(rule: RuleSpec, row: Row, ctx: Ctx, determined: set[str]) -> bool:
    if not _holds(rule.params["if"], row) or _holds(rule.params["then"], row):
        return False
    return _make_hold(rule.params["then"], row, ctx)


def _holds(spec: dict[str, Any], row: Row) -> bool:
    if "all" in spec:
        return all(_holds(part, row) for part in spec["all"])
    if "any" in spec:
        return any(_holds(part, row) for part in spec["any"])
    cell, op = row[spec["field"]].strip(), spec["op"]
    if op == "blank":
        return not cell
    if op == "not_blank":
        return bool(cell)
    if op in ("in", "not_in"):
        inside = any(_equal(cell, v) for v in spec["values"])
        return inside if op == "in" else not inside
    value = spec["value"]
    a, b = to_number(cell), to_number(str(value))
    if a is not None and b is not None:
        return numbers_compare(a, op, b)
    return cell == str(value) if op == "=" else (cell != str(value) if op == "!=" else False)


def _equal(cell: str, value: object) -> bool:
    a, b = to_number(cell), to_number(str(value))
    if a is not None and b is not None:
        return numbers_compare(a, "=", b)
    return cell == str(value)


def _make_hold(spec: dict[str, Any], row: Row, ctx: Ctx) -> bool:
    if "all" in spec:
        changed = False
        for part in spec["all"]:
            if not _holds(part, row):
                changed |= _make_hold(part, row, ctx)
        return changed
    if "any" in spec:
        for part in spec["any"]:
            trial = dict(row)
            if (
                _make_hold(part, trial, ctx)
                and _holds(part, trial)
                and _valid_cell(part, trial, ctx)
            ):
                row.update(trial)
                return True
        return False
    name, op = spec["field"], spec["op"]
    f = ctx.schema.field(name)
    if op in ("=", "in"):
        wanted = spec["value"] if op == "=" else spec["values"][0]
        row[name] = number_text(float(wanted)) if isinstance(wanted, int | float) else str(wanted)
        return True
    if op in ("!=", "not_in"):
        banned = [spec["value"]] if op == "!=" else spec["values"]
        candidates = [c for c in f.codes if not any(_equal(c, b) for b in banned)]
        fresh = field_value(f, ctx) if not candidates else ctx.rng.choice(candidates)
        if any(_equal(fresh, b) for b in banned):
            fresh = f"{fresh}1"
        row[name] = fit(f, fresh)
        return True
    if op == "not_blank":
        row[name] = field_value(f, ctx)
        return True
    if op == "blank":
        row[name] = ""
        return True
    return False


def _valid_cell(spec: dict[str, Any], row: Row, ctx: Ctx) -> bool:
    name = spec.get("field")
    return name is None or not cell_problems(ctx.schema.field(name), row[name])


_FIXERS: dict[str, Callable[[RuleSpec, Row, Ctx, set[str]], bool]] = {
    "compare": _fix_compare,
    "range": _fix_range,
    "date_vs_cycle": _fix_date_vs_cycle,
    "date_order": _fix_date_order,
    "conditional": _fix_conditional,
}


def make_unique(schema: TableSchema, rows: list[Row]) -> None:
    """Number a text field of a repeated key (单位号 2003 → 200302) until every key is unique."""
    for rule in schema.rules:
        if rule.kind != "unique":
            continue
        names = list(rule.params["fields"])
        texts = [
            n for n in names if schema.field(n).type is FieldType.TEXT and not schema.field(n).multi
        ]
        if not texts:
            continue
        seen: set[tuple[str, ...]] = set()
        for i, row in enumerate(rows):
            key = tuple(row[n] for n in names)
            if key in seen:
                row[texts[0]] = fit(schema.field(texts[0]), f"{row[texts[0]]}{i + 1:02d}")
                key = tuple(row[n] for n in names)
            seen.add(key)
