"""The table report machine (表汇总): collecting 汇总中 → second_review 责任单位二审 →
collection_check 采集小组审核 → college_review 学院审核 → approved 已审定 → uploaded 已上传.

Lock order: the report first, then any contribution (contribution_return does the same), so two
transitions touching both never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.audit import acting_reset, event_record
from accounts.models import User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, has_unit_role, is_office
from collection.models import Contribution, ContributionState, TableReport, TableReportState
from collection.schema import Severity
from collection.services.crosscheck import crosscheck_refresh, stored_findings
from collection.services.merge import merged_findings, merged_rows
from collection.services.uploads import pack
from collection.services.versions import rows_hash
from review.explanations import open_rejections, rejection_message
from review.models import Review
from review.workflow.base import record, require_open_cycle, require_reason, require_state
from review.workflow.contributions import clean_remarks, lock_contribution, return_to_drafting

R = TableReportState
NEXT = {
    R.SECOND_REVIEW: R.COLLECTION_CHECK,
    R.COLLECTION_CHECK: R.COLLEGE_REVIEW,
    R.COLLEGE_REVIEW: R.APPROVED,
}
PREVIOUS = {
    R.SECOND_REVIEW: R.COLLECTING,
    R.COLLECTION_CHECK: R.SECOND_REVIEW,
    R.COLLEGE_REVIEW: R.COLLECTION_CHECK,
}
REOPEN_TO = R.COLLECTION_CHECK


def lock_report(report: TableReport) -> TableReport:
    acting_reset()  # a transition starts with no "acting for" left from an earlier check
    return (
        TableReport.objects.select_for_update(of=("self",))
        .select_related("assignment__cycle", "assignment__table", "assignment__responsible_unit")
        .get(pk=report.pk)
    )


def _table(report: TableReport) -> dict[str, str]:
    return {"table": report.assignment.table.code}


def _record(actor: User, report: TableReport, action: str, before: str, **extra: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=report,
        unit=report.assignment.responsible_unit,
        before=before,
        after=report.state,
        **extra,
    )


def _require_responsible(report: TableReport, actor: User, *roles: UnitRole) -> None:
    unit = report.assignment.responsible_unit
    if not any(has_unit_role(actor, role, unit) for role in roles):
        raise PermissionDenied(
            _("Only %(roles)s of the responsible unit %(unit)s may do this for %(table)s.")
            % {"roles": "、".join(str(r.label) for r in roles), "unit": unit.name, **_table(report)}
        )


def stage_holder_check(report: TableReport, actor: User) -> None:
    """The actor who holds the report's current review stage (who approves or returns it)."""
    state = report.state
    if state == R.SECOND_REVIEW:
        _require_responsible(report, actor, UnitRole.SECOND_REVIEWER)
        return
    group = {
        R.COLLECTION_CHECK: CollegeRole.COLLECTION_GROUP,
        R.COLLEGE_REVIEW: CollegeRole.COLLEGE_REVIEW_GROUP,
    }.get(state)  # type: ignore[call-overload]
    if group is None:
        require_state(report, *NEXT)
    elif not has_college_role(actor, group):
        raise PermissionDenied(
            _("Only the %(group)s may review %(table)s at this stage.")
            % {"group": group.label, **_table(report)}
        )


# Collecting → second review ------------------------------------------------------------------


def start_second_review_check(report: TableReport, actor: User) -> None:
    _require_responsible(report, actor, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER)
    require_open_cycle(report.assignment.cycle)
    require_state(report, R.COLLECTING)
    missing = (
        Contribution.objects.filter(assignment_id=report.assignment_id)
        .exclude(state=ContributionState.DELIVERED)
        .order_by("unit__code")
        .values_list("unit__name", flat=True)
    )
    if missing:
        raise ValidationError(
            _(
                "Not every unit has delivered %(table)s yet (missing: %(units)s): wait for them "
                "or remind them."
            )
            % {"units": "、".join(missing), **_table(report)}
        )


@transaction.atomic
def table_report_start_second_review(*, actor: User, report: TableReport) -> TableReport:
    """Start the responsible unit's second review once every contribution is delivered."""
    report = lock_report(report)
    start_second_review_check(report, actor)
    report.state = R.SECOND_REVIEW
    report.save(update_fields=["state", "updated_at"])
    _record(actor, report, "table_report.start_second_review", R.COLLECTING)
    return report


# Approve -------------------------------------------------------------------------------------


def approve_check(report: TableReport, actor: User) -> None:
    stage_holder_check(report, actor)
    require_open_cycle(report.assignment.cycle)
    require_state(report, *NEXT)
    if rejected := open_rejections(_delivered_versions(report), report.state):
        raise ValidationError(rejection_message(rejected))
    if report.state in CROSS_CHECKED:
        cross_table_check(report)
    if report.state not in (R.SECOND_REVIEW, R.COLLEGE_REVIEW):
        return
    merged = merged_rows(report)
    # Conflicts are the responsible unit's to settle, but the collection group may also return
    # one side, so they block only the final approval; a merged record's errors block at once.
    if report.state == R.COLLEGE_REVIEW and (conflicts := merged.conflicts):
        first = conflicts[0]
        raise ValidationError(
            _(
                "%(count)s conflict(s) in the merged table (first: %(what)s from %(units)s): "
                "return it to a unit to correct its data."
            )
            % {"count": len(conflicts), "what": first.what, "units": "、".join(first.units)}
        )
    errors = [f for f in merged_findings(report, merged) if f.severity == Severity.ERROR]
    if errors:
        raise ValidationError(
            _(
                "The merged record has %(count)s error(s) (first: %(column)s: %(message)s): "
                "return it to the unit that fills that field."
            )
            % {
                "count": len(errors),
                "column": errors[0].column or "-",
                "message": errors[0].message,
            }
        )


def _delivered_versions(report: TableReport) -> list[int | None]:
    return list(
        Contribution.objects.filter(
            assignment_id=report.assignment_id, state=ContributionState.DELIVERED
        ).values_list("current_version_id", flat=True)
    )


# The collection group's check and the college review approve only a table without cross-table
# errors (docs/rules.md): the stored result, re-computed at approval when stale or missing.
CROSS_CHECKED = (R.COLLECTION_CHECK, R.COLLEGE_REVIEW)


def cross_table_check(report: TableReport) -> None:
    """Refuse while the latest cross-table check has errors (rules not checked for lack of
    data, and findings against tables left out of the breakdown, do not count)."""
    result = getattr(report, "crosscheck", None)
    if result is None or not result.error_count:
        return
    first = next(
        (f for f in stored_findings(result) if f["severity"] == "error" and f.get("blocking")),
        None,
    )
    raise ValidationError(
        _(
            "The cross-table check of %(table)s found %(count)s error(s) (first: row %(row)s, "
            "%(column)s: %(message)s): return it to the unit whose rows they are, or have "
            "the other table corrected and check again."
        )
        % {
            "count": result.error_count,
            "row": (first or {}).get("row") or "-",
            "column": (first or {}).get("column") or "-",
            "message": (first or {}).get("message") or "-",
            **_table(report),
        }
    )


@transaction.atomic
def table_report_approve(*, actor: User, report: TableReport) -> TableReport:
    """Approve the current stage: second review (the responsible unit's second reviewer), the
    collection group's check, the college review. The college review's approval stores the
    merged rows and their hash: from then on the table is locked. At the collection group's
    check and the college review a stale or missing cross-table result is re-computed first."""
    report = lock_report(report)
    if report.state in CROSS_CHECKED:
        result = getattr(report, "crosscheck", None)
        if result is None or result.stale:
            crosscheck_refresh(report)
            report = lock_report(report)
    approve_check(report, actor)
    before = report.state
    report.state = NEXT[R(before)]
    fields = ["state", "updated_at"]
    if report.state == R.APPROVED:
        merged = merged_rows(report)
        report.merged_hash = merged.content_hash
        report.merged_blob = pack({"headers": merged.headers, "rows": merged.rows})
        fields += ["merged_hash", "merged_blob"]
    report.save(update_fields=fields)
    Review.objects.create(
        table_report=report, stage=before, reviewer=actor, decision=Review.Decision.APPROVE
    )
    _record(actor, report, "table_report.approve", before, content_hash=report.merged_hash)
    return report


# Return --------------------------------------------------------------------------------------


def return_check(report: TableReport, actor: User) -> None:
    stage_holder_check(report, actor)
    require_open_cycle(report.assignment.cycle)
    require_state(report, *PREVIOUS)


@transaction.atomic
def table_report_return(
    *,
    actor: User,
    report: TableReport,
    reason: str,
    remarks: Sequence[dict[str, Any]] = (),
    to_contribution: Contribution | None = None,
) -> TableReport:
    """Return one level back, or with ``to_contribution`` straight to that unit: the
    contribution goes to drafting and the report to collecting, in one transaction with an
    Event each. ``remarks`` is the issue list ([{row, column, text}])."""
    reason = require_reason(reason)
    report = lock_report(report)
    return_check(report, actor)
    before = report.state
    remarks = clean_remarks(remarks)
    data: dict[str, Any] = {"issues": len(remarks)}
    if to_contribution is not None:
        c = lock_contribution(to_contribution)
        if c.assignment_id != report.assignment_id or c.state != ContributionState.DELIVERED:
            raise ValidationError(
                _("Pick a delivered contribution to %(table)s to return it to.") % _table(report)
            )
        return_to_drafting(actor=actor, c=c, reason=reason, remarks=remarks)
        report.state, data["returned_to"] = R.COLLECTING, c.unit.code
        data["returned_to_name"] = c.unit.name
    else:
        report.state = PREVIOUS[R(before)]
    report.save(update_fields=["state", "updated_at"])
    Review.objects.create(
        table_report=report,
        stage=before,
        reviewer=actor,
        decision=Review.Decision.RETURN,
        reason=reason,
        remarks=remarks,
    )
    _record(actor, report, "table_report.return", before, reason=reason, data=data)
    return report


# Conflicts: keep one unit's row ------------------------------------------------------------

RESOLVABLE_STATES = (R.COLLECTING, R.SECOND_REVIEW)


def resolve_conflict_check(report: TableReport, actor: User) -> None:
    """Who may settle a key conflict by keeping one unit's row: the responsible unit's collector
    or second reviewer, while the table is still theirs (collecting or second review)."""
    _require_responsible(report, actor, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER)
    require_open_cycle(report.assignment.cycle)
    require_state(report, *RESOLVABLE_STATES)


@transaction.atomic
def table_report_resolve_conflict(
    *, actor: User, report: TableReport, key: str, keep_unit: str
) -> TableReport:
    """Settle the conflict on ``key`` (``MergeConflict.what``) by keeping the rows of the unit
    with code ``keep_unit``; the other units' rows for that key leave the merged table. The
    conflict is looked up again on the locked row, so a page out of date is refused."""
    report = lock_report(report)
    resolve_conflict_check(report, actor)
    conflict = next((c for c in merged_rows(report).conflicts if c.what == key), None)
    if conflict is None:
        raise ValidationError(
            _("“%(key)s” is no longer a conflict in %(table)s: reload the page.")
            % {"key": key[:60], **_table(report)}
        )
    if keep_unit not in conflict.codes:
        raise ValidationError(
            _("Choose one of the units whose data holds “%(key)s”: %(units)s.")
            % {"key": key, "units": "、".join(conflict.units)}
        )
    report.resolutions = {**(report.resolutions or {}), key: keep_unit}
    report.save(update_fields=["resolutions", "updated_at"])
    dropped = [code for code in conflict.codes if code != keep_unit]
    _record(
        actor,
        report,
        "table_report.resolve_conflict",
        report.state,
        data={"key": key, "kept": keep_unit, "dropped": dropped},
    )
    return report


# Office: reopen, uploaded --------------------------------------------------------------------


def office_check(report: TableReport, actor: User) -> None:
    if not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may reopen or mark %(table)s as uploaded.")
            % _table(report)
        )
    require_open_cycle(report.assignment.cycle)
    require_state(report, R.APPROVED)


@transaction.atomic
def table_report_reopen(*, actor: User, report: TableReport, reason: str) -> TableReport:
    """Reopen an approved table (approved → collection_check) with an audited reason."""
    reason = require_reason(reason)
    report = lock_report(report)
    office_check(report, actor)
    report.state = REOPEN_TO
    report.save(update_fields=["state", "updated_at"])
    _record(
        actor,
        report,
        "table_report.reopen",
        R.APPROVED,
        reason=reason,
        content_hash=report.merged_hash,
    )
    return report


@transaction.atomic
def table_report_mark_uploaded(
    *, actor: User, report: TableReport, closing: bool = False
) -> TableReport:
    """Record that the approved table is in the national platform (approved → uploaded).
    ``closing``: done by ``cycle_close`` for every table at once (the Event says so, and the
    group robot hears of the closing once instead of once per table)."""
    report = lock_report(report)
    office_check(report, actor)
    report.state = R.UPLOADED
    report.save(update_fields=["state", "updated_at"])
    _record(
        actor,
        report,
        "table_report.mark_uploaded",
        R.APPROVED,
        content_hash=report.merged_hash,
        data={"cycle_close": True} if closing else None,
    )
    return report


# Office: last year's data imported from an exported package ----------------------------------


@transaction.atomic
def table_report_import_approved(
    *, actor: User | None, report: TableReport, headers: list[str], rows: list[list[str]]
) -> TableReport:
    """Approve a table of a previous cycle with rows read from last year's exported package
    (collecting → approved), so that the first cycle in caiji has last year's data to compare
    with (review/yoy_import.py). The office only (``actor=None``: the command line); only while
    no unit has delivered data for the table, so nothing collected is overwritten."""
    report = lock_report(report)
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may import last year's data.")
        )
    require_open_cycle(report.assignment.cycle)
    require_state(report, R.COLLECTING)
    if Contribution.objects.filter(
        assignment_id=report.assignment_id, state=ContributionState.DELIVERED
    ).exists():
        raise ValidationError(
            _("Units have already delivered data for %(table)s: it cannot be imported.")
            % _table(report)
        )
    report.state = R.APPROVED
    report.merged_hash = rows_hash(headers, rows)
    report.merged_blob = pack({"headers": headers, "rows": rows})
    report.save(update_fields=["state", "merged_hash", "merged_blob", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Imported from last year's exported package.")
    event_record(
        actor=actor,
        action="table_report.import_approved",
        obj=report,
        unit=report.assignment.responsible_unit,
        from_state=R.COLLECTING,
        to_state=report.state,
        reason=reason,
        content_hash=report.merged_hash,
        data={"rows": len(rows), **_table(report)},
    )
    return report
