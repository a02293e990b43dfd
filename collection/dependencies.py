"""Prerequisite tables (基础表 and ``TableSpec.depends_on``): which tables an assignment needs
that are not yet delivered in the same cycle.

A prerequisite is *pending* while it is assigned in the cycle and its merged table has not left
collecting (汇总中): not every unit has delivered it yet, or the responsible unit has not yet
sent it to second review. An assigned table not yet published (no TableReport) is pending too.
A prerequisite that is not assigned in the cycle (the college does not fill it this year, or the
catalog names a table the cycle does not have) is not pending: nothing would ever deliver it.
A table never depends on itself.

``Cycle.dependency_mode`` says what pending prerequisites do: WARN shows them, BLOCK also
refuses submission (``review.workflow.contributions.submit_check``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from collection.models import Assignment, ContributionState, DependencyMode, TableReportState


@dataclass(frozen=True)
class PendingPrerequisite:
    code: str
    name: str
    state: str  # TableReportState value, or "" when the breakdown is not yet published
    state_label: str
    delivered: int
    expected: int
    responsible_unit: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def prerequisite_codes(assignment: Assignment) -> list[str]:
    """The table codes ``assignment``'s table depends on, without itself; no query when the
    table (usually select_related) is loaded."""
    own = assignment.table.code
    return [code for code in dict.fromkeys(assignment.table.depends_on or []) if code != own]


def prerequisites_pending(assignment: Assignment) -> list[PendingPrerequisite]:
    """The prerequisite tables of ``assignment`` in its cycle that are not yet delivered, in
    breakdown order. No query when the table depends on nothing; else one."""
    codes = prerequisite_codes(assignment)
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
    for row in rows:
        report = getattr(row, "report", None)
        if report is not None and report.state != TableReportState.COLLECTING:
            continue
        found.append(
            PendingPrerequisite(
                code=row.table.code,
                name=row.table.name,
                state=report.state if report else "",
                state_label=str(report.get_state_display()) if report else "",
                delivered=row.delivered_count,  # type: ignore[attr-defined]
                expected=row.expected_count,  # type: ignore[attr-defined]
                responsible_unit=row.responsible_unit.name,
            )
        )
    return found


def prerequisites_block(assignment: Assignment) -> bool:
    """Whether pending prerequisites refuse submission in this assignment's cycle."""
    return assignment.cycle.dependency_mode == DependencyMode.BLOCK
