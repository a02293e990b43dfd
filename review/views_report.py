"""The table-report page (表汇总) and its actions, and the cycle's list of table reports.

The page shows each unit's contribution (who is missing, who is late), the merged data with its
conflicts and exactly the buttons of ``available_transitions``. Every action loads the report
through ``get_report_for_user`` (404 for outsiders) and lets the workflow decide
(PermissionDenied → 403, ValidationError → a message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Unit, User
from accounts.selectors import events_for_object
from collection.access import get_cycle
from collection.models import Contribution, ContributionState, TableReport, TableReportState
from collection.selectors import table_schema
from collection.services.merge import MergeConflict, MergedTable, merged_findings, merged_rows
from collection.services.uploads import unpack
from review import workflow
from review.access import RowScope, get_report_for_user, report_row_scope, require_right
from review.forms import ReturnForm
from review.selectors import report_contributions, report_list_for_user
from review.stale import moved_on
from review.workflow import contributions as cm
from review.workflow import table_reports as tm

R = TableReportState
ROWS_PER_PAGE = 100
STATE_BADGES = {
    R.COLLECTING: "secondary",
    R.SECOND_REVIEW: "primary",
    R.COLLECTION_CHECK: "info",
    R.COLLEGE_REVIEW: "warning",
    R.APPROVED: "success",
    R.UPLOADED: "dark",
}


@dataclass
class ConflictSide:
    code: str
    name: str
    rows: tuple[int | None, ...]
    contribution: Contribution | None


@dataclass
class ConflictItem:
    conflict: MergeConflict
    sides: list[ConflictSide]


# The page -------------------------------------------------------------------------------------


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    report = get_report_for_user(user, pk)
    assignment = report.assignment
    contributions = report_contributions(report)
    merged = _merged(report)
    scope = report_row_scope(user, report)
    shown = [i for i in range(len(merged.rows)) if _visible(merged, i, scope)]
    page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    by_code = {row.contribution.unit.code: row.contribution for row in contributions}
    delivered = [c for c in by_code.values() if c.state == ContributionState.DELIVERED]
    schema = table_schema(assignment.table)
    columns = list(schema.headers)
    return render(
        request,
        "review/report_detail.html",
        {
            "report": report,
            "assignment": assignment,
            "state_badge": STATE_BADGES.get(R(report.state), "secondary"),
            "contributions": contributions,
            "missing": [row for row in contributions if row.contribution.state != "delivered"],
            "merged": merged,
            "page": page,
            "page_rows": [
                (i + 1, merged.rows[i], _source(merged, i), i in merged.conflicting)
                for i in page.object_list
            ],
            "conflicts": [
                _conflict_item(c, by_code)
                for c in merged.conflicts
                if scope.everything or any(scope.allows_code(code) for code in c.codes)
            ],
            "rows_shown": len(shown),
            "own_rows_only": not scope.everything,
            "resolved": [
                (key, by_code[code].unit.name if code in by_code else code)
                for key, code in merged.resolved.items()
                if scope.allows_code(code)
            ],
            "can_keep": _passes(tm.resolve_conflict_check, report, user),
            "can_return_side": _may_return_side(report, user, delivered),
            "delivered": delivered,
            "actions": {
                t.name: (t, reverse(f"review:report_{t.name}", args=[report.pk]))
                for t in workflow.available_transitions(report, user)
            },
            "return_form": ReturnForm(columns=columns),
            "key_column": schema.key_fields[0] if schema.key_fields else "",
            "reviews": _reviews(report, scope),
            "events": _timeline(list(events_for_object(report, limit=100)), scope),
            "record_findings": (
                [] if report.is_locked or not scope.everything else merged_findings(report, merged)
            ),
            "scope": scope,
            "from_state": report.state,
        },
    )


def _reviews(report: TableReport, scope: RowScope) -> list[Any]:
    """The table's reviews; an assisting unit's people do not read the cell remarks, which
    point at rows of the merged table (any unit's) and quote their values."""
    labels = dict(R.choices)
    reviews = list(report.reviews.select_related("reviewer"))  # type: ignore[attr-defined]
    for review in reviews:
        review.stage_label = labels.get(review.stage, review.stage)  # type: ignore[attr-defined]
        if not scope.everything:
            review.remarks = []
    return reviews


def _timeline(events: list[Any], scope: RowScope) -> list[Any]:
    """The table's events as ``scope`` may read them: a reason written for another unit (a
    return to it) and the key of a conflict settled for another unit are left out (in memory
    only: events are append-only)."""
    if scope.everything:
        return events
    for event in events:
        data = event.data or {}
        returned_to = data.get("returned_to")
        to_name = data.get("returned_contribution_of")
        if (returned_to and not scope.allows_code(returned_to)) or (
            to_name and not scope.allows_name(to_name)
        ):
            event.reason = ""
        if event.action == "table_report.resolve_conflict" and not scope.allows_code(
            data.get("kept")
        ):
            event.data = {**data, "key": "…"}
        if event.action == "table_report.return" and not (returned_to or to_name):
            event.reason = ""  # returned one level: the reason is about the whole merged table
    return events


def _merged(report: TableReport) -> MergedTable:
    """The stored rows once approved (what was approved, not a new merge), else the merge now."""
    if report.is_locked and report.merged_blob:
        data = unpack(report.merged_blob)
        assert isinstance(data, dict)
        return MergedTable(list(data["headers"]), list(data["rows"]))
    return merged_rows(report)


def _visible(merged: MergedTable, i: int, scope: RowScope) -> bool:
    """Whether row ``i`` is one the person may read. The stored rows of an approved table carry
    no codes, only the 来源单位 name in the last cell."""
    if scope.everything:
        return True
    if merged.sources:
        return scope.allows_code(_source(merged, i)[0])
    return bool(merged.rows[i]) and scope.allows_name(merged.rows[i][-1])


def _source(merged: MergedTable, i: int) -> tuple[str, int | None]:
    return merged.sources[i] if i < len(merged.sources) else ("", None)


def _conflict_item(conflict: MergeConflict, by_code: dict[str, Contribution]) -> ConflictItem:
    sides = [
        ConflictSide(code, name, rows, by_code.get(code))
        for code, name, rows in zip(conflict.codes, conflict.units, conflict.rows, strict=False)
    ]
    return ConflictItem(conflict, sides)


def _passes(check: Callable[[TableReport, User], None], report: TableReport, user: User) -> bool:
    try:
        check(report, user)
    except (PermissionDenied, ValidationError):
        return False
    return True


def _may_return_side(report: TableReport, user: User, delivered: list[Contribution]) -> bool:
    """Whether the conflicts offer "return this unit's data": the responsible unit's return of
    a delivered contribution while the table is theirs, the stage holder's return afterwards."""
    if not delivered:
        return False
    if report.state in cm.RETURNABLE_REPORT_STATES:
        try:
            cm.return_check(delivered[0], user, report)
        except (PermissionDenied, ValidationError):
            return False
        return True
    return _passes(tm.return_check, report, user)


# Actions --------------------------------------------------------------------------------------


def _act(
    request: HttpRequest, report: TableReport, action: Callable[[User], Any], success: str
) -> HttpResponse:
    if moved_on(request, report):
        return redirect("review:report_detail", pk=report.pk)
    try:
        action(request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("review:report_detail", pk=report.pk)


def _return_form(request: HttpRequest, report: TableReport) -> ReturnForm | None:
    """The bound return form, or None after putting its errors in messages."""
    form = ReturnForm(request.POST, columns=table_schema(report.assignment.table).headers)
    if form.is_valid():
        return form
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))
    return None


@require_POST
def report_start_second_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_start_second_review(actor=actor, report=report),
        _("The second review has started."),
    )


@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    if moved_on(request, report):
        return redirect("review:report_detail", pk=pk)
    if request.POST.get("confirm") != "1":
        # The page asks for the tick; a post without it is a page out of date, not an approval.
        require_right(tm.approve_check, report, request.user)  # type: ignore[arg-type]
        messages.error(request, _("Tick the box to confirm that you checked the merged table."))
        return redirect("review:report_detail", pk=pk)
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_approve(actor=actor, report=report),
        _("Approved: the table has moved on to the next stage."),
    )


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    if moved_on(request, report):
        return redirect("review:report_detail", pk=pk)
    if (form := _return_form(request, report)) is None:
        require_right(tm.return_check, report, request.user)  # type: ignore[arg-type]
        return redirect("review:report_detail", pk=pk)
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_return(
            actor=actor,
            report=report,
            reason=form.cleaned_data["reason"],
            remarks=form.cleaned_data["remarks"],
        ),
        _("Returned one level with your reason."),
    )


@require_POST
def report_return_to_contribution(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the table straight to one unit (the report's own transition, by the stage
    holder): the contribution goes to drafting, the table to collecting."""
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    if moved_on(request, report):
        return redirect("review:report_detail", pk=pk)
    contribution = _contribution_of(request, report)
    if (form := _return_form(request, report)) is None:
        require_right(tm.return_check, report, request.user)  # type: ignore[arg-type]
        return redirect("review:report_detail", pk=pk)
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_return(
            actor=actor,
            report=report,
            reason=form.cleaned_data["reason"],
            remarks=form.cleaned_data["remarks"],
            to_contribution=contribution,
        ),
        _returned_to(contribution),
    )


@require_POST
def report_conflict_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return one side of a conflict: while the table is the responsible unit's (collecting or
    second review) it returns the delivered contribution (``contribution_return``); later the
    stage holder returns the table straight to that unit (``table_report_return``)."""
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    if moved_on(request, report):
        return redirect("review:report_detail", pk=pk)
    contribution = _contribution_of(request, report)
    if (form := _return_form(request, report)) is None:
        if report.state in cm.RETURNABLE_REPORT_STATES:
            require_right(cm.return_check, contribution, request.user, report)  # type: ignore[arg-type]
        else:
            require_right(tm.return_check, report, request.user)  # type: ignore[arg-type]
        return redirect("review:report_detail", pk=pk)
    reason, remarks = form.cleaned_data["reason"], form.cleaned_data["remarks"]

    def action(actor: User) -> Any:
        if report.state in cm.RETURNABLE_REPORT_STATES:
            return workflow.contribution_return(
                actor=actor, contribution=contribution, reason=reason, remarks=remarks
            )
        return workflow.table_report_return(
            actor=actor,
            report=report,
            reason=reason,
            remarks=remarks,
            to_contribution=contribution,
        )

    return _act(request, report, action, _returned_to(contribution))


@require_POST
def report_conflict_keep(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    key, code = request.POST.get("key", ""), request.POST.get("unit", "")
    unit = Unit.objects.filter(code=code).first()
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_resolve_conflict(
            actor=actor, report=report, key=key, keep_unit=code
        ),
        _("Kept the row of %(unit)s for “%(key)s”; the other units' rows for it are left out.")
        % {"unit": unit.name if unit else code, "key": key},
    )


@require_POST
def report_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    reason = request.POST.get("reason", "")
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_reopen(actor=actor, report=report, reason=reason),
        _("Reopened: the table is back with the collection group."),
    )


@require_POST
def report_mark_uploaded(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    return _act(
        request,
        report,
        lambda actor: workflow.table_report_mark_uploaded(actor=actor, report=report),
        _("Marked as uploaded to the national platform."),
    )


def _contribution_of(request: HttpRequest, report: TableReport) -> Contribution:
    raw = request.POST.get("contribution", "")
    return get_object_or_404(
        Contribution.objects.select_related("unit"),
        pk=int(raw) if raw.isdigit() else 0,
        assignment_id=report.assignment_id,
    )


def _returned_to(contribution: Contribution) -> str:
    return _("Returned to %(unit)s with your reason: its collector can now correct the data.") % {
        "unit": contribution.unit.name
    }


# The cycle's list -----------------------------------------------------------------------------


@require_GET
def report_list(request: HttpRequest, year: int) -> HttpResponse:
    """The cycle's table reports by state, filtered by state, category and responsible unit;
    unit people see those of their own units."""
    user: User = request.user  # type: ignore[assignment]
    cycle = get_cycle(user, year)
    state = request.GET.get("state", "")
    state = state if state in R.values else ""
    category = request.GET.get("category", "")
    unit = request.GET.get("unit", "")
    unit_id = int(unit) if unit.isdigit() else None
    everything = list(report_list_for_user(user, cycle))
    shown = [
        r
        for r in everything
        if (not state or r.state == state)
        and (not category or r.assignment.table.category == category)
        and (unit_id is None or r.assignment.responsible_unit_id == unit_id)
    ]
    counts = {s: 0 for s in R.values}
    for r in everything:
        counts[r.state] += 1
    units = {r.assignment.responsible_unit_id: r.assignment.responsible_unit for r in everything}
    return render(
        request,
        "review/report_list.html",
        {
            "cycle": cycle,
            "reports": shown,
            "states": [(value, label, counts[value]) for value, label in R.choices],
            "categories": sorted({r.assignment.table.category for r in everything} - {""}),
            "units": sorted(units.values(), key=lambda u: u.code),
            "filters": {"state": state, "category": category, "unit": unit_id},
            "state_badges": {s.value: b for s, b in STATE_BADGES.items()},
            "total": len(everything),
        },
    )
