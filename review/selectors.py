"""Reads of the workflow, always scoped to the person asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from accounts import delegation
from accounts.models import Unit, User
from accounts.roles import CODENAME_TO_UNIT_ROLE, CollegeRole, UnitRole
from accounts.selectors import has_college_role
from collection.models import (
    Contribution,
    ContributionState,
    CrossCheckResult,
    Cycle,
    CycleStatus,
    TableReport,
    TableReportState,
)
from collection.services.merge import merged_rows
from review.models import Review

S = ContributionState


@dataclass
class MyUnits:
    """The units a person holds each unit role in, themself or through a running delegation;
    ``acting_for``: {(role, unit id): delegator} for the roles held only as a delegate."""

    by_role: dict[UnitRole, set[int]]
    acting_for: dict[tuple[UnitRole, int], User]


def my_units(user: User) -> MyUnits:
    """One query for the roles held and the running delegations (a UNION), and one more only
    to read the delegators' names when there is a delegation."""
    found: dict[UnitRole, set[int]] = {role: set() for role in UnitRole}
    grants = (
        UserObjectPermission.objects.filter(
            user=user,
            content_type=ContentType.objects.get_for_model(Unit),
            permission__codename__in=list(CODENAME_TO_UNIT_ROLE),
        )
        .annotate(
            c=F("permission__codename"),
            o=F("object_pk"),
            d=Value(None, output_field=IntegerField()),
        )
        .values_list("c", "o", "d")
        .order_by()
    )
    held = (
        delegation.running()
        .filter(delegate=user)
        .annotate(c=F("codename"), o=F("unit_pk_text"), d=F("delegator_id"))
        .values_list("c", "o", "d")
        .order_by()
    )
    delegated: dict[tuple[UnitRole, int], int] = {}
    for codename, object_pk, delegator_id in grants.union(held, all=True):
        role, unit_id = CODENAME_TO_UNIT_ROLE[codename], int(object_pk)
        if delegator_id is None:
            found[role].add(unit_id)
            delegated.pop((role, unit_id), None)
        elif unit_id not in found[role]:
            delegated[(role, unit_id)] = delegator_id
    for role, unit_id in delegated:
        found[role].add(unit_id)
    people = User.objects.in_bulk(set(delegated.values())) if delegated else {}
    return MyUnits(found, {key: people[pk] for key, pk in delegated.items()})


def unit_ids_by_role(user: User) -> dict[UnitRole, set[int]]:
    """The units ``user`` holds each unit role in (delegations included), in two queries."""
    return my_units(user).by_role


def mark_acting_for(
    contributions: list[Contribution],
    reports: list[TableReport],
    acting_for: dict[tuple[UnitRole, int], User],
) -> None:
    """Set ``acting_for`` (the delegator, or None) on My work's items held through a
    delegation: the reviewer's or head's step of a contribution, the second review of a table."""
    role_of = {S.SOURCE_REVIEW: UnitRole.SOURCE_REVIEWER, S.HEAD_SIGNOFF: UnitRole.HEAD}
    for c in contributions:
        role = role_of.get(S(c.state))
        c.acting_for = acting_for.get((role, c.unit_id)) if role else None  # type: ignore[attr-defined]
    for r in reports:
        key = (UnitRole.SECOND_REVIEWER, r.assignment.responsible_unit_id)
        r.acting_for = acting_for.get(key) if r.state == R.SECOND_REVIEW else None  # type: ignore[attr-defined]


def work_items_for_user(
    user: User, units: dict[UnitRole, set[int]] | None = None
) -> QuerySet[Contribution]:
    """The contributions waiting for ``user``, most urgent deadline first (two queries): drafting
    ones of units they collect for, source_review ones they may still approve (not uploaded
    by them, not yet approved by them in this submission), head_signoff ones they sign.

    Each item has ``deadline``: the responsible unit's date for its own contribution, the
    assisting units' date otherwise."""
    approved = Review.objects.filter(
        contribution=OuterRef("pk"),
        reviewer=user,
        decision=Review.Decision.APPROVE,
        stage=S.SOURCE_REVIEW,
        version=OuterRef("current_version"),
        submission=OuterRef("submission"),
    )
    units = unit_ids_by_role(user) if units is None else units
    waiting = (
        Q(state=S.DRAFTING, unit_id__in=units[UnitRole.COLLECTOR])
        | (
            Q(state=S.SOURCE_REVIEW, unit_id__in=units[UnitRole.SOURCE_REVIEWER])
            & ~Q(current_version__created_by=user)
            & ~Exists(approved)
        )
        | Q(state=S.HEAD_SIGNOFF, unit_id__in=units[UnitRole.HEAD])
    )
    deadline = Case(
        When(
            unit_id=F("assignment__responsible_unit_id"),
            then=F("assignment__responsible_deadline"),
        ),
        default=F("assignment__assisting_deadline"),
    )
    return (
        Contribution.objects.filter(waiting, assignment__cycle__published_at__isnull=False)
        .exclude(assignment__cycle__status=CycleStatus.DONE)
        .annotate(deadline=deadline)
        .select_related("assignment__table", "assignment__cycle", "unit")
        .order_by(F("deadline").asc(nulls_last=True), "assignment__position", "unit__code")
    )


R = TableReportState
GROUP_STAGES = {
    CollegeRole.COLLECTION_GROUP: R.COLLECTION_CHECK,
    CollegeRole.COLLEGE_REVIEW_GROUP: R.COLLEGE_REVIEW,
}


def report_work_items_for_user(
    user: User, units: dict[UnitRole, set[int]] | None = None
) -> QuerySet[TableReport]:
    """The table reports waiting for ``user``, most urgent deadline first (few queries): the
    responsible unit's collector and second reviewer for a collecting one whose contributions
    are all delivered (start the second review), its second reviewer in second review, the
    collection group in its check and the college review group in the college review.

    Each item has ``deadline``: the responsible unit's date while the table is with it, the
    cycle's review deadline afterwards. ``units``: ``unit_ids_by_role(user)`` if already read."""
    units = unit_ids_by_role(user) if units is None else units
    responsible = units[UnitRole.COLLECTOR] | units[UnitRole.SECOND_REVIEWER]
    undelivered = Contribution.objects.filter(assignment_id=OuterRef("assignment_id")).exclude(
        state=S.DELIVERED
    )
    waiting = (
        Q(state=R.COLLECTING, assignment__responsible_unit_id__in=responsible)
        & ~Exists(undelivered)
    ) | Q(
        state=R.SECOND_REVIEW, assignment__responsible_unit_id__in=units[UnitRole.SECOND_REVIEWER]
    )
    for role, stage in GROUP_STAGES.items():
        if has_college_role(user, role):
            waiting |= Q(state=stage)
    deadline = Case(
        When(
            state__in=[R.COLLECTING, R.SECOND_REVIEW],
            then=F("assignment__responsible_deadline"),
        ),
        default=F("assignment__cycle__review_deadline"),
    )
    return (
        TableReport.objects.filter(waiting, assignment__cycle__published_at__isnull=False)
        .exclude(assignment__cycle__status=CycleStatus.DONE)
        .annotate(deadline=deadline)
        .select_related("assignment__table", "assignment__cycle", "assignment__responsible_unit")
        .order_by(F("deadline").asc(nulls_last=True), "assignment__position")
    )


def report_list_for_user(
    user: User,
    cycle: Cycle,
    *,
    state: str = "",
    category: str = "",
    unit_id: int | None = None,
) -> QuerySet[TableReport]:
    """The cycle's table reports ``user`` may see (every one for a college-wide role, else those
    of the units they hold a role in, responsible or assisting), filtered, in breakdown order."""
    reports = TableReport.objects.filter(assignment__cycle=cycle)
    if not any(has_college_role(user, role) for role in CollegeRole):
        mine = set().union(*unit_ids_by_role(user).values())
        reports = reports.filter(
            Q(assignment__responsible_unit_id__in=mine) | Q(assignment__assisting_units__in=mine)
        ).distinct()
    if state:
        reports = reports.filter(state=state)
    if category:
        reports = reports.filter(assignment__table__category=category)
    if unit_id:
        reports = reports.filter(assignment__responsible_unit_id=unit_id)
    return (
        reports.select_related("assignment__table", "assignment__responsible_unit")
        .annotate(
            contribution_count=Count("assignment__contributions", distinct=True),
            delivered_count=Count(
                "assignment__contributions",
                filter=Q(assignment__contributions__state=S.DELIVERED),
                distinct=True,
            ),
        )
        .order_by("assignment__position", "assignment__table__code")
    )


@dataclass
class ContributionRow:
    contribution: Contribution
    deadline: datetime.date | None
    late: bool


def report_contributions(report: TableReport) -> list[ContributionRow]:
    """Each unit's contribution to the report (one query), the responsible unit first, with its
    deadline and whether it is late (deadline passed and not delivered)."""
    assignment = report.assignment
    today = timezone.localdate()
    found = []
    contributions = (
        Contribution.objects.filter(assignment_id=assignment.pk)
        .select_related("unit", "current_version__upload")
        .order_by("unit__code")
    )
    for c in sorted(contributions, key=lambda c: c.unit_id != assignment.responsible_unit_id):
        responsible = c.unit_id == assignment.responsible_unit_id
        deadline = assignment.responsible_deadline if responsible else assignment.assisting_deadline
        late = deadline is not None and deadline < today and c.state != S.DELIVERED
        found.append(ContributionRow(c, deadline, late))
    return found


def report_blockers(reports: list[TableReport]) -> dict[int, str]:
    """Why each report may not be approved in bulk ({report pk: reason}; absent = none): a
    delivered version with errors, cross-table errors in the stored check (a stale result
    counts as it stands: approval re-checks), or a key conflict in the merged table. The merge is computed
    only for reports with at least two delivered units (a conflict needs two)."""
    found: dict[int, str] = {}
    ids = [r.pk for r in reports]
    with_errors = (
        Contribution.objects.filter(
            assignment__report__in=ids, state=S.DELIVERED, current_version__error_count__gt=0
        )
        .values_list("assignment__report", "unit__name", "current_version__error_count")
        .order_by("unit__code")
    )
    for report_id, unit, errors in with_errors:
        found.setdefault(
            report_id,
            _("The delivered data of %(unit)s has %(count)s error(s).")
            % {"unit": unit, "count": errors},
        )
    cross = CrossCheckResult.objects.filter(report__in=ids, error_count__gt=0).values_list(
        "report", "error_count"
    )
    for report_id, errors in cross:
        found.setdefault(
            report_id,
            _("The cross-table check found %(count)s error(s): open the table to see them.")
            % {"count": errors},
        )
    delivered = dict(
        TableReport.objects.filter(pk__in=ids)
        .annotate(
            n=Count(
                "assignment__contributions",
                filter=Q(assignment__contributions__state=S.DELIVERED),
            )
        )
        .values_list("pk", "n")
    )
    for report in reports:
        if report.pk in found or delivered.get(report.pk, 0) < 2:
            continue
        if conflicts := merged_rows(report).conflicts:
            found[report.pk] = _(
                "%(count)s conflict(s) in the merged table (first: %(what)s from %(units)s)."
            ) % {
                "count": len(conflicts),
                "what": conflicts[0].what,
                "units": "、".join(conflicts[0].units),
            }
    return found
