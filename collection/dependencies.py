"""Prerequisite tables: which tables an assignment needs that are not yet delivered in the same
cycle.

A table's prerequisites are what its rules read: every other table its cross-table rules name
(``exists_in``, ``not_in``, ``aggregate_compare``), which includes the base tables its codes come
from (a 工号 must be in 表1-5-1, a 专业代码 in 表1-4-1). They are derived from the cycle's own
``TableSpec.rules``, so renumbered tables (a template pack, ``collection.renumber``) and rules the
office edits move them; ``TableSpec.depends_on`` (the catalog's old hand-kept list) is not read.

A prerequisite is *pending* while it is assigned in the cycle and its merged table has not left
collecting (汇总中): not every unit has delivered it yet, or the responsible unit has not yet
sent it to second review. An assigned table not yet published (no TableReport) is pending too.
A prerequisite that is not assigned in the cycle (the college does not fill it this year, or the
catalog names a table the cycle does not have) is not pending: nothing would ever deliver it.
A table never depends on itself.

``Cycle.dependency_mode`` says what pending prerequisites do: WARN shows them, BLOCK also
refuses submission (``review.workflow.contributions.submit_check``). Tables that read each other
(表1-2 and 表1-3 keep their 单位号 apart; 表1-5-1, 表1-5-3 and 表1-5-4 their 工号) would then wait
for each other for ever: a prerequisite whose rules lead back to the table (``mutual``) is
shown but never blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from collection.models import (
    Assignment,
    ContributionState,
    DependencyMode,
    TableReportState,
    TableSpec,
)
from collection.schema import rule_specs, rule_tables


@dataclass(frozen=True)
class PendingPrerequisite:
    code: str
    name: str
    state: str  # TableReportState value, or "" when the breakdown is not yet published
    state_label: str
    delivered: int
    expected: int
    responsible_unit: str
    # Its rules read the waiting table too (directly or through others): it never blocks.
    mutual: bool = False

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def rule_prerequisites(spec: TableSpec) -> tuple[str, ...]:
    """The other tables ``spec``'s rules read, whether the cycle has them or not. No query: the
    rules are a column of the spec (parsing a table's few rules takes microseconds)."""
    specs, _key = rule_specs(spec.rules)
    return rule_tables(specs, spec.code)


def table_prerequisites(spec: TableSpec) -> list[str]:
    """The tables of ``spec``'s cycle that its rules read, in the order the rules name them.
    No query when its rules read no other table, else one."""
    codes = rule_prerequisites(spec)
    if not codes:
        return []
    present = set(
        TableSpec.objects.filter(cycle_id=spec.cycle_id, code__in=codes).values_list(
            "code", flat=True
        )
    )
    return [code for code in codes if code in present]


def prerequisite_codes(assignment: Assignment) -> list[str]:
    """The table codes ``assignment``'s table depends on in its cycle, without itself."""
    return table_prerequisites(assignment.table)


def prerequisites_pending(assignment: Assignment) -> list[PendingPrerequisite]:
    """The prerequisite tables of ``assignment`` in its cycle that are not yet delivered, in
    breakdown order. No query when the table depends on nothing; else one, and one more when a
    prerequisite is pending (does its rules lead back to this table?)."""
    codes = rule_prerequisites(assignment.table)
    if not codes:
        return []
    delivered = Q(contributions__state=ContributionState.DELIVERED)
    rows = (
        Assignment.objects.filter(cycle_id=assignment.cycle_id, table__code__in=codes)
        .exclude(pk=assignment.pk)
        .select_related("table", "responsible_unit", "report")
        .annotate(
            expected_count=Count("contributions", distinct=True),
            delivered_count=Count("contributions", filter=delivered, distinct=True),
        )
        .order_by("position", "table__code")
    )
    found = []
    back: set[str] | None = None
    for row in rows:
        report = getattr(row, "report", None)
        if report is not None and report.state != TableReportState.COLLECTING:
            continue
        if back is None:
            back = _leading_back(assignment.table, codes)
        found.append(
            PendingPrerequisite(
                code=row.table.code,
                name=row.table.name,
                state=report.state if report else "",
                state_label=str(report.get_state_display()) if report else "",
                delivered=row.delivered_count,  # type: ignore[attr-defined]
                expected=row.expected_count,  # type: ignore[attr-defined]
                responsible_unit=row.responsible_unit.name,
                mutual=row.table.code in back,
            )
        )
    return found


def prerequisites_blocking(pending: list[PendingPrerequisite]) -> list[PendingPrerequisite]:
    """The pending prerequisites that hold up submission in a BLOCK cycle (not the mutual)."""
    return [p for p in pending if not p.mutual]


def _leading_back(spec: TableSpec, codes: tuple[str, ...]) -> set[str]:
    """The tables among ``codes`` whose rules lead back to ``spec`` through the rules of its
    cycle's tables. One query (only when a prerequisite is pending)."""
    graph = {
        code: set(rule_tables(rule_specs(rules)[0], code))
        for code, rules in TableSpec.objects.filter(cycle_id=spec.cycle_id).values_list(
            "code", "rules"
        )
    }
    found = set()
    for start in codes:
        seen, stack = {start}, [start]
        while stack:
            for nxt in graph.get(stack.pop(), ()):
                if nxt == spec.code:
                    found.add(start)
                    stack = []
                    break
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return found


def prerequisites_block(assignment: Assignment) -> bool:
    """Whether pending prerequisites refuse submission in this assignment's cycle."""
    return assignment.cycle.dependency_mode == DependencyMode.BLOCK
