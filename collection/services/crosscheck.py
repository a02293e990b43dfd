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

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection.models import (
    Assignment,
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
    TableSpec,
    Version,
)
from collection.models import CrossCheckResult as StoredCheck
from collection.schema import Finding, Severity, TableSchema
from collection.selectors import table_schema
from collection.services.merge import SOURCE_COLUMN, merged_rows
from collection.services.uploads import pack, unpack
from collection.validation.crosstable import (
    CrossCheckResult,
    TableData,
    crosscheck,
    is_cross_table,
    referenced_tables,
)

log = logging.getLogger(__name__)

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


def source_label(kind: str) -> str:
    """The words for where a table's data came from (one of the constants above)."""
    label = _SOURCE_LABELS.get(kind)
    return str(label) if label is not None else kind


@dataclass
class CrossCheck:
    """The cross-table findings of one table, and where each table's data came from."""

    table: str
    source: Source  # the data of the table checked
    result: CrossCheckResult
    sources: dict[str, Source] = field(default_factory=dict)  # the other tables read
    # Parallel to the rows checked: (unit code, row in that unit's file) where known.
    origins: list[tuple[str, int | None]] = field(default_factory=list)

    def origin(self, row: int | None) -> tuple[str, int | None]:
        """The unit and its file row of a finding's row (merged rows: header in row 1)."""
        i = (row or 0) - 2
        return self.origins[i] if 0 <= i < len(self.origins) else ("", None)


def crosscheck_table(target: TableReport | Assignment) -> CrossCheck:
    """Check a table's current data (see the module docstring) against the other tables of
    its cycle with the table's cross-table rules."""
    assignment = target.assignment if isinstance(target, TableReport) else target
    spec = assignment.table
    schema = table_schema(spec)
    own, source, origins = _table_data(assignment.cycle, spec.code)
    if own is None:
        own = TableData.from_rows(schema, schema.headers, [])
    check = _run(assignment.cycle, schema, own, source)
    check.origins = origins
    return check


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
    data, source, _origins = _table_data(cycle, code)
    return data, source


# Where each row of a table's data came from: (unit code, row in that unit's file or None).
Origins = list[tuple[str, int | None]]


def _table_data(cycle: Cycle, code: str) -> tuple[TableData | None, Source, Origins]:
    spec = TableSpec.objects.filter(cycle=cycle, code=code).first()
    if spec is None:
        return None, Source(code, NOT_IN_CYCLE), []
    schema = table_schema(spec)
    assignment = Assignment.objects.filter(cycle=cycle, table=spec).select_related("report").first()
    if assignment is None:
        if cycle.published_at is not None:
            return (*_data(schema, schema.headers, [], NOT_COLLECTED), [])
        return None, Source(code, UNASSIGNED, name=spec.name), []
    report = getattr(assignment, "report", None)
    if report is not None:
        if report.state in (TableReportState.APPROVED, TableReportState.UPLOADED):
            stored = unpack(report.merged_blob) or {}
            assert isinstance(stored, dict)
            headers, rows = stored.get("headers", []), stored.get("rows", [])
            origins = _approved_origins(assignment, headers, rows)
            return (*_data(schema, headers, rows, APPROVED), origins)
        merged = merged_rows(report)
        if merged.rows:
            return (*_data(schema, merged.headers, merged.rows, DELIVERED), merged.sources)
    found = _current_rows(assignment, schema)
    if found is None:
        return None, Source(code, NO_DATA, name=spec.name), []
    rows, origins = found
    return (*_data(schema, schema.headers, rows, CURRENT), origins)


def _approved_origins(assignment: Assignment, headers: list[str], rows: list[list[str]]) -> Origins:
    """The stored merge keeps each row's unit by name (来源单位); single-record tables have no
    such column and count as the responsible unit's."""
    if SOURCE_COLUMN not in headers:
        return [(assignment.responsible_unit.code, None)] * len(rows)
    j = headers.index(SOURCE_COLUMN)
    codes = dict(
        Contribution.objects.filter(assignment=assignment).values_list("unit__name", "unit__code")
    )
    return [(codes.get(row[j], row[j]), None) for row in rows]


def _data(
    schema: TableSchema, headers: list[str], rows: list[list[str]], kind: str
) -> tuple[TableData, Source]:
    data = TableData.from_rows(schema, headers, rows)
    return data, Source(schema.code, kind, len(rows), schema.name)


def _current_rows(
    assignment: Assignment, schema: TableSchema
) -> tuple[list[list[str]], Origins] | None:
    """The current versions' rows, the responsible unit first; a single-record table takes the
    first unit's row. None when no contribution has a version."""
    contributions = (
        Contribution.objects.filter(assignment=assignment, current_version__isnull=False)
        .select_related("current_version__upload", "unit")
        .order_by("unit__code")
    )
    ordered = sorted(contributions, key=lambda c: c.unit_id != assignment.responsible_unit_id)
    if not ordered:
        return None
    rows: list[list[str]] = []
    origins: Origins = []
    for contribution in ordered:
        assert contribution.current_version is not None
        data = unpack(contribution.current_version.upload.rows_blob) or {}
        assert isinstance(data, dict)
        # Versions are stored in their table's field order; map by name in case a spec changed.
        headers = list(data.get("headers") or schema.headers)
        order = [headers.index(h) if h in headers else None for h in schema.headers]
        part = [[row[j] if j is not None else "" for j in order] for row in data.get("rows", [])]
        numbers = list(data.get("row_numbers") or [])
        rows += part
        origins += [
            (contribution.unit.code, numbers[i] if i < len(numbers) else None)
            for i in range(len(part))
        ]
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        rows, origins = rows[:1], origins[:1]
    return rows, origins


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


# The stored result (collection.models.CrossCheckResult) -----------------------------------------


def crosscheck_refresh(report: TableReport) -> StoredCheck:
    """Check ``report``'s table now and store the result as its latest (no longer stale).

    Each stored finding also says whose row it is (``unit``: unit code, ``unit_row``: the row in
    that unit's file, where known). A finding whose other tables are all left out of the
    published breakdown (``not_collected``) is kept and shown but marked ``blocking: false``
    and not counted in ``error_count``: no unit can correct it, only the office's breakdown."""
    check = crosscheck_table(report)
    kinds = {code: source.kind for code, source in check.sources.items()}
    stored, errors, explain = [], 0, 0
    for f in check.result.findings:
        item = f.as_dict()
        item["unit"], item["unit_row"] = check.origin(f.row)
        item["blocking"] = any(kinds.get(c) != NOT_COLLECTED for c in f.other_tables) or not (
            f.other_tables
        )
        errors += f.severity == Severity.ERROR and item["blocking"]
        explain += f.severity == Severity.EXPLAIN
        stored.append(item)
    sources: dict[str, Any] = {
        code: {"kind": s.kind, "rows": s.rows, "name": s.name} for code, s in check.sources.items()
    }
    sources[check.table] = {
        "kind": check.source.kind,
        "rows": check.source.rows,
        "name": check.source.name,
        "versions": _versions(report, check.source.kind),
        "own": True,
    }
    result, _created = StoredCheck.objects.update_or_create(
        report=report,
        defaults={
            "computed_at": timezone.now(),
            "error_count": errors,
            "explain_count": explain,
            "findings_blob": pack(stored),
            "not_checked": [
                {"rule": n.rule, "tables": list(n.tables), "rows": n.rows, "message": n.message}
                for n in check.result.not_checked
            ],
            "sources": sources,
            "stale": False,
        },
    )
    return result


def _versions(report: TableReport, kind: str) -> dict[str, int]:
    """{unit code: version number} of the contributions whose rows were checked."""
    found = Contribution.objects.filter(
        assignment_id=report.assignment_id, current_version__isnull=False
    )
    if kind in (APPROVED, DELIVERED):
        found = found.filter(state=ContributionState.DELIVERED)
    return dict(found.values_list("unit__code", "current_version__number"))


def stored_findings(result: StoredCheck | None, unit: str | None = None) -> list[dict[str, Any]]:
    """The stored findings of a result (``unit``: only that unit's rows)."""
    if result is None:
        return []
    found = unpack(result.findings_blob) or []
    assert isinstance(found, list)
    return [f for f in found if unit is None or f.get("unit") == unit]


def stored_as_findings(items: Iterable[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            severity=Severity(item["severity"]),
            message=item["message"],
            row=item.get("row"),
            column=item.get("column"),
            value=item.get("value"),
            rule=item.get("rule", ""),
            other_tables=tuple(item.get("other_tables", ())),
        )
        for item in items
    ]


def crosscheck_mark_stale(cycle: Cycle, code: str) -> list[int]:
    """Mark the stored results of table ``code`` and of the tables that read it as stale;
    return the ids of those tables' reports (with or without a result yet), to re-check."""
    codes = [code, *crosscheck_dependents(code, cycle)]
    ids = list(
        TableReport.objects.filter(
            assignment__cycle=cycle, assignment__table__code__in=codes
        ).values_list("pk", flat=True)
    )
    StoredCheck.objects.filter(report_id__in=ids, stale=False).update(stale=True)
    return ids


def crosscheck_refresh_ids(*, report_ids: Iterable[int]) -> int:
    """Re-check the reports with these ids (a task's body); missing ids are skipped. Each
    report is stored in its own transaction, so one failure leaves the others fresh."""
    done = 0
    reports = TableReport.objects.filter(pk__in=list(report_ids)).select_related(
        "assignment__cycle", "assignment__table", "assignment__responsible_unit"
    )
    for report in reports:
        try:
            with transaction.atomic():
                crosscheck_refresh(report)
            done += 1
        except Exception:
            log.exception("cross-table check of report %s failed", report.pk)
    return done


def crosscheck_enqueue(report_ids: list[int]) -> None:
    """Re-check these reports after the commit (Celery; inline without a broker)."""
    if not report_ids:
        return

    def enqueue() -> None:
        from collection.tasks import crosscheck_refresh_reports as task

        try:
            task.delay(report_ids)
        except Exception:  # broker down: check inline, the page must not show stale results
            log.exception("cross-table checks %s: could not queue; running inline", report_ids)
            crosscheck_refresh_ids(report_ids=report_ids)

    transaction.on_commit(enqueue)
