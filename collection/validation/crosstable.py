"""Cross-table rules: checks of one table against other tables' data (docs/rules.md).

Three declarative kinds, mapped like the single-table rules in collection/catalog/rules/*.json:

- ``exists_in``: the row's key (``fields``) must match a row of one of the listed ``tables``
  (each with its own ``fields``; optional ``where``: the other row's field is one of some values);
  ``skip`` exempts rows by value (单位号 000, 工号 000000).
- ``not_in``: exclusivity; the row's key must occur in none of the listed tables.
- ``aggregate_compare``: a number of the row (``left``: field, sum or const) compared (``op``)
  with a figure of another table (``right``: ``sum`` of a field or ``count`` of rows, optionally
  only the rows that ``match`` this row, e.g. the students of this row's 校内专业代码).

The caller supplies the other tables' current data. A table it does not supply (not collected
this cycle, no data yet) is never guessed at: the rule reports the rows it could not decide as
``NotChecked`` instead of errors. Each evaluation builds the other table's lookup once (a set or
a dict), so 50,000 rows against 10,000 cost a few hash lookups per row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from django.utils.translation import gettext

from collection.schema import CROSS_TABLE_KINDS, Finding, ParsedSheet, RuleSpec, TableSchema
from collection.validation.fields import split_multi, to_number
from collection.validation.rules import COMPARE_OPS, numbers_compare

__all__ = [
    "CROSS_TABLE_KINDS",
    "CrossCheckResult",
    "NotChecked",
    "TableData",
    "crosscheck",
    "evaluate_cross_rule",
    "is_cross_table",
    "referenced_tables",
]

Key = tuple[str, ...]

_PARAMS: dict[str, tuple[set[str], set[str]]] = {
    "exists_in": ({"fields", "tables"}, {"skip"}),
    "not_in": ({"fields", "tables"}, {"skip"}),
    "aggregate_compare": ({"left", "op", "right"}, set()),
}


@dataclass(frozen=True)
class TableData:
    """One table's rows as the cross-table rules read them. ``rows[i][j]`` is the text of
    ``headers[j]``; extra columns (such as the merge's 来源单位) are ignored."""

    code: str
    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    multi: frozenset[str] = frozenset()  # fields holding several values separated by ";"
    row_numbers: Sequence[int] | None = None  # Excel rows; default: header in row 1, data after
    column_letters: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_sheet(cls, sheet: ParsedSheet) -> TableData:
        schema = sheet.schema
        return cls.from_rows(schema, schema.headers, sheet.rows, sheet.row_numbers)._with_letters(
            sheet.column_letters
        )

    @classmethod
    def from_rows(
        cls,
        schema: TableSchema,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        row_numbers: Sequence[int] | None = None,
    ) -> TableData:
        multi = frozenset(f.name for f in schema.fields if f.multi)
        return cls(schema.code, schema.name, list(headers), rows, multi, row_numbers)

    def _with_letters(self, letters: Mapping[str, str]) -> TableData:
        return TableData(
            self.code, self.name, self.headers, self.rows, self.multi, self.row_numbers, letters
        )

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    def row_number(self, i: int) -> int:
        return self.row_numbers[i] if self.row_numbers is not None else i + 2


@dataclass(frozen=True)
class NotChecked:
    """A cross-table rule (partly) not run because other tables have no data."""

    rule: str  # rule id
    tables: tuple[str, ...]  # codes of the other tables that were missing
    rows: int | None  # rows that could not be decided; None when the rule did not run at all
    message: str


@dataclass
class CrossCheckResult:
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)  # ids of the rules that ran, if partly


def is_cross_table(rule: RuleSpec) -> bool:
    return rule.kind in CROSS_TABLE_KINDS


def referenced_tables(rule: RuleSpec) -> tuple[str, ...]:
    """The other tables a cross-table rule reads, in the order it lists them."""
    if rule.kind == "aggregate_compare":
        right = rule.params.get("right")
        return (str(right["table"]),) if isinstance(right, dict) and "table" in right else ()
    tables = rule.params.get("tables")
    if not isinstance(tables, list):
        return ()
    return tuple(str(t["table"]) for t in tables if isinstance(t, dict) and "table" in t)


def crosscheck(
    schema: TableSchema, table: TableData, others: Mapping[str, TableData]
) -> CrossCheckResult:
    """Run every cross-table rule of ``schema`` over ``table`` against ``others``
    ({table code: its data}); a code missing from ``others`` means "no data"."""
    result = CrossCheckResult()
    lookups: dict[Any, Any] = {}  # other-table sets and dicts, shared by the rules
    for rule in schema.rules:
        if is_cross_table(rule):
            findings, not_checked = evaluate_cross_rule(rule, table, others, lookups)
            result.findings += findings
            if not_checked is None or not_checked.rows is not None:
                result.rules_run.append(rule.id)
            if not_checked is not None:
                result.not_checked.append(not_checked)
    return result


def evaluate_cross_rule(
    rule: RuleSpec,
    table: TableData,
    others: Mapping[str, TableData],
    lookups: dict[Any, Any] | None = None,
) -> tuple[list[Finding], NotChecked | None]:
    """The findings of one cross-table rule, and what it could not check."""
    if rule.kind not in _PARAMS:
        raise ValueError(f"rule {rule.id}: {rule.kind!r} is not a cross-table kind")
    context = _Context(rule, table, others, {} if lookups is None else lookups)
    required, optional = _PARAMS[rule.kind]
    given = set(rule.params) - {"examples"}
    if missing := required - given:
        raise context.fail(f"missing parameter(s) {', '.join(sorted(missing))}")
    if unknown := given - required - optional:
        raise context.fail(f"unknown parameter(s) {', '.join(sorted(unknown))}")
    if not rule.message:
        raise context.fail("no message")
    if rule.kind == "aggregate_compare":
        return _aggregate_compare(context)
    return _membership(context, wanted=rule.kind == "exists_in")


@dataclass
class _Context:
    rule: RuleSpec
    table: TableData
    others: Mapping[str, TableData]
    lookups: dict[Any, Any]
    _codes: tuple[str, ...] | None = None

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"rule {self.rule.id} ({self.rule.kind}): {problem}")

    def index(self, data: TableData, name: Any) -> int:
        if not isinstance(name, str) or name not in data.headers:
            raise self.fail(f"no field {name!r} in {data.code}")
        return list(data.headers).index(name)

    def fields(self, spec: Any, where: str) -> list[str]:
        if not isinstance(spec, list) or not spec or not all(isinstance(n, str) for n in spec):
            raise self.fail(f"{where} must be a non-empty list of field names")
        return spec

    @property
    def codes(self) -> tuple[str, ...]:
        if self._codes is None:
            self._codes = referenced_tables(self.rule)
        return self._codes

    def finding(self, i: int, column: str, value: str, prefix: str = "") -> Finding:
        return Finding(
            severity=self.rule.severity,
            message=prefix + self.rule.message,
            row=self.table.row_number(i),
            column=column,
            column_letter=self.table.column_letters.get(column),
            value=value,
            rule=self.rule.id,
            other_tables=self.codes,
        )

    def not_checked(self, missing: list[str], rows: int | None) -> NotChecked:
        labels = "、".join(self._label(code) for code in missing)
        if rows is None:
            message = gettext("%(tables)s: no data yet, not checked.") % {"tables": labels}
        else:
            message = gettext(
                "%(tables)s: no data yet; %(rows)s rows could not be checked against it."
            ) % {"tables": labels, "rows": rows}
        return NotChecked(self.rule.id, tuple(missing), rows, message)

    def _label(self, code: str) -> str:
        data = self.others.get(code)
        return data.label if data is not None else code


def _row_keys(
    rows: Sequence[Sequence[str]], indexes: list[int], multi: list[bool], *, strict: bool
) -> list[list[Key]]:
    """The key tuples of each row. Without multi-valued fields a row has one key, built column
    by column in C (this is the 50,000-row path). Multi-valued fields are paired part by part
    (授课教师 with 授课教师工号) and single fields repeat. With ``strict``, parts that do not pair
    up give a key with an empty part (it matches nothing); otherwise they give no key."""
    if not any(multi):
        return [[key] for key in _flat_keys(rows, indexes)]
    found: list[list[Key]] = []
    for row in rows:
        split = [
            split_multi(row[j]) if m else [row[j]] for j, m in zip(indexes, multi, strict=True)
        ]
        lengths = {len(parts) for parts, m in zip(split, multi, strict=True) if m}
        if len(lengths) > 1 and not strict:
            found.append([])
            continue
        n = max(lengths)
        columns = [parts if m else parts * n for parts, m in zip(split, multi, strict=True)]
        found.append([tuple(key) for key in zip_longest(*columns, fillvalue="")])
    return found


def _flat_keys(rows: Sequence[Sequence[str]], indexes: list[int]) -> list[Key]:
    return list(zip(*(map(operator.itemgetter(j), rows) for j in indexes), strict=True))


def _skipped(ctx: _Context) -> set[int]:
    """Rows exempt by ``skip`` ({field: [values]}): 单位号 000 means 不限定单位."""
    skip = ctx.rule.params.get("skip", {})
    if not isinstance(skip, dict) or not all(isinstance(v, list) for v in skip.values()):
        raise ctx.fail('skip must map field names to lists of values: {"单位号": ["000"]}')
    found: set[int] = set()
    for name, values in skip.items():
        allowed = {str(v) for v in values}
        column = map(operator.itemgetter(ctx.index(ctx.table, name)), ctx.table.rows)
        found.update(i for i, value in enumerate(column) if value in allowed)
    return found


def _other_keys(ctx: _Context, spec: Any, width: int) -> tuple[TableData | None, Any]:
    """The other table of one ``tables`` entry and its key lookup: a dict key → first row
    index (built once per evaluation and shared by rules asking for the same keys)."""
    if not isinstance(spec, dict) or not {"table", "fields"} <= set(spec):
        raise ctx.fail(f"each tables entry has table and fields; got {spec!r}")
    if unknown := set(spec) - {"table", "fields", "where"}:
        raise ctx.fail(f"unknown tables entry parameter(s) {', '.join(sorted(unknown))}")
    names = ctx.fields(spec["fields"], f"fields of {spec['table']}")
    if len(names) != width:
        raise ctx.fail(f"{spec['table']} lists {len(names)} fields for a key of {width}")
    where = spec.get("where")
    if where is not None and (
        not isinstance(where, dict)
        or set(where) != {"field", "values"}
        or not isinstance(where["values"], list)
    ):
        raise ctx.fail(f'where is {{"field": NAME, "values": [...]}}; got {where!r}')
    other = ctx.others.get(spec["table"])
    if other is None:
        return None, None
    indexes = [ctx.index(other, name) for name in names]
    cache_key = (other.code, id(other), tuple(names), repr(where))
    if cache_key not in ctx.lookups:
        numbered: Sequence[tuple[int, Sequence[str]]] = list(enumerate(other.rows))
        if where is not None:
            w, allowed = ctx.index(other, where["field"]), {str(v) for v in where["values"]}
            numbered = [(i, row) for i, row in numbered if row[w] in allowed]
        picked = [row for _i, row in numbered]
        multi = [name in other.multi for name in names]
        flat: list[Key] = []
        numbers: list[int] = []
        if any(multi):
            for (i, _row), row_keys in zip(
                numbered, _row_keys(picked, indexes, multi, strict=False), strict=True
            ):
                flat += row_keys
                numbers += [i] * len(row_keys)
        else:
            flat, numbers = _flat_keys(picked, indexes), [i for i, _row in numbered]
        # Built in reverse, so that the first row of a key is the one kept.
        found = dict(zip(reversed(flat), reversed(numbers), strict=True))
        for key in [key for key in found if "" in key]:
            del found[key]
        ctx.lookups[cache_key] = found
    return other, ctx.lookups[cache_key]


def _membership(ctx: _Context, *, wanted: bool) -> tuple[list[Finding], NotChecked | None]:
    """exists_in (``wanted``: every key must be found) and not_in (no key may be found)."""
    names = ctx.fields(ctx.rule.params["fields"], "fields")
    specs = ctx.rule.params["tables"]
    if not isinstance(specs, list) or not specs:
        raise ctx.fail("tables must be a non-empty list")
    indexes = [ctx.index(ctx.table, name) for name in names]
    multi = [name in ctx.table.multi for name in names]
    skipped = _skipped(ctx)
    present, missing = [], []
    for spec in specs:
        other, lookup = _other_keys(ctx, spec, len(names))
        if other is None:
            missing.append(str(spec["table"]))
        else:
            present.append((other, lookup))
    rows = ctx.table.rows
    if not any(multi):
        return _membership_flat(ctx, _flat_keys(rows, indexes), skipped, present, missing, wanted)
    keys = _row_keys(rows, indexes, multi, strict=True)
    single = [n for n, m in enumerate(multi) if not m]
    multiple = [n for n, m in enumerate(multi) if m]
    # key → (decided and wrong, message prefix), judged once per distinct key
    verdicts = {
        key: _verdict(key, present, bool(missing), wanted)
        for key in {key for row_keys in keys for key in row_keys}
    }
    findings: list[Finding] = []
    undecided = 0
    for i, row_keys in enumerate(keys):
        first = row_keys[0] if row_keys else ()
        if (
            i in skipped
            or not first
            or any(not first[n] for n in single)
            or (multiple and all(not key[n] for key in row_keys for n in multiple))
        ):
            continue  # exempt, or an empty key part: the field checks report required cells
        wrong = [key for key in row_keys if verdicts[key][0]]
        if wrong:
            value = "；".join("、".join(key) for key in wrong)
            findings.append(ctx.finding(i, names[0], value, verdicts[wrong[0]][1]))
        elif missing and any(verdicts[key][1] == _UNDECIDED for key in row_keys):
            undecided += 1
    if missing and (undecided or not present):
        return findings, ctx.not_checked(missing, undecided if present else None)
    return findings, None


def _membership_flat(
    ctx: _Context,
    keys: list[Key],
    skipped: set[int],
    present: list[tuple[TableData, Any]],
    missing: list[str],
    wanted: bool,
) -> tuple[list[Finding], NotChecked | None]:
    """_membership for one key per row (no multi-valued field): set operations over the
    distinct keys, then one pass over the rows that have a wrong or undecided key."""
    column = str(ctx.rule.params["fields"][0])
    candidates = {key for key in keys if "" not in key}
    found: set[Key] = set()
    for _other, lookup in present:
        found |= candidates & lookup.keys()
    absent = candidates - found
    if wanted:  # not found: wrong, unless it may be in a table without data yet
        wrong, undecided_keys = (set(), absent) if missing else (absent, set())
    else:  # found: wrong; not found: fine, unless a table without data may have it
        wrong, undecided_keys = found, absent if missing else set()
    findings: list[Finding] = []
    undecided = 0
    for i, key in enumerate(keys):
        if key in wrong and i not in skipped:
            prefix = "" if wanted else _verdict(key, present, False, wanted)[1]
            findings.append(ctx.finding(i, column, "、".join(key), prefix))
        elif key in undecided_keys and i not in skipped:
            undecided += 1
    if missing and (undecided or not present):
        return findings, ctx.not_checked(missing, undecided if present else None)
    return findings, None


_UNDECIDED = "?"


def _verdict(
    key: Key, present: list[tuple[TableData, Any]], incomplete: bool, wanted: bool
) -> tuple[bool, str]:
    for other, lookup in present:
        if key in lookup:
            if wanted:
                return False, ""
            template = gettext("Also in %(table)s, row %(row)s.")
            return True, template % {"table": other.label, "row": other.row_number(lookup[key])}
    if incomplete:
        return False, _UNDECIDED
    return wanted, ""


def _aggregate_compare(ctx: _Context) -> tuple[list[Finding], NotChecked | None]:
    op = ctx.rule.params["op"]
    if op not in COMPARE_OPS:
        raise ctx.fail(f"unknown op {op!r}; expected one of {' '.join(COMPARE_OPS)}")
    left, columns = _row_expression(ctx, ctx.rule.params["left"])
    right = ctx.rule.params["right"]
    if not isinstance(right, dict) or "table" not in right:
        raise ctx.fail(f"right names a table: {{'table': CODE, 'sum' or 'count': ...}}; {right!r}")
    if unknown := set(right) - {"table", "sum", "count", "match"}:
        raise ctx.fail(f"unknown right parameter(s) {', '.join(sorted(unknown))}")
    if ("sum" in right) == ("count" in right) or right.get("count", True) is not True:
        raise ctx.fail('right takes either "sum": FIELD or "count": true')
    match = right.get("match", {})
    if not isinstance(match, dict) or not all(isinstance(v, str) for v in match.values()):
        raise ctx.fail("match maps this table's fields to the other's: {\"校内专业代码\": ...}")
    own_key = [ctx.index(ctx.table, name) for name in match]
    other = ctx.others.get(str(right["table"]))
    if other is None:
        return [], ctx.not_checked([str(right["table"])], None)
    figure = _figures(ctx, other, right, list(match.values()))
    findings = []
    template = gettext("%(table)s gives %(value)s.")
    shown = ctx.index(ctx.table, columns[0])
    absent = 0.0 if "count" in right else None
    for i, row in enumerate(ctx.table.rows):
        a = left(row)
        b = figure.get(tuple(row[j].strip() for j in own_key), absent)
        if a is not None and b is not None and not numbers_compare(a, op, b):
            prefix = template % {"table": other.label, "value": _plain(b)}
            findings.append(ctx.finding(i, columns[0], row[shown], prefix))
    return findings, None


def _figures(
    ctx: _Context, other: TableData, right: dict[str, Any], match: list[str]
) -> dict[Key, float]:
    """The other table's count or sum, per value of the ``match`` fields (one group, key (),
    without them). Sums skip empty and non-numeric cells; a group with no number has none."""
    group = [ctx.index(other, name) for name in match]
    value = ctx.index(other, right["sum"]) if "sum" in right else None
    cache_key = (other.code, id(other), tuple(match), right.get("sum"))
    if cache_key in ctx.lookups:
        return ctx.lookups[cache_key]  # type: ignore[no-any-return]
    figures: dict[Key, float] = {}
    getter = operator.itemgetter(*group) if group else None
    for row in other.rows:
        picked = getter(row) if getter else ()
        key = tuple(v.strip() for v in picked) if isinstance(picked, tuple) else (picked.strip(),)
        if value is None:
            figures[key] = figures.get(key, 0.0) + 1
        elif (number := to_number(row[value])) is not None:
            figures[key] = figures.get(key, 0.0) + number
    ctx.lookups[cache_key] = figures
    return figures


def _row_expression(
    ctx: _Context, spec: Any
) -> tuple[Callable[[Sequence[str]], float | None], list[str]]:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ctx.fail(f"left is one of field, sum; got {spec!r}")
    ((kind, arg),) = spec.items()
    if kind == "field":
        j = ctx.index(ctx.table, arg)
        return (lambda row: to_number(row[j])), [arg]
    if kind == "sum":
        names = ctx.fields(arg, "sum")
        indexes = [ctx.index(ctx.table, name) for name in names]

        def total(row: Sequence[str]) -> float | None:
            numbers = [to_number(row[j]) for j in indexes]
            return None if None in numbers else sum(n for n in numbers if n is not None)

        return total, names
    raise ctx.fail(f"left is one of field, sum; got {kind!r}")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:.2f}"
