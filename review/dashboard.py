"""The progress dashboard's figures (进度看板): where every table stands, who is late, who was
returned, and progress over time.

A handful of aggregate queries whatever the number of tables and units: the cycle's table
reports, their contributions, the returns per contribution, one query over the audit log grouped
by object and day (each contribution's delivery time and the chart), and the units and
categories for the filters. Everything else is
arithmetic in Python over those rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Event, Unit
from collection.models import (
    Assignment,
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
)
from collection.selectors import assignments_in_scope
from review.models import Review

S, R = ContributionState, TableReportState
DUE_SOON_DAYS = 3
LIST_LIMIT = 20  # rows of the overdue and due-soon lists on the page (all are in the report)

# The stages of a table: its report's state, with collecting split in three.
NOT_STARTED, COLLECTING, ALL_DELIVERED = "not_started", "collecting", "all_delivered"
STAGES: list[tuple[str, object]] = [
    (NOT_STARTED, _("Not started")),
    (COLLECTING, _("Collecting")),
    (ALL_DELIVERED, _("All delivered")),
    (R.SECOND_REVIEW.value, R.SECOND_REVIEW.label),
    (R.COLLECTION_CHECK.value, R.COLLECTION_CHECK.label),
    (R.COLLEGE_REVIEW.value, R.COLLEGE_REVIEW.label),
    (R.APPROVED.value, R.APPROVED.label),
    (R.UPLOADED.value, R.UPLOADED.label),
]
STAGE_ORDER = {value: i for i, (value, _label) in enumerate(STAGES)}
STAGE_LABELS = dict(STAGES)
# Bootstrap colours of the stages, from grey (nothing yet) to green (approved).
STAGE_COLOURS = {
    NOT_STARTED: "light",
    COLLECTING: "secondary",
    ALL_DELIVERED: "primary",
    R.SECOND_REVIEW: "info",
    R.COLLECTION_CHECK: "warning",
    R.COLLEGE_REVIEW: "warning",
    R.APPROVED: "success",
    R.UPLOADED: "dark",
}
# Where a stage's counter links to in the report list (its ?state= filter).
STAGE_LIST_STATE = {
    NOT_STARTED: R.COLLECTING,
    COLLECTING: R.COLLECTING,
    ALL_DELIVERED: R.COLLECTING,
}


@dataclass
class ContributionRow:
    pk: int
    assignment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    state: str
    has_version: bool
    deadline: datetime.date | None
    delivered_on: datetime.date | None = None  # the local day of the last sign-off
    returns: int = 0

    @property
    def delivered(self) -> bool:
        return self.state == S.DELIVERED

    @property
    def on_time(self) -> bool:
        """Delivered on or before the deadline day (no deadline: on time)."""
        if not self.delivered or self.delivered_on is None:
            return False
        if self.deadline is None:
            return True
        return self.delivered_on <= self.deadline

    def state_label(self) -> str:
        return str(S(self.state).label)

    @property
    def days_late(self) -> int:
        """Days past the deadline (negative: days left)."""
        if self.deadline is None:
            return 0
        return (timezone.localdate() - self.deadline).days


@dataclass
class TableRow:
    report_id: int
    assignment_id: int
    code: str
    name: str
    category: str
    state: str
    responsible_id: int
    responsible_name: str
    deadline: datetime.date | None
    contributions: list[ContributionRow] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(c.delivered for c in self.contributions)

    @property
    def total(self) -> int:
        return len(self.contributions)

    @property
    def returns(self) -> int:
        return sum(c.returns for c in self.contributions)

    @cached_property
    def stage(self) -> str:
        """Read once the contributions are in."""
        if self.state != R.COLLECTING:
            return self.state
        if self.total and self.delivered == self.total:
            return ALL_DELIVERED
        if any(c.has_version for c in self.contributions):
            return COLLECTING
        return NOT_STARTED

    @cached_property
    def late(self) -> bool:
        """A contribution is past its deadline and not delivered."""
        today = timezone.localdate()
        return any(
            not c.delivered and c.deadline is not None and c.deadline < today
            for c in self.contributions
        )

    def state_label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def colour(self) -> str:
        return STAGE_COLOURS[self.stage]

    @property
    def blanks(self) -> tuple[range, range]:
        """The empty cells of the matrix row before and after the table's stage."""
        i = STAGE_ORDER[self.stage]
        return range(i), range(len(STAGES) - i - 1)


@dataclass
class UnitRow:
    unit_id: int
    code: str
    name: str
    total: int = 0
    delivered: int = 0
    on_time: int = 0
    overdue: int = 0
    returns: int = 0

    @property
    def late(self) -> int:
        return self.delivered - self.on_time

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.delivered) if self.delivered else None


@dataclass
class Dashboard:
    cycle: Cycle
    tables: list[TableRow]
    units: list[UnitRow]
    overdue: list[tuple[TableRow, ContributionRow]]
    due_soon: list[tuple[TableRow, ContributionRow]]
    stage_counts: list[tuple[str, object, int, str, str]]  # value, label, count, colour, state
    contribution_counts: list[tuple[str, object, int]]  # value, label, count
    progress: list[tuple[datetime.date, int, int]]  # day, contributions delivered, approved
    categories: list[str]
    unit_choices: list[Unit]
    today: datetime.date


def _assignments(cycle: Cycle, *, category: str, unit_id: int | None) -> QuerySet[Assignment]:
    """The cycle's assignments in view: of a category, and those a unit is responsible for or
    contributes to. Only tables in scope (``collection.selectors.tables_in_scope``)."""
    found = assignments_in_scope(cycle)
    if category:
        found = found.filter(table__category=category)
    if unit_id is not None:
        contributes = Contribution.objects.filter(unit_id=unit_id).values("assignment_id")
        found = found.filter(Q(responsible_unit_id=unit_id) | Q(pk__in=contributes))
    return found


def dashboard(cycle: Cycle, *, category: str = "", unit_id: int | None = None) -> Dashboard:
    """The dashboard of ``cycle`` (the caller has checked who may see it): every table, or those
    of one category; for one unit (a unit head's dashboard, or the office's filter), the tables
    it is responsible for or contributes to, and among contributions its own and those to its
    tables."""
    today = timezone.localdate()
    assignments = _assignments(cycle, category=category, unit_id=unit_id)
    tables = _tables(assignments)
    by_assignment = {t.assignment_id: t for t in tables}
    contributions = Contribution.objects.filter(assignment__in=assignments.values("pk"))
    rows = _contributions(contributions, tables)
    progress = _events(contributions, assignments, unit_id, rows)
    for row in rows:
        by_assignment[row.assignment_id].contributions.append(row)
    responsible = {t.assignment_id: t.responsible_id for t in tables}
    mine = [
        (by_assignment[c.assignment_id], c)
        for c in rows
        if unit_id is None or unit_id in (c.unit_id, responsible[c.assignment_id])
    ]
    open_rows = [(t, c) for t, c in mine if not c.delivered and c.deadline is not None]
    return Dashboard(
        cycle=cycle,
        tables=tables,
        units=_units(mine, today),
        overdue=sorted(
            [(t, c) for t, c in open_rows if c.deadline < today],  # type: ignore[operator]
            key=lambda tc: (tc[1].deadline, tc[0].code, tc[1].unit_code),
        ),
        due_soon=sorted(
            [
                (t, c)
                for t, c in open_rows
                if today <= c.deadline <= today + datetime.timedelta(DUE_SOON_DAYS)  # type: ignore[operator]
            ],
            key=lambda tc: (tc[1].deadline, tc[0].code, tc[1].unit_code),
        ),
        stage_counts=_stage_counts(tables),
        contribution_counts=[
            (value, label, sum(c.state == value for _t, c in mine)) for value, label in S.choices
        ],
        progress=progress,
        categories=_categories(cycle),
        unit_choices=_unit_choices(cycle),
        today=today,
    )


def _tables(assignments: QuerySet[Assignment]) -> list[TableRow]:
    """One query: the table reports of ``assignments``, in breakdown order."""
    values = (
        TableReport.objects.filter(assignment__in=assignments.values("pk"))
        .order_by("assignment__position", "assignment__table__code")
        .values_list(
            "pk",
            "assignment_id",
            "assignment__table__code",
            "assignment__table__name",
            "assignment__table__category",
            "state",
            "assignment__responsible_unit_id",
            "assignment__responsible_unit__name",
            "assignment__responsible_deadline",
        )
    )
    return [TableRow(*row) for row in values]


def _contributions(
    contributions: QuerySet[Contribution], tables: list[TableRow]
) -> list[ContributionRow]:
    """Two queries: the contributions and their numbers of returns."""
    shown = {t.assignment_id for t in tables}
    rows = []
    values = contributions.order_by("unit__code").values_list(
        "pk",
        "assignment_id",
        "unit_id",
        "unit__code",
        "unit__name",
        "state",
        "current_version_id",
        "assignment__responsible_unit_id",
        "assignment__responsible_deadline",
        "assignment__assisting_deadline",
    )
    for pk, a_id, u_id, code, name, state, version, resp_id, resp_dl, assist_dl in values:
        if a_id not in shown:
            continue
        deadline = resp_dl if u_id == resp_id else assist_dl
        rows.append(
            ContributionRow(pk, a_id, u_id, code, name, state, version is not None, deadline)
        )
    by_pk = {row.pk: row for row in rows}
    returns = (
        Review.objects.filter(contribution__in=contributions, decision=Review.Decision.RETURN)
        .values("contribution_id")
        .annotate(n=Count("id"))
        .values_list("contribution_id", "n")
    )
    for contribution_id, n in returns:
        if (row := by_pk.get(contribution_id)) is not None:
            row.returns = n
    return rows


def _ids_as_text(objects: QuerySet) -> QuerySet:  # type: ignore[type-arg]
    """The primary keys as text, for matching ``Event.object_id`` in a subquery."""
    return objects.annotate(id_text=Cast("pk", CharField())).values("id_text")


def _units(mine: list[tuple[TableRow, ContributionRow]], today: datetime.date) -> list[UnitRow]:
    """Per unit: contributions, delivered, on time, overdue and returns; the units with the
    most late or overdue contributions first, then the most returns."""
    units: dict[int, UnitRow] = {}
    for _table, c in mine:
        unit = units.setdefault(c.unit_id, UnitRow(c.unit_id, c.unit_code, c.unit_name))
        unit.total += 1
        unit.delivered += c.delivered
        unit.on_time += c.on_time
        unit.overdue += not c.delivered and c.deadline is not None and c.deadline < today
        unit.returns += c.returns
    return sorted(units.values(), key=lambda u: (-(u.late + u.overdue), -u.returns, u.code))


def _stage_counts(tables: list[TableRow]) -> list[tuple[str, object, int, str, str]]:
    """Per stage: its label, number of tables, colour and the report list's state filter."""
    counts: dict[str, int] = defaultdict(int)
    for table in tables:
        counts[table.stage] += 1
    return [
        (value, label, counts[value], STAGE_COLOURS[value], STAGE_LIST_STATE.get(value, value))
        for value, label in STAGES
    ]


def _events(
    contributions: QuerySet[Contribution],
    assignments: QuerySet[Assignment],
    unit_id: int | None,
    rows: list[ContributionRow],
) -> list[tuple[datetime.date, int, int]]:
    """One query over the audit log, grouped by object and day: each contribution's last
    sign-off day (its delivery, set on ``rows``) and, per day, the contributions delivered and
    the tables approved (the progress over time)."""
    if unit_id is not None:
        contributions = contributions.filter(
            Q(unit_id=unit_id) | Q(assignment__responsible_unit_id=unit_id)
        )
    reports = TableReport.objects.filter(assignment__in=assignments.values("pk"))
    delivered = Q(
        action="contribution.sign",
        object_type=Contribution._meta.label_lower,
        object_id__in=_ids_as_text(contributions),
    )
    approved = Q(
        action="table_report.approve",
        to_state=R.APPROVED,
        object_type=TableReport._meta.label_lower,
        object_id__in=_ids_as_text(reports),
    )
    found = (
        Event.objects.filter(delivered | approved)
        .annotate(day=TruncDate("created_at"))
        .values("action", "object_id", "day")
        .annotate(n=Count("id"))
        .values_list("action", "object_id", "day", "n")
        .order_by()
    )
    by_pk = {row.pk: row for row in rows}
    per_day: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0])
    for action, object_id, day, n in found:
        if action == "contribution.sign":
            per_day[day][0] += n
            row = by_pk.get(int(object_id))
            if row is not None and (row.delivered_on is None or day > row.delivered_on):
                row.delivered_on = day
        else:
            per_day[day][1] += n
    return [(day, *per_day[day]) for day in sorted(per_day)]  # type: ignore[misc]


def _categories(cycle: Cycle) -> list[str]:
    found = assignments_in_scope(cycle).values_list("table__category", flat=True)
    return sorted(set(found) - {""})


def _unit_choices(cycle: Cycle) -> list[Unit]:
    """Every unit with a contribution in the cycle, for the unit filter."""
    ids = Contribution.objects.filter(assignment__cycle=cycle).values("unit_id")
    return list(Unit.objects.filter(pk__in=ids).order_by("code"))
