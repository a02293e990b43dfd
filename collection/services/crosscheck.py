"""Cross-table checks of one table against the other tables of its cycle (reads only).

Which data of a table counts (``table_data``), the same for the table checked and for the
tables it is checked against:

1. ``approved``: the table report is approved (or uploaded): its stored merged rows.
2. ``delivered``: otherwise the merge of the contributions delivered so far
   (``merge.merged_rows``), when at least one is delivered.
3. ``current``: otherwise the current versions of its contributions (drafts included), united,
   so that a table still being filled is checked against what exists rather than not at all.
4. ``not_collected``: the task breakdown is published without the table (a college fills only
   the tables that apply), so it has no rows: rules read it as empty. Without this, a rule
   such as "in 表1-4-1 or 表1-4-2" would never decide anything in a college without 大类.
5. none: no contribution has a version yet (``no_data``), the breakdown is not published and
   the table is not in it yet (``unassigned``), or the table is not in the cycle at all
   (``not_in_cycle``). Rules reading such a table report it as not checked, never as errors.

A finding's row is the row of the data checked: the Excel row of a version, else the row of the
merged table (header in row 1), whose 来源单位 column says which unit it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection.models import (
    Assignment,
    Contribution,
    Cycle,
    TableReport,
    TableReportState,
    TableSpec,
    Version,
)
from collection.schema import TableSchema
from collection.selectors import table_schema
from collection.services.merge import merged_rows
from collection.services.uploads import unpack
from collection.validation.crosstable import (
    CrossCheckResult,
    TableData,
    crosscheck,
    is_cross_table,
    referenced_tables,
)

APPROVED, DELIVERED, CURRENT = "approved", "delivered", "current"
NOT_COLLECTED, NO_DATA, UNASSIGNED, NOT_IN_CYCLE = (
    "not_collected",
    "no_data",
    "unassigned",
    "not_in_cycle",
)


@dataclass(frozen=True)
class Source:
    """Where one table's data came from (one of the constants above) and how many rows."""

    code: str
    kind: str
    rows: int = 0
    name: str = ""  # the table's name in the cycle

    @property
    def has_data(self) -> bool:
        return self.kind in (APPROVED, DELIVERED, CURRENT, NOT_COLLECTED)

    @property
    def label(self) -> str:
        return str(_SOURCE_LABELS[self.kind])


_SOURCE_LABELS = {
    APPROVED: gettext_lazy("approved data"),
    DELIVERED: gettext_lazy("data delivered so far"),
    CURRENT: gettext_lazy("data not yet delivered"),
    NOT_COLLECTED: gettext_lazy("not collected this cycle"),
    NO_DATA: gettext_lazy("no data yet"),
    UNASSIGNED: gettext_lazy("not in the task breakdown yet"),
    NOT_IN_CYCLE: gettext_lazy("not in this cycle"),
}


@dataclass
class CrossCheck:
    """The cross-table findings of one table, and where each table's data came from."""

    table: str
    source: Source  # the data of the table checked
    result: CrossCheckResult
    sources: dict[str, Source] = field(default_factory=dict)  # the other tables read


def crosscheck_table(target: TableReport | Assignment) -> CrossCheck:
    """Check a table's current data (see the module docstring) against the other tables of
    its cycle with the table's cross-table rules."""
    assignment = target.assignment if isinstance(target, TableReport) else target
    spec = assignment.table
    schema = table_schema(spec)
    own, source = table_data(assignment.cycle, spec.code)
    if own is None:
        own = TableData.from_rows(schema, schema.headers, [])
    return _run(assignment.cycle, schema, own, source)


def crosscheck_version(version: Version) -> CrossCheck:
    """Check one uploaded version (rows and Excel rows as the unit sent them) against the other
    tables of its cycle: what a collector sees right after an upload."""
    assignment = version.contribution.assignment
    schema = table_schema(assignment.table)
    data = unpack(version.upload.rows_blob) or {}
    assert isinstance(data, dict)
    own = TableData.from_rows(
        schema, data.get("headers") or schema.headers, data.get("rows", []), data.get("row_numbers")
    )
    own = TableData(
        own.code, own.name, own.headers, own.rows, own.multi, own.row_numbers,
        data.get("column_letters", {}),
    )  # fmt: skip
    source = Source(schema.code, CURRENT, len(own.rows), schema.name)
    return _run(assignment.cycle, schema, own, source)


def crosscheck_dependents(code: str, cycle: Cycle | None = None) -> list[str]:
    """The tables whose cross-table rules read table ``code`` (so a change to it re-checks
    them), in the cycle's table order; from the catalog when no cycle is given."""
    if cycle is None:
        from collection.schema import catalog_schemas

        schemas = list(catalog_schemas().values())
    else:
        schemas = [table_schema(spec) for spec in cycle.tables.order_by("position")]
    return [
        schema.code
        for schema in schemas
        if any(code in referenced_tables(rule) for rule in schema.rules if is_cross_table(rule))
    ]


def table_data(cycle: Cycle, code: str) -> tuple[TableData | None, Source]:
    """A table's data in a cycle by the order of the module docstring, and its source."""
    spec = TableSpec.objects.filter(cycle=cycle, code=code).first()
    if spec is None:
        return None, Source(code, NOT_IN_CYCLE)
    schema = table_schema(spec)
    assignment = Assignment.objects.filter(cycle=cycle, table=spec).select_related("report").first()
    if assignment is None:
        if cycle.published_at is not None:
            return _data(schema, schema.headers, [], NOT_COLLECTED)
        return None, Source(code, UNASSIGNED, name=spec.name)
    report = getattr(assignment, "report", None)
    if report is not None:
        if report.state in (TableReportState.APPROVED, TableReportState.UPLOADED):
            stored = unpack(report.merged_blob) or {}
            assert isinstance(stored, dict)
            return _data(schema, stored.get("headers", []), stored.get("rows", []), APPROVED)
        merged = merged_rows(report)
        if merged.rows:
            return _data(schema, merged.headers, merged.rows, DELIVERED)
    rows = _current_rows(assignment, schema)
    if rows is None:
        return None, Source(code, NO_DATA, name=spec.name)
    return _data(schema, schema.headers, rows, CURRENT)


def _data(
    schema: TableSchema, headers: list[str], rows: list[list[str]], kind: str
) -> tuple[TableData, Source]:
    data = TableData.from_rows(schema, headers, rows)
    return data, Source(schema.code, kind, len(rows), schema.name)


def _current_rows(assignment: Assignment, schema: TableSchema) -> list[list[str]] | None:
    """The current versions' rows, the responsible unit first; a single-record table takes the
    first unit's row. None when no contribution has a version."""
    contributions = (
        Contribution.objects.filter(assignment=assignment, current_version__isnull=False)
        .select_related("current_version__upload")
        .order_by("unit__code")
    )
    ordered = sorted(contributions, key=lambda c: c.unit_id != assignment.responsible_unit_id)
    if not ordered:
        return None
    rows: list[list[str]] = []
    for contribution in ordered:
        assert contribution.current_version is not None
        data = unpack(contribution.current_version.upload.rows_blob) or {}
        assert isinstance(data, dict)
        # Versions are stored in their table's field order; map by name in case a spec changed.
        headers = list(data.get("headers") or schema.headers)
        order = [headers.index(h) if h in headers else None for h in schema.headers]
        rows += [[row[j] if j is not None else "" for j in order] for row in data.get("rows", [])]
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        rows = rows[:1]
    return rows


def _run(cycle: Cycle, schema: TableSchema, own: TableData, source: Source) -> CrossCheck:
    codes = dict.fromkeys(
        code for rule in schema.rules if is_cross_table(rule) for code in referenced_tables(rule)
    )
    others: dict[str, TableData] = {}
    sources: dict[str, Source] = {}
    for code in codes:
        data, sources[code] = table_data(cycle, code)
        if data is not None:
            others[code] = data
    result = crosscheck(schema, own, others)
    for n, item in enumerate(result.not_checked):
        # Say why each table had no data (the core only knows that it had none).
        reasons = "；".join(
            f"{code} {sources[code].name} {sources[code].label}".replace("  ", " ")
            for code in item.tables
        )
        message = _("%(reasons)s: not checked.") % {"reasons": reasons}
        if item.rows is not None:
            message = _("%(reasons)s: %(rows)s rows could not be checked.") % {
                "reasons": reasons,
                "rows": item.rows,
            }
        result.not_checked[n] = replace(item, message=message)
    return CrossCheck(schema.code, source, result, sources)
