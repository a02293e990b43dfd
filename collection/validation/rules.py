"""Evaluators for the declarative rule kinds of docs/rules.md.

A rule is checked against its parameters when it is evaluated: an unknown kind, field, operator
or parameter raises ValueError, so a mapping mistake fails the example tests instead of passing
silently. Rows whose values a rule cannot read (empty, not a number, not a date) are skipped:
the field checks already report those cells.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext

from collection.schema import CycleDates, Finding, ParsedSheet, RuleSpec, TableSchema
from collection.validation.fields import date_parts, split_multi, to_number

Row = list[str]
Number = Callable[[Row], "float | None"]
Condition = Callable[[Row], bool]

TOLERANCE = 0.005  # decimals are typed with two places; sums of them may differ by rounding
_EPSILON = 1e-9  # so that a difference of exactly 0.005 counts as equal despite float error

COMPARE_OPS = ("=", "!=", "<", "<=", ">", ">=")
CYCLE_REFS = ("year", "snapshot", "academic_start", "academic_end", "natural_start", "natural_end")
_ORDER = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def numbers_compare(left: float, op: str, right: float, tolerance: float = TOLERANCE) -> bool:
    """``left op right`` where values within ``tolerance`` are equal."""
    equal = abs(left - right) <= tolerance + _EPSILON
    if op == "=":
        return equal
    if op == "!=":
        return not equal
    if op in ("<=", ">="):
        return equal or _ORDER[op](left, right)
    return not equal and _ORDER[op](left, right)


@dataclass
class _Context:
    rule: RuleSpec
    schema: TableSchema
    sheet: ParsedSheet
    cycle: CycleDates
    indexes: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.indexes = {name: i for i, name in enumerate(self.schema.headers)}

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"rule {self.rule.id} ({self.rule.kind}): {problem}")

    def param(self, name: str) -> Any:
        return self.rule.params[name]

    def index(self, name: Any) -> int:
        if not isinstance(name, str) or name not in self.indexes:
            raise self.fail(f"no field {name!r} in {self.schema.code}")
        return self.indexes[name]

    def finding(self, i: int, column: str, value: str, prefix: str = "") -> Finding:
        return Finding(
            severity=self.rule.severity,
            message=prefix + self.rule.message,
            row=self.sheet.row_numbers[i],
            column=column,
            column_letter=self.sheet.column_letters.get(column),
            value=value,
            rule=self.rule.id,
        )

    def row_findings(self, column: str, failing: Condition) -> list[Finding]:
        j = self.index(column)
        return [
            self.finding(i, column, row[j]) for i, row in enumerate(self.sheet.rows) if failing(row)
        ]


Evaluator = Callable[[_Context], list[Finding]]

# Required and optional parameters per kind; "examples" belongs to the tests.
_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    "unique": ({"fields"}, set()),
    "compare": ({"left", "op", "right"}, {"when", "tolerance"}),
    "range": ({"field"}, {"min", "max"}),
    "date_vs_cycle": ({"field", "op", "ref"}, set()),
    "date_order": ({"earlier", "later"}, {"allow_equal"}),
    "conditional": ({"if", "then"}, set()),
    "pattern": ({"field", "regex"}, {"hint"}),
    "length": ({"field"}, {"min", "max"}),
}


def evaluate_rule(
    rule: RuleSpec, schema: TableSchema, sheet: ParsedSheet, cycle: CycleDates
) -> list[Finding]:
    """The findings of one rule over every row of the sheet."""
    if rule.kind not in _EVALUATORS:
        raise ValueError(
            f"rule {rule.id}: unknown kind {rule.kind!r}; expected one of {', '.join(_EVALUATORS)}"
        )
    context = _Context(rule, schema, sheet, cycle)
    required, optional = _PARAMS[rule.kind]
    given = set(rule.params) - {"examples"}
    if missing := required - given:
        raise context.fail(f"missing parameter(s) {', '.join(sorted(missing))}")
    if unknown := given - required - optional:
        raise context.fail(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    if not rule.message:
        raise context.fail("no message")
    return _EVALUATORS[rule.kind](context)


def _unique(ctx: _Context) -> list[Finding]:
    names = ctx.param("fields")
    if not isinstance(names, list) or not names:
        raise ctx.fail("fields must be a non-empty list of field names")
    # itemgetter builds the keys in C: a bare value for one field, a tuple for several.
    keys = list(map(operator.itemgetter(*(ctx.index(name) for name in names)), ctx.sheet.rows))
    repeated = {
        key
        for key, count in Counter(keys).items()
        if count > 1 and "" not in (key if isinstance(key, tuple) else (key,))
    }
    first_row: dict[Any, int] = {}
    findings = []
    template = gettext("Duplicate of row %(row)s.")
    for i, key in enumerate(keys):
        if key in repeated:
            first = first_row.setdefault(key, i)
            if first != i:
                prefix = template % {"row": ctx.sheet.row_numbers[first]}
                value = "、".join(key) if isinstance(key, tuple) else key
                findings.append(ctx.finding(i, names[0], value, prefix))
    return findings


def _compare(ctx: _Context) -> list[Finding]:
    op = _op(ctx, ctx.param("op"))
    left = _expression(ctx, ctx.param("left"))
    right = _expression(ctx, ctx.param("right"))
    when = _condition(ctx, ctx.rule.params["when"]) if "when" in ctx.rule.params else None
    columns = _fields_in(ctx.param("left")) + _fields_in(ctx.param("right"))
    if not columns:
        raise ctx.fail("compares no field")
    tolerance = _bound(ctx, "tolerance")
    tolerance = TOLERANCE if tolerance is None else tolerance

    def failing(row: Row) -> bool:
        if when is not None and not when(row):
            return False
        a, b = left(row), right(row)
        return a is not None and b is not None and not numbers_compare(a, op, b, tolerance)

    return ctx.row_findings(columns[0], failing)


def _range(ctx: _Context) -> list[Finding]:
    low, high = _bound(ctx, "min"), _bound(ctx, "max")
    if low is None and high is None:
        raise ctx.fail("needs min or max")

    def outside(number: float) -> bool:
        return (low is not None and numbers_compare(number, "<", low)) or (
            high is not None and numbers_compare(number, ">", high)
        )

    return _per_value(ctx, ctx.param("field"), to_number, outside, by_part=True)


def _date_vs_cycle(ctx: _Context) -> list[Finding]:
    compare = _ORDER[_op(ctx, ctx.param("op"))]
    ref = ctx.param("ref")
    if ref not in CYCLE_REFS:
        raise ctx.fail(f"unknown ref {ref!r}; expected one of {', '.join(CYCLE_REFS)}")
    if ref == "year":
        target: tuple[int, ...] = (ctx.cycle.year,)
    else:
        day: date = getattr(ctx.cycle, ref)
        target = (day.year, day.month, day.day)

    def wrong(parts: tuple[int, ...]) -> bool:
        # Compare at the coarser precision: a year against a year, a month against a month.
        n = min(len(parts), len(target))
        return not compare(parts[:n], target[:n])

    return _per_value(ctx, ctx.param("field"), date_parts, wrong, by_part=True)


def _date_order(ctx: _Context) -> list[Finding]:
    earlier, later = ctx.index(ctx.param("earlier")), ctx.index(ctx.param("later"))
    allow_equal = ctx.rule.params.get("allow_equal", True)
    if not isinstance(allow_equal, bool):
        raise ctx.fail("allow_equal must be true or false")
    in_order = operator.le if allow_equal else operator.lt

    def failing(row: Row) -> bool:
        first, second = date_parts(row[earlier]), date_parts(row[later])
        if first is None or second is None:
            return False
        n = min(len(first), len(second))
        return not in_order(first[:n], second[:n])

    return ctx.row_findings(ctx.param("later"), failing)


def _conditional(ctx: _Context) -> list[Finding]:
    premise = _condition(ctx, ctx.param("if"))
    conclusion = _condition(ctx, ctx.param("then"))
    column = _fields_in(ctx.param("then"))[0]
    return ctx.row_findings(column, lambda row: premise(row) and not conclusion(row))


def _pattern(ctx: _Context) -> list[Finding]:
    regex = ctx.param("regex")
    try:
        compiled = re.compile(regex)
    except (re.error, TypeError) as exc:
        raise ctx.fail(f"bad regex {regex!r}: {exc}") from exc
    # The whole text must match, so "\\d{6}" does not accept "1234567".
    return _per_value(
        ctx, ctx.param("field"), lambda text: text, lambda t: not compiled.fullmatch(t)
    )


def _length(ctx: _Context) -> list[Finding]:
    low, high = _bound(ctx, "min"), _bound(ctx, "max")
    if low is None and high is None:
        raise ctx.fail("needs min or max")

    def wrong(text: str) -> bool:
        return (low is not None and len(text) < low) or (high is not None and len(text) > high)

    return _per_value(ctx, ctx.param("field"), lambda text: text, wrong)


def _per_value(
    ctx: _Context,
    column: str,
    read: Callable[[str], Any],
    wrong: Callable[[Any], bool],
    by_part: bool = False,
) -> list[Finding]:
    """Findings for the non-empty cells of one column whose read value is ``wrong``; each
    distinct text is judged once. With ``by_part``, a multi-value cell (2021;2022) is wrong
    when any of its parts is."""
    j = ctx.index(column)
    split = by_part and ctx.schema.fields[j].multi
    rows = ctx.sheet.rows
    bad = set()
    for text in set(map(operator.itemgetter(j), rows)) - {""}:
        for part in split_multi(text) if split else [text]:
            value = read(part)
            if value is not None and wrong(value):
                bad.add(text)
                break
    if not bad:
        return []
    return [ctx.finding(i, column, row[j]) for i, row in enumerate(rows) if row[j] in bad]


def _op(ctx: _Context, op: Any) -> str:
    if op not in COMPARE_OPS:
        raise ctx.fail(f"unknown op {op!r}; expected one of {' '.join(COMPARE_OPS)}")
    return str(op)


def _bound(ctx: _Context, name: str) -> float | None:
    value = ctx.rule.params.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ctx.fail(f"{name} must be a number, not {value!r}")
    return value


def _expression(ctx: _Context, spec: Any) -> Number:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ctx.fail(f"an expression is one of field, sum, const, cycle; got {spec!r}")
    ((kind, arg),) = spec.items()
    if kind == "field":
        j = ctx.index(arg)
        return lambda row: to_number(row[j])
    if kind == "sum":
        if not isinstance(arg, list) or not arg:
            raise ctx.fail("sum needs a non-empty list of field names")
        indexes = [ctx.index(name) for name in arg]
        return lambda row: _sum(row, indexes)
    if kind == "const":
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            raise ctx.fail(f"const must be a number, not {arg!r}")
        return lambda row: float(arg)
    if kind == "cycle":
        if arg != "year":
            raise ctx.fail(f'cycle expression must be {{"cycle": "year"}}, not {arg!r}')
        year = float(ctx.cycle.year)
        return lambda row: year
    raise ctx.fail(f"unknown expression {kind!r}")


def _sum(row: Row, indexes: list[int]) -> float | None:
    total = 0.0
    for j in indexes:
        number = to_number(row[j])
        if number is None:
            return None
        total += number
    return total


def _fields_in(spec: Any) -> list[str]:
    """Field names an expression or condition reads, in order (for the finding's column)."""
    if isinstance(spec, dict):
        if "field" in spec:
            return [spec["field"]]
        if "sum" in spec and isinstance(spec["sum"], list):
            return list(spec["sum"])
        for combined in ("all", "any"):
            if isinstance(spec.get(combined), list):
                return [name for part in spec[combined] for name in _fields_in(part)]
    return []


def _condition(ctx: _Context, spec: Any) -> Condition:
    if isinstance(spec, dict) and len(spec) == 1 and ("all" in spec or "any" in spec):
        ((combine, parts),) = spec.items()
        if not isinstance(parts, list) or not parts:
            raise ctx.fail(f"{combine} needs a non-empty list of conditions")
        conditions = [_condition(ctx, part) for part in parts]
        if combine == "all":
            return lambda row: all(c(row) for c in conditions)
        return lambda row: any(c(row) for c in conditions)
    if not isinstance(spec, dict) or "field" not in spec or "op" not in spec:
        raise ctx.fail(f"a condition has field and op, or is all/any; got {spec!r}")
    return _field_condition(ctx, spec)


def _field_condition(ctx: _Context, spec: dict[str, Any]) -> Condition:
    j, op = ctx.index(spec["field"]), spec["op"]
    expected = {"blank": set(), "not_blank": set(), "in": {"values"}, "not_in": {"values"}}.get(
        op, {"value"} if op in COMPARE_OPS else None
    )
    if expected is None:
        raise ctx.fail(f"unknown condition op {op!r}")
    if set(spec) - {"field", "op"} != expected:
        raise ctx.fail(f"condition {op!r} takes {sorted(expected) or 'no value'}; got {spec!r}")
    if op == "blank":
        return lambda row: not row[j].strip()
    if op == "not_blank":
        return lambda row: bool(row[j].strip())
    if op in ("in", "not_in"):
        values = spec["values"]
        if not isinstance(values, list):
            raise ctx.fail(f"values must be a list; got {values!r}")
        matches = [_matches(ctx, "=", value) for value in values]
        if op == "in":
            return lambda row: any(m(row[j]) for m in matches)
        return lambda row: not any(m(row[j]) for m in matches)
    match = _matches(ctx, op, spec["value"])
    return lambda row: match(row[j])


def _matches(ctx: _Context, op: str, value: Any) -> Callable[[str], bool]:
    """Whether a cell's text stands in relation ``op`` to ``value``: numerically when both are
    numbers; otherwise = and != compare the text, and an ordering is false."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.fail(f"a condition value is text or a number, not {value!r}")
    text = value if isinstance(value, str) else _plain(value)
    number = to_number(text)

    def match(cell: str) -> bool:
        cell_number = to_number(cell) if number is not None else None
        if cell_number is not None and number is not None:
            return numbers_compare(cell_number, op, number)
        if op == "=":
            return cell.strip() == text
        if op == "!=":
            return cell.strip() != text
        return False

    return match


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


_EVALUATORS: dict[str, Evaluator] = {
    "unique": _unique,
    "compare": _compare,
    "range": _range,
    "date_vs_cycle": _date_vs_cycle,
    "date_order": _date_order,
    "conditional": _conditional,
    "pattern": _pattern,
    "length": _length,
}
