"""Year over year (与上一年度比较): a table's data against the previous cycle's approved data.

What is compared (issue 5, regulation §四(二)):

- **List tables**: the number of rows and the total of every numeric field (int, decimal); row
  by row through the table's key (``compare.compare_rows``: new, gone and changed rows) for the
  side-by-side page.
- **Single-record tables**: each numeric field's value (for a unit that fills only some fields,
  only its own fields).

A change counts when it is beyond the field's threshold in percent **and** at least its floor in
absolute terms (``FieldSpec.change_threshold`` / ``change_floor``, empty = the cycle's
``change_threshold`` / ``change_floor``), so that 3 → 5 does not ask for an explanation every
year. The row count uses the cycle's values. A value that was 0 last year and is now at least
the floor counts too; an empty value on either side is not compared.

A counted change is a 需说明 finding of the version (rules ``yoy.rows``, ``yoy.total|<field>``,
``yoy.value|<field>``; sheet level, row None), stored with the upload like every other finding,
so it must be explained before submission and the explanation travels with the version.

Whose rows last year: the previous cycle's approved merged table of the same table code
(``TableReport.merged_blob``, approved or uploaded). A contribution of a list table with several
units is compared with last year's rows whose 来源单位 is the unit's name; a table the responsible
unit provides alone, and a single-record table, with the whole table / the record.

The top half is plain Python (tested without a database); the loaders at the end read the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from collection.models import (
    Assignment,
    Contribution,
    TableReport,
    TableReportState,
    TableSpec,
)
from collection.schema import FieldType, Finding, ParsedSheet, Severity, TableSchema
from collection.services.compare import Comparison, compare_rows
from collection.services.uploads import unpack

SOURCE_COLUMN = "来源单位"  # as collection.services.merge (which this module may not import)
NUMERIC = (FieldType.INT, FieldType.DECIMAL)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Threshold:
    percent: Decimal  # beyond ±percent of last year's value
    floor: Decimal  # and at least this much in absolute terms


@dataclass(frozen=True)
class Thresholds:
    default: Threshold
    fields: Mapping[str, Threshold] = field(default_factory=dict)

    def of(self, name: str | None) -> Threshold:
        return self.fields.get(name, self.default) if name else self.default


@dataclass(frozen=True)
class Change:
    """One compared figure: the row count (column None), a field's total or a field's value."""

    column: str | None
    last: Decimal | None
    this: Decimal | None
    threshold: Threshold

    @property
    def delta(self) -> Decimal | None:
        if self.last is None or self.this is None:
            return None
        return self.this - self.last

    @property
    def percent(self) -> Decimal | None:
        if self.delta is None or not self.last:
            return None
        return self.delta * HUNDRED / abs(self.last)  # type: ignore[operator]

    @property
    def exceeds(self) -> bool:
        delta = self.delta
        if delta is None or abs(delta) < self.threshold.floor or not delta:
            return False
        if not self.last:
            return True
        return abs(delta) * HUNDRED > self.threshold.percent * abs(self.last)

    @property
    def change_text(self) -> str:
        """“+28.0%”, or “上一年度为 0” when there is no percentage."""
        if self.percent is not None:
            return f"{self.percent:+.1f}%"
        if self.delta is not None:
            return _("last year 0")
        return ""


@dataclass
class YoySummary:
    """What the side-by-side page shows."""

    row_count: Change
    totals: list[Change]  # list tables: per numeric field; single-record: per field value
    comparison: Comparison

    @property
    def new(self) -> int:
        return len(self.comparison.added)

    @property
    def gone(self) -> int:
        return len(self.comparison.removed)

    @property
    def changed(self) -> int:
        return len(self.comparison.changed)

    @property
    def exceeding(self) -> list[Change]:
        return [c for c in [self.row_count, *self.totals] if c.exceeds]


def number(text: str | None) -> Decimal | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def shown(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _numeric_fields(schema: TableSchema, fields: Sequence[str] | None) -> list[str]:
    return [
        f.name for f in schema.fields if f.type in NUMERIC and (fields is None or f.name in fields)
    ]


def _total(schema: TableSchema, rows: Sequence[Sequence[str]], name: str) -> Decimal:
    index = schema.headers.index(name)
    return sum(
        (n for row in rows if index < len(row) and (n := number(row[index])) is not None),
        Decimal(0),
    )


def yoy_changes(
    schema: TableSchema,
    rows: Sequence[Sequence[str]],
    last_rows: Sequence[Sequence[str]],
    thresholds: Thresholds,
    *,
    fields: Sequence[str] | None = None,
) -> tuple[Change, list[Change]]:
    """The row count and, per numeric field, the total (list tables) or the value (single-record
    tables). ``rows`` and ``last_rows`` are aligned to ``schema.headers``; ``fields`` limits the
    fields compared (a unit's own fields of a single-record table)."""
    count = Change(None, Decimal(len(last_rows)), Decimal(len(rows)), thresholds.default)
    names = _numeric_fields(schema, fields)
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        this, last = (rows[0] if rows else []), (last_rows[0] if last_rows else [])
        values = []
        for name in names:
            i = schema.headers.index(name)
            old = number(last[i]) if i < len(last) else None
            new = number(this[i]) if i < len(this) else None
            values.append(Change(name, old, new, thresholds.of(name)))
        return count, values
    return count, [
        Change(
            name, _total(schema, last_rows, name), _total(schema, rows, name), thresholds.of(name)
        )
        for name in names
    ]


def yoy_findings(
    schema: TableSchema,
    rows: Sequence[Sequence[str]],
    last_rows: Sequence[Sequence[str]],
    thresholds: Thresholds,
    *,
    fields: Sequence[str] | None = None,
) -> list[Finding]:
    """需说明 findings for every change beyond its threshold (see the module docstring)."""
    count, changes = yoy_changes(schema, rows, last_rows, thresholds, fields=fields)
    single = schema.row_mode == TableSpec.RowMode.SINGLE
    found = []
    if not single and count.exceeds:
        found.append(_finding(count, "yoy.rows", _ROWS_MESSAGE))
    for change in changes:
        if change.exceeds:
            rule = f"yoy.value|{change.column}" if single else f"yoy.total|{change.column}"
            found.append(_finding(change, rule, _VALUE_MESSAGE if single else _TOTAL_MESSAGE))
    return found


_ROWS_MESSAGE = (
    "Compared with last year, the number of rows went from %(old)s to %(new)s (%(change)s), "
    "beyond ±%(threshold)s%%: explain why."
)
_TOTAL_MESSAGE = (
    "Compared with last year, the total of “%(column)s” went from %(old)s to %(new)s "
    "(%(change)s), beyond ±%(threshold)s%%: explain why."
)
_VALUE_MESSAGE = (
    "Compared with last year, “%(column)s” went from %(old)s to %(new)s (%(change)s), "
    "beyond ±%(threshold)s%%: explain why."
)


def _finding(change: Change, rule: str, message: str) -> Finding:
    text = _(message) % {
        "column": change.column or "",
        "old": shown(change.last),
        "new": shown(change.this),
        "change": change.change_text,
        "threshold": shown(change.threshold.percent),
    }
    return Finding(
        severity=Severity.EXPLAIN,
        message=text,
        column=change.column,
        value=f"{shown(change.last)} → {shown(change.this)}",
        rule=rule,
    )


def yoy_summary(
    schema: TableSchema,
    rows: Sequence[Sequence[str]],
    last_rows: Sequence[Sequence[str]],
    thresholds: Thresholds,
    *,
    fields: Sequence[str] | None = None,
) -> YoySummary:
    """The figures and the row-by-row comparison for the side-by-side page."""
    count, changes = yoy_changes(schema, rows, last_rows, thresholds, fields=fields)
    headers = schema.headers
    comparison = compare_rows(
        headers,
        [list(r) for r in last_rows],
        headers,
        [list(r) for r in rows],
        key_fields=schema.key_fields,
        single=schema.row_mode == TableSpec.RowMode.SINGLE,
    )
    return YoySummary(count, changes, comparison)


def aligned(
    headers: Sequence[str], rows: Sequence[Sequence[str]], target: Sequence[str]
) -> list[list[str]]:
    """Rows re-ordered to ``target`` headers; a column the rows lack is empty."""
    where = {h: i for i, h in enumerate(headers)}
    picks = [where.get(h) for h in target]
    return [[row[p] if p is not None and p < len(row) else "" for p in picks] for row in rows]


# Loaders (ORM) ---------------------------------------------------------------------------------


@dataclass
class LastYear:
    """Last year's rows for a comparison, aligned to this year's schema headers."""

    year: int
    report: TableReport
    rows: list[list[str]]
    scope: str  # "unit": the unit's rows by 来源单位; "table": the whole table; "record"


def previous_report(assignment: Assignment) -> TableReport | None:
    """The previous cycle's approved (or uploaded) report of the same table, if any: by the
    table's code last year when a template pack renumbered it (``TableSpec.last_year_code``),
    none for a table new this year, else by its code."""
    previous_id = assignment.cycle.previous_id
    table = assignment.table
    if previous_id is None or table.last_year_code == TableSpec.NO_LAST_YEAR:
        return None
    return (
        TableReport.objects.filter(
            assignment__cycle_id=previous_id,
            assignment__table__code=table.last_year_code or table.code,
            state__in=[TableReportState.APPROVED, TableReportState.UPLOADED],
        )
        .select_related("assignment__cycle")
        .first()
    )


def _report_rows(report: TableReport) -> tuple[list[str], list[list[str]]]:
    data = unpack(report.merged_blob) or {}
    assert isinstance(data, dict)
    return list(data.get("headers", [])), list(data.get("rows", []))


def last_year_for_contribution(contribution: Contribution, schema: TableSchema) -> LastYear | None:
    """Last year's rows to compare a contribution with (see the module docstring)."""
    assignment = contribution.assignment
    report = previous_report(assignment)
    if report is None or not report.merged_blob:
        return None
    headers, rows = _report_rows(report)
    year = report.assignment.cycle.year
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        return LastYear(year, report, aligned(headers, rows[:1], schema.headers), "record")
    alone = (
        contribution.unit_id == assignment.responsible_unit_id
        and not assignment.assisting_units.exists()
    )
    if not alone:
        if SOURCE_COLUMN not in headers:
            return None
        where = headers.index(SOURCE_COLUMN)
        if not any(where < len(r) and r[where] for r in rows):
            return None  # imported from a package: whose rows they were is not known
        name = contribution.unit.name
        rows = [r for r in rows if where < len(r) and r[where] == name]
    return LastYear(
        year, report, aligned(headers, rows, schema.headers), "table" if alone else "unit"
    )


def last_year_for_report(
    report: TableReport, schema: TableSchema, *, names: Collection[str] | None = None
) -> LastYear | None:
    """Last year's whole table (its 来源单位 column left out of the comparison); ``names``:
    only the rows of those units (by 来源单位), for an assisting unit that may read only its
    own rows (None when last year's rows do not say whose they were)."""
    previous = previous_report(report.assignment)
    if previous is None or not previous.merged_blob:
        return None
    headers, rows = _report_rows(previous)
    scope = "record" if schema.row_mode == TableSpec.RowMode.SINGLE else "table"
    if names is not None:
        if scope == "record" or SOURCE_COLUMN not in headers:
            return None
        where = headers.index(SOURCE_COLUMN)
        rows = [r for r in rows if where < len(r) and r[where] in names]
        scope = "unit"
    return LastYear(
        previous.assignment.cycle.year, previous, aligned(headers, rows, schema.headers), scope
    )


def thresholds_for(table: TableSpec) -> Thresholds:
    """The cycle's default and each field's own threshold and floor."""
    cycle = table.cycle
    default = Threshold(Decimal(cycle.change_threshold), Decimal(cycle.change_floor))
    own = {
        f.name: Threshold(
            Decimal(f.change_threshold if f.change_threshold is not None else default.percent),
            Decimal(f.change_floor if f.change_floor is not None else default.floor),
        )
        for f in table.fields.all()
        if f.change_threshold is not None or f.change_floor is not None
    }
    return Thresholds(default, own)


def owned_fields(contribution: Contribution, schema: TableSchema) -> list[str] | None:
    """The fields a unit's figures are compared on: None (all) except for a unit that fills
    only some fields of a single-record table."""
    from collection.services.versions import editable_fields  # versions imports this module

    if schema.row_mode != TableSpec.RowMode.SINGLE:
        return None
    return editable_fields(contribution, schema)


def yoy_check(
    contribution: Contribution, schema: TableSchema
) -> Callable[[ParsedSheet], list[Finding]] | None:
    """The year-over-year check of a new version of ``contribution``, for ``upload_check``'s
    ``extra_findings``; None when last year has no approved data for the table."""
    last = last_year_for_contribution(contribution, schema)
    if last is None:
        return None
    thresholds = thresholds_for(contribution.assignment.table)
    fields = owned_fields(contribution, schema)

    def check(sheet: ParsedSheet) -> list[Finding]:
        rows = aligned(sheet.schema.headers, sheet.rows, schema.headers)
        return yoy_findings(schema, rows, last.rows, thresholds, fields=fields)

    return check
