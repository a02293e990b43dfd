"""The cycle's stages (筹备 → 部署 → 采集汇总 → 审核上传 → 已上传).

The last step is not an ordinary stage change: ``cycle_close`` marks every approved table as
uploaded to the national platform and closes the cycle, which from then on is read-only (every
write refuses a closed cycle, see docs/workflow.md "Closing the cycle") and is the comparison
basis of the next cycle.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import event_record
from accounts.models import User
from accounts.selectors import is_office
from collection.models import Cycle, CycleStatus, ExportJob, TableReport, TableReportState
from collection.services.uploads import unpack
from review.workflow.base import Transition, optional_reason
from review.workflow.table_reports import table_report_mark_uploaded

CYCLE_ORDER = [
    CycleStatus.PREPARING,
    CycleStatus.DEPLOYMENT,
    CycleStatus.COLLECTING,
    CycleStatus.REVIEWING,
    CycleStatus.DONE,
]
# The tables a closed cycle may hold: approved ones become uploaded when it closes.
READY = (TableReportState.APPROVED, TableReportState.UPLOADED)
NAMED = 10  # a refusal names this many tables that are not ready, then counts the rest


def cycle_transitions(cycle: Cycle, user: User) -> list[Transition]:
    """The stage changes ``user`` may make now (the page shows exactly these buttons). In the
    review and upload stage that is closing the cycle (``cycle_close``)."""
    if not is_office(user) or cycle.status == CycleStatus.DONE:
        return []
    if cycle.status == CycleStatus.REVIEWING:
        label = _("Mark as uploaded to the platform and close the cycle")
        return [Transition("close", str(label), CycleStatus.DONE)]
    target = CYCLE_ORDER[CYCLE_ORDER.index(CycleStatus(cycle.status)) + 1]
    return [
        Transition(
            "advance",
            str(gettext_lazy("Move to the next stage: %(stage)s") % {"stage": target.label}),
            target,
        )
    ]


def _require_office(actor: User) -> None:
    if not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may change the cycle's stage.")
        )


def _already_closed(cycle: Cycle) -> ValidationError:
    return ValidationError(
        _("The %(year)s cycle is already uploaded and closed: it is read-only.")
        % {"year": cycle.year}
    )


@transaction.atomic
def cycle_advance(*, actor: User, cycle: Cycle, reason: str = "") -> Cycle:
    """Move the cycle to its next stage (筹备 → 部署 → 采集汇总 → 审核上传). The last step,
    审核上传 → 已上传, is ``cycle_close``."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _require_office(actor)
    reason = optional_reason(reason)
    if cycle.status == CycleStatus.DONE:
        raise _already_closed(cycle)
    if cycle.status == CycleStatus.REVIEWING:
        raise ValidationError(
            _(
                "The %(year)s cycle is in its last stage: once every table is approved, close "
                "it with “Mark as uploaded to the platform and close the cycle”."
            )
            % {"year": cycle.year}
        )
    if cycle.status == CycleStatus.PREPARING and not cycle.tables.exists():
        raise ValidationError(
            _("The cycle has no tables yet: load the catalog or copy last year first.")
        )
    before = cycle.status
    cycle.status = CYCLE_ORDER[CYCLE_ORDER.index(CycleStatus(before)) + 1]
    cycle.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="cycle.advance",
        obj=cycle,
        from_state=before,
        to_state=cycle.status,
        reason=reason,
    )
    return cycle


# Closing: 已上传 ------------------------------------------------------------------------------


def cycle_reports(cycle: Cycle, *, lock: bool = False) -> list[TableReport]:
    """Every table report of the cycle, in the order of the task breakdown (``lock``: with a
    row lock on each)."""
    reports = TableReport.objects.filter(assignment__cycle=cycle)
    if lock:
        reports = reports.select_for_update(of=("self",))
    return list(
        reports.select_related("assignment__table", "assignment__responsible_unit").order_by(
            "assignment__position", "assignment__table__code"
        )
    )


def not_ready(reports: list[TableReport]) -> list[TableReport]:
    """The reports that keep the cycle from closing: not approved (nor uploaded) yet."""
    return [r for r in reports if r.state not in READY]


def close_check(cycle: Cycle, actor: User, reports: list[TableReport]) -> None:
    """Who may close and when: the office, in the review and upload stage, once every table
    report of the cycle is approved (or already uploaded). The refusal names the tables."""
    _require_office(actor)
    if cycle.status == CycleStatus.DONE:
        raise _already_closed(cycle)
    if cycle.status != CycleStatus.REVIEWING:
        raise ValidationError(
            _(
                "The %(year)s cycle is at the stage “%(stage)s”: it can be closed only in the "
                "stage “%(reviewing)s”."
            )
            % {
                "year": cycle.year,
                "stage": cycle.get_status_display(),
                "reviewing": CycleStatus.REVIEWING.label,
            }
        )
    if not reports:
        raise ValidationError(
            _(
                "The %(year)s cycle has no merged tables: publish the task breakdown and "
                "collect the data before closing it."
            )
            % {"year": cycle.year}
        )
    if waiting := not_ready(reports):
        raise ValidationError(not_ready_message(waiting))


def not_ready_message(waiting: list[TableReport]) -> str:
    named = "、".join(
        f"{r.assignment.table.code}（{r.get_state_display()}）" for r in waiting[:NAMED]
    )
    if len(waiting) > NAMED:
        named = _("%(tables)s and %(count)s more") % {
            "tables": named,
            "count": len(waiting) - NAMED,
        }
    return _(
        "%(count)s table(s) are not approved yet: %(tables)s. The cycle can be closed once "
        "the college review group has approved every table."
    ) % {"count": len(waiting), "tables": named}


def latest_package(cycle: Cycle) -> ExportJob | None:
    """The newest finished export package of approved tables only (what went to the platform)."""
    return (
        ExportJob.objects.filter(cycle=cycle, state=ExportJob.State.DONE, include_unapproved=False)
        .order_by("-finished_at", "-pk")
        .first()
    )


def _row_count(report: TableReport) -> int:
    data = unpack(report.merged_blob) if report.merged_blob else None
    return len(data.get("rows", [])) if isinstance(data, dict) else 0


@transaction.atomic
def cycle_close(*, actor: User, cycle: Cycle, reason: str = "") -> Cycle:
    """Mark the cycle 已上传 and close it (审核上传 → 已上传): every approved table report
    becomes uploaded (one ``table_report.mark_uploaded`` Event each), the cycle becomes done and
    a ``cycle.close`` Event records the tables, their rows and the export package sent.

    Lock order: the cycle, then its reports (each transition locks a report alone, so nothing
    waits on the cycle while holding a report). From then on the cycle is read-only."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    reports = cycle_reports(cycle, lock=True)
    close_check(cycle, actor, reports)
    reason = optional_reason(reason)
    marked = 0
    for report in reports:
        if report.state == TableReportState.APPROVED:
            table_report_mark_uploaded(actor=actor, report=report, closing=True)
            marked += 1
    before = cycle.status
    cycle.status = CycleStatus.DONE
    cycle.save(update_fields=["status"])
    data: dict[str, Any] = {
        "tables": len(reports),
        "marked_uploaded": marked,
        "rows": sum(_row_count(r) for r in reports),
    }
    if package := latest_package(cycle):
        data["package"] = {"filename": package.filename, "sha256": package.sha256}
    event_record(
        actor=actor,
        action="cycle.close",
        obj=cycle,
        from_state=before,
        to_state=cycle.status,
        reason=reason,
        content_hash=package.sha256 if package else "",
        data=data,
    )
    return cycle
