"""The contribution machine (单位填报):
drafting 填报中 → source_review 来源审核 → head_signoff 负责人签字 → delivered 已报送责任单位.

Each ``*_check`` function raises PermissionDenied (the actor may not) or ValidationError (not
now, and why); the transition calls it on the locked row, and ``available_transitions`` calls
it on the row as loaded, so the buttons and the rules are the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import acting_for_of, acting_reset
from accounts.models import Event, User
from accounts.roles import UnitRole
from accounts.selectors import has_unit_role
from collection.dependencies import (
    prerequisites_block,
    prerequisites_blocking,
    prerequisites_pending,
    rule_prerequisites,
)
from collection.models import Contribution, ContributionState, TableReport, TableReportState
from collection.services.versions import require_collector, unexplained_findings
from review.explanations import open_rejections, rejection_message
from review.models import Review, Signature
from review.workflow.base import record, require_open_cycle, require_reason, require_state
from review.workflow.separation import approve_leaves_a_signer, sign_by_a_third_person

S = ContributionState
REQUIRED_APPROVALS = 2  # regulation 一(二)1: "至少指定 2 人 … 审核"
RETURNABLE_REPORT_STATES = (TableReportState.COLLECTING, TableReportState.SECOND_REVIEW)


def lock_contribution(contribution: Contribution) -> Contribution:
    acting_reset()  # a transition starts with no "acting for" left from an earlier check
    return (
        Contribution.objects.select_for_update(of=("self",))
        .select_related(
            "assignment__cycle",
            "assignment__table",
            "assignment__responsible_unit",
            "unit",
            "current_version",
        )
        .get(pk=contribution.pk)
    )


def _names(c: Contribution) -> dict[str, str]:
    return {"table": c.assignment.table.code, "unit": c.unit.name}


def approvers(c: Contribution) -> set[int]:
    """Distinct reviewers who approved the current version in the current submission."""
    return set(
        Review.objects.filter(
            contribution=c,
            decision=Review.Decision.APPROVE,
            stage=S.SOURCE_REVIEW,
            version=c.current_version,
            submission=c.submission,
        ).values_list("reviewer_id", flat=True)
    )


def approval_principals(c: Contribution) -> dict[int, int]:
    """{reviewer id: whom the approval counts for} for the approvals of the current version in
    the current submission: the reviewer, or the delegator when they approved as a delegate
    (read from their approval's Event, which records ``acting_for``)."""
    reviewers = approvers(c)
    if not reviewers or c.current_version is None:
        return {}
    delegated = dict(
        Event.objects.filter(
            action="contribution.approve",
            object_type=c._meta.label_lower,
            object_id=str(c.pk),
            actor_id__in=reviewers,
            acting_for__isnull=False,
            data__submission=c.submission,
            data__version=c.current_version.number,
        ).values_list("actor_id", "acting_for_id")
    )
    return {r: delegated.get(r, r) for r in reviewers}


def approval_count(c: Contribution, principals: dict[int, int] | None = None) -> int:
    """How many distinct reviewers' approvals count: a delegate's approval counts for the
    delegator, so a delegator and their delegate never make two."""
    return len(set((approval_principals(c) if principals is None else principals).values()))


# Submit ---------------------------------------------------------------------------------------


def submit_check(c: Contribution, actor: User) -> None:
    require_collector(actor, c)
    require_open_cycle(c.assignment.cycle)
    require_state(c, S.DRAFTING)
    version = c.current_version
    if version is None:
        raise ValidationError(_("Upload the data for %(table)s before submitting it.") % _names(c))
    if version.error_count:
        raise ValidationError(
            _(
                "Version %(number)s has %(count)s error(s): correct them in the file and upload "
                "it again before submitting."
            )
            % {"number": version.number, "count": version.error_count}
        )
    if missing := unexplained_findings(version):
        raise ValidationError(
            _(
                "%(count)s finding(s) ask for an explanation (first: row %(row)s, %(column)s): "
                "explain each of them before submitting."
            )
            % {"count": len(missing), "row": missing[0].row or "-", "column": missing[0].column}
        )
    # Read the rules first: a table without prerequisites costs no query.
    blocking = rule_prerequisites(c.assignment.table) and prerequisites_block(c.assignment)
    if blocking and (pending := prerequisites_blocking(prerequisites_pending(c.assignment))):
        raise ValidationError(
            _(
                "The prerequisite table(s) %(tables)s are not yet delivered, and this cycle "
                "blocks submission until they are: submit again once they are delivered, or "
                "ask the office."
            )
            % {"tables": "、".join(str(p) for p in pending)}
        )


@transaction.atomic
def contribution_submit(*, actor: User, contribution: Contribution) -> Contribution:
    """Send the current version to the unit's source reviewers (drafting → source_review).

    Starts a new submission: approvals given before a return do not count again.
    """
    c = lock_contribution(contribution)
    submit_check(c, actor)
    c.state, c.submission = S.SOURCE_REVIEW, c.submission + 1
    c.save(update_fields=["state", "submission", "updated_at"])
    _record(actor, c, "contribution.submit", S.DRAFTING)
    return c


# Approve (source review) ---------------------------------------------------------------------


def approve_check(c: Contribution, actor: User) -> None:
    if not has_unit_role(actor, UnitRole.SOURCE_REVIEWER, c.unit):
        raise PermissionDenied(
            _("Only a source reviewer of %(unit)s may approve its data for %(table)s.") % _names(c)
        )
    require_open_cycle(c.assignment.cycle)
    require_state(c, S.SOURCE_REVIEW)
    assert c.current_version is not None
    if c.current_version.created_by_id == actor.pk:
        raise ValidationError(
            _(
                "You uploaded version %(number)s yourself, so you may not approve it: another "
                "reviewer of the unit must."
            )
            % {"number": c.current_version.number}
        )
    for_whom = acting_for_of(actor)  # noted by has_unit_role above: a delegator, or None
    principals = approval_principals(c)
    if actor.pk in principals:
        raise ValidationError(
            _("You have already approved version %(number)s: a second reviewer must approve it.")
            % {"number": c.current_version.number}
        )
    if for_whom is not None and c.current_version.created_by_id == for_whom.pk:
        raise ValidationError(
            _(
                "%(person)s, for whom you act, uploaded version %(number)s, so you may not "
                "approve it for them: another reviewer of the unit must."
            )
            % {"person": for_whom.name, "number": c.current_version.number}
        )
    principal = for_whom.pk if for_whom is not None else actor.pk
    if principal in principals.values():
        raise ValidationError(
            _(
                "Version %(number)s is already approved for %(person)s (by them or their "
                "delegate): a reviewer other than the two of you must approve it."
            )
            % {
                "number": c.current_version.number,
                "person": for_whom.name if for_whom is not None else actor.name,
            }
        )
    if rejected := open_rejections([c.current_version_id], S.SOURCE_REVIEW):
        raise ValidationError(rejection_message(rejected))
    approve_leaves_a_signer(c, actor, for_whom, principals)


@transaction.atomic
def contribution_approve(*, actor: User, contribution: Contribution) -> Contribution:
    """Approve the current version as a source reviewer; the second distinct approval moves it
    on to the head (source_review → head_signoff).

    The contribution row stays locked from the check to the count, so simultaneous approvals
    are counted one after another: a reviewer counts once, and the move happens once.
    """
    c = lock_contribution(contribution)
    approve_check(c, actor)
    assert c.current_version is not None
    for_whom = acting_for_of(actor)
    # Counted before this approval's Event exists: it counts for the person acted for.
    counted = set(approval_principals(c).values()) | {for_whom.pk if for_whom else actor.pk}
    Review.objects.create(
        contribution=c,
        version=c.current_version,
        submission=c.submission,
        stage=S.SOURCE_REVIEW,
        reviewer=actor,
        decision=Review.Decision.APPROVE,
    )
    count = len(counted)
    if count >= REQUIRED_APPROVALS:
        c.state = S.HEAD_SIGNOFF
        c.save(update_fields=["state", "updated_at"])
    _record(
        actor,
        c,
        "contribution.approve",
        S.SOURCE_REVIEW,
        data={"approvals": count, "submission": c.submission},
    )
    return c


# Sign -----------------------------------------------------------------------------------------


def sign_check(c: Contribution, actor: User) -> None:
    if not has_unit_role(actor, UnitRole.HEAD, c.unit):
        raise PermissionDenied(
            _("Only the head of %(unit)s may sign off its data for %(table)s.") % _names(c)
        )
    require_open_cycle(c.assignment.cycle)
    require_state(c, S.HEAD_SIGNOFF)
    for_whom = acting_for_of(actor)  # noted by has_unit_role above: the head, or None
    principals = approval_principals(c)
    if approval_count(c, principals) < REQUIRED_APPROVALS:
        raise ValidationError(
            _(
                "The reviewers' approvals are not for the current version: return it so that "
                "two reviewers approve the version you sign."
            )
        )
    sign_by_a_third_person(c, actor, for_whom, principals)


@transaction.atomic
def contribution_sign(*, actor: User, contribution: Contribution) -> Contribution:
    """Sign off as the unit head and deliver to the responsible unit (head_signoff → delivered).

    The signature binds the content hash of the version the two reviewers approved; the check
    runs on the locked row, so the version cannot change between check and signature.
    """
    c = lock_contribution(contribution)
    sign_check(c, actor)
    version = c.current_version
    assert version is not None
    Signature.objects.create(
        contribution=c, version=version, head=actor, content_hash=version.content_hash
    )
    c.state = S.DELIVERED
    c.save(update_fields=["state", "updated_at"])
    _record(actor, c, "contribution.sign", S.HEAD_SIGNOFF)
    return c


# Return ---------------------------------------------------------------------------------------


def return_check(c: Contribution, actor: User, report: TableReport | None = None) -> None:
    """Reviewers and the head return from source_review or head_signoff; the responsible unit
    (collector or second reviewer) returns a delivered one while its table is not yet past
    second review."""
    if c.state == S.DELIVERED:
        responsible = c.assignment.responsible_unit
        if not any(
            has_unit_role(actor, role, responsible)
            for role in (UnitRole.SECOND_REVIEWER, UnitRole.COLLECTOR)
        ):
            raise PermissionDenied(
                _(
                    "Only the responsible unit %(unit)s (its collector or second reviewer) may "
                    "return delivered data."
                )
                % {"unit": responsible.name}
            )
        report = report or TableReport.objects.get(assignment_id=c.assignment_id)
        if report.state not in RETURNABLE_REPORT_STATES:
            raise ValidationError(
                _(
                    "The merged table is already in “%(state)s”: ask the group reviewing it to "
                    "return it to you first."
                )
                % {"state": report.get_state_display()}
            )
    elif not any(
        has_unit_role(actor, role, c.unit) for role in (UnitRole.SOURCE_REVIEWER, UnitRole.HEAD)
    ):
        raise PermissionDenied(
            _("Only a source reviewer or the head of %(unit)s may return its data.") % _names(c)
        )
    require_open_cycle(c.assignment.cycle)
    require_state(c, S.SOURCE_REVIEW, S.HEAD_SIGNOFF, S.DELIVERED)


@transaction.atomic
def contribution_return(
    *,
    actor: User,
    contribution: Contribution,
    reason: str,
    remarks: Sequence[dict[str, Any]] = (),
) -> Contribution:
    """Send the contribution back to drafting with a reason and optional cell remarks
    ([{row, column, text}]).

    Locks the table report before the contribution (the order every transition touching both
    uses); a report in second review goes back to collecting with its own Event.
    """
    reason = require_reason(reason)
    report = TableReport.objects.select_for_update().get(assignment_id=contribution.assignment_id)
    c = lock_contribution(contribution)
    return_check(c, actor, report)
    return_to_drafting(actor=actor, c=c, reason=reason, remarks=remarks)
    if c.state == S.DRAFTING and report.state == TableReportState.SECOND_REVIEW:
        report_back_to_collecting(actor=actor, report=report, reason=reason, unit=c.unit.name)
    return c


def return_to_drafting(
    *, actor: User, c: Contribution, reason: str, remarks: Sequence[dict[str, Any]]
) -> None:
    """The state change of a return; the caller holds the locks and has checked the right."""
    before = c.state
    Review.objects.create(
        contribution=c,
        version=c.current_version,
        submission=c.submission,
        stage=before,
        reviewer=actor,
        decision=Review.Decision.RETURN,
        reason=reason,
        remarks=clean_remarks(remarks),
    )
    c.state = S.DRAFTING
    c.save(update_fields=["state", "updated_at"])
    _record(actor, c, "contribution.return", before, reason=reason)


def report_back_to_collecting(*, actor: User, report: TableReport, reason: str, unit: str) -> None:
    before = report.state
    report.state = TableReportState.COLLECTING
    report.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        action="table_report.return",
        obj=report,
        unit=report.assignment.responsible_unit,
        before=before,
        after=report.state,
        reason=reason,
        data={"returned_contribution_of": unit},
    )


def clean_remarks(remarks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cell remarks as [{row, column, text}]; a remark without text is refused."""
    found = []
    for remark in remarks:
        text = str(remark.get("text", "")).strip()
        if not text:
            raise ValidationError(_("Each cell remark needs a text: say what is wrong there."))
        found.append({"row": remark.get("row"), "column": remark.get("column"), "text": text})
    return found


def _record(
    actor: User,
    c: Contribution,
    action: str,
    before: str,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    version = c.current_version
    record(
        actor=actor,
        action=action,
        obj=c,
        unit=c.unit,
        before=before,
        after=c.state,
        reason=reason,
        content_hash=version.content_hash if version else "",
        data={"version": version.number if version else None, **(data or {})},
    )
