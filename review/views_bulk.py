"""Bulk approve (批量审核) for the collection group (tables in their check) and the college
review group (tables in the college review).

The list shows every table at the person's stage; one with a blocking finding (a merge
conflict, a delivered version with errors) is listed with the reason and cannot be ticked. The
preview (GET) shows exactly what will be approved and carries the ids; the confirm (POST)
checks everything again and approves each table on its own through ``table_report_approve``,
so one refusal does not stop the others. GET never changes anything."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.selectors import has_college_role
from collection.access import get_cycle
from collection.models import Cycle, TableReport, TableReportState
from collection.services.closed import closed_message
from review import workflow
from review.selectors import GROUP_STAGES, report_blockers

MAX_IDS = 500


def _stage(request: HttpRequest, user: User) -> TableReportState:
    """The stage the person approves in bulk (``?stage=`` when they are in both groups)."""
    stages = [stage for role, stage in GROUP_STAGES.items() if has_college_role(user, role)]
    if not stages:
        raise PermissionDenied(
            _("Only the collection group and the college review group approve tables in bulk.")
        )
    wanted = request.GET.get("stage") or request.POST.get("stage")
    return next((s for s in stages if s == wanted), stages[0])


def _reports(cycle: Cycle, stage: str, ids: list[int] | None = None) -> list[TableReport]:
    reports = TableReport.objects.filter(assignment__cycle=cycle, state=stage)
    if ids is not None:
        reports = reports.filter(pk__in=ids)
    return list(
        reports.select_related(
            "assignment__table", "assignment__responsible_unit", "assignment__cycle"
        ).order_by("assignment__position", "assignment__table__code")
    )


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values[:MAX_IDS] if v.isdigit()]


def _stages(user: User) -> list[tuple[str, str]]:
    return [
        (stage.value, str(stage.label))
        for role, stage in GROUP_STAGES.items()
        if has_college_role(user, role)
    ]


@require_GET
def bulk_list(request: HttpRequest, year: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cycle = get_cycle(user, year)
    stage = _stage(request, user)
    reports = _reports(cycle, stage)
    blockers = report_blockers(reports)
    return render(
        request,
        "review/bulk_list.html",
        {
            "cycle": cycle,
            "stage": stage,
            "stages": _stages(user),
            "items": [(r, blockers.get(r.pk, "")) for r in reports],
            "approvable": sum(1 for r in reports if r.pk not in blockers),
        },
    )


@require_GET
def bulk_preview(request: HttpRequest, year: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cycle = get_cycle(user, year)
    stage = _stage(request, user)
    reports = _reports(cycle, stage, _ids(request.GET.getlist("ids")))
    blockers = report_blockers(reports)
    if not reports:
        messages.error(request, _("Tick at least one table to approve."))
        return redirect(f"{reverse('review:bulk_list', args=[year])}?stage={stage}")
    return render(
        request,
        "review/bulk_preview.html",
        {
            "cycle": cycle,
            "stage": stage,
            "ready": [r for r in reports if r.pk not in blockers],
            "blocked": [(r, blockers[r.pk]) for r in reports if r.pk in blockers],
        },
    )


@require_POST
def bulk_confirm(request: HttpRequest, year: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cycle = get_cycle(user, year)
    stage = _stage(request, user)
    if cycle.is_closed:
        messages.error(request, closed_message(cycle))
        return redirect(f"{reverse('review:bulk_list', args=[year])}?stage={stage}")
    wanted = _ids(request.POST.getlist("ids"))
    reports = _reports(cycle, stage, wanted)
    blockers = report_blockers(reports)
    approved, refused = [], []
    for report in reports:
        if report.pk in blockers:
            refused.append((report, blockers[report.pk]))
            continue
        try:
            workflow.table_report_approve(actor=user, report=report)
        except (ValidationError, PermissionDenied) as exc:
            refused.append((report, " ".join(getattr(exc, "messages", [str(exc)]))))
        else:
            approved.append(report)
    gone = len(wanted) - len(reports)
    if approved:
        messages.success(
            request,
            _("Approved %(count)s table(s): %(tables)s.")
            % {"count": len(approved), "tables": "、".join(_name(r) for r in approved)},
        )
    for report, reason in refused:
        messages.error(
            request,
            _("%(table)s was not approved: %(reason)s")
            % {"table": _name(report), "reason": reason},
        )
    if gone:
        messages.warning(
            request,
            _("%(count)s table(s) are no longer at this stage and were left as they are.")
            % {"count": gone},
        )
    return redirect(f"{reverse('review:bulk_list', args=[year])}?stage={stage}")


def _name(report: TableReport) -> str:
    return f"{report.assignment.table.code} {report.assignment.table.name}"
