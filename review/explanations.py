"""Reviewers accept or reject a collector's explanation of a 需说明 finding.

Not a state change of the workflow: a decision is an append-only ``ExplanationReview`` and an
audited Event, written in one transaction on the locked rows. Who decides is whoever holds the
stage the data is in:

| where the data is | who decides | stage recorded |
|---|---|---|
| contribution in source review | a source reviewer of the unit | ``source_review`` |
| delivered, table in second review | the responsible unit's second reviewer | ``second_review`` |
| delivered, table in the collection group's check | the collection group | ``collection_check`` |
| delivered, table in college review | the college review group | ``college_review`` |

Only the latest explanation of a finding of the current version can be decided, and not by its
author. A rejection needs a reason.

What a rejection does: while the latest decision of any reviewer of a stage on the latest
explanation of a finding is a rejection, that stage cannot approve (``open_rejections``, read by
``review.workflow``'s approve checks). It is cleared when a reviewer of that stage accepts the
explanation after all, or when the collector writes a new explanation (append-only: the
rejection stays on the old text). The collector can write one only while drafting, so the
reviewer returns the data with the rejection's reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, has_unit_role
from collection.models import (
    Contribution,
    ContributionState,
    Explanation,
    TableReport,
    TableReportState,
)
from config.input import REASON_MAX, bounded_text
from review.models import ExplanationReview

D = ExplanationReview.Decision


def decision_stage(contribution: Contribution) -> str | None:
    """The stage whose holder decides explanations of the contribution now, if any."""
    if contribution.state == ContributionState.SOURCE_REVIEW:
        return ContributionState.SOURCE_REVIEW
    if contribution.state != ContributionState.DELIVERED:
        return None
    state = (
        TableReport.objects.filter(assignment_id=contribution.assignment_id)
        .values_list("state", flat=True)
        .first()
    )
    reviewing = (
        TableReportState.SECOND_REVIEW,
        TableReportState.COLLECTION_CHECK,
        TableReportState.COLLEGE_REVIEW,
    )
    return state if state in reviewing else None


def decide_check(contribution: Contribution, actor: User) -> str:
    """The stage ``actor`` decides explanations at now; ValidationError when nobody may (the
    data is not under review), PermissionDenied when someone else holds the stage."""
    names = {"table": contribution.assignment.table.code, "unit": contribution.unit.name}
    if contribution.assignment.cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is done: nothing in it can change any more.")
            % {"year": contribution.assignment.cycle.year}
        )
    stage = decision_stage(contribution)
    if stage is None:
        raise ValidationError(
            _(
                "%(table)s of %(unit)s is not under review now: explanations are accepted or "
                "rejected while a reviewer holds the data."
            )
            % names
        )
    if stage == ContributionState.SOURCE_REVIEW:
        allowed = has_unit_role(actor, UnitRole.SOURCE_REVIEWER, contribution.unit)
    elif stage == TableReportState.SECOND_REVIEW:
        allowed = has_unit_role(
            actor, UnitRole.SECOND_REVIEWER, contribution.assignment.responsible_unit
        )
    elif stage == TableReportState.COLLECTION_CHECK:
        allowed = has_college_role(actor, CollegeRole.COLLECTION_GROUP)
    else:
        allowed = has_college_role(actor, CollegeRole.COLLEGE_REVIEW_GROUP)
    if not allowed:
        raise PermissionDenied(
            _(
                "Only the reviewer of the current stage may accept or reject the explanations "
                "of %(table)s of %(unit)s."
            )
            % names
        )
    return stage


def may_decide(contribution: Contribution, actor: User) -> bool:
    try:
        decide_check(contribution, actor)
    except (PermissionDenied, ValidationError):
        return False
    return True


def _latest(explanations: Iterable[Explanation]) -> dict[tuple[int, str], Explanation]:
    """The latest explanation per (version, finding key); the input is newest first per key."""
    found: dict[tuple[int, str], Explanation] = {}
    for e in explanations:
        found.setdefault((e.version_id, e.finding_key), e)
    return found


@transaction.atomic
def explanation_decide(
    *, actor: User, explanation: Explanation, decision: str, reason: str = ""
) -> ExplanationReview:
    """Accept or reject one explanation as the reviewer of the current stage (audited)."""
    version = explanation.version
    # The lock order of the workflow: the table report first, then the contribution.
    TableReport.objects.select_for_update().filter(
        assignment_id=version.contribution.assignment_id
    ).first()
    contribution = (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("assignment__cycle", "assignment__table", "assignment__responsible_unit")
        .select_related("unit")
        .get(pk=version.contribution_id)
    )
    stage = decide_check(contribution, actor)
    if decision not in D.values:
        raise ValidationError(_("Choose to accept or to reject the explanation."))
    latest = _latest(version.explanations.filter(finding_key=explanation.finding_key))
    if (
        contribution.current_version_id != version.pk
        or latest.get((version.pk, explanation.finding_key)) != explanation
    ):
        raise ValidationError(_("This explanation is no longer the current one: reload the page."))
    if explanation.author_id == actor.pk:
        raise ValidationError(
            _("You wrote this explanation yourself: another reviewer must judge it.")
        )
    reason = bounded_text(reason, limit=REASON_MAX)
    if decision == D.REJECT and not reason:
        raise ValidationError(_("Give a reason for the rejection: say what the explanation lacks."))
    review = ExplanationReview.objects.create(
        explanation=explanation, reviewer=actor, stage=stage, decision=decision, reason=reason
    )
    event_record(
        actor=actor,
        action=f"explanation.{decision}",
        obj=contribution,
        unit=contribution.unit,
        reason=reason,
        content_hash=version.content_hash,
        data={
            "version": version.number,
            "finding": explanation.finding_key,
            "explanation": explanation.pk,
            "stage": stage,
        },
    )
    return review


@dataclass(frozen=True)
class OpenRejection:
    explanation: Explanation
    review: ExplanationReview


def open_rejections(version_ids: Iterable[int | None], stage: str) -> list[OpenRejection]:
    """Rejections at ``stage`` still standing on the given versions: the latest decision of a
    reviewer of that stage on the latest explanation of a finding is a rejection."""
    ids = [pk for pk in version_ids if pk is not None]
    if not ids:
        return []
    latest = _latest(
        Explanation.objects.filter(version_id__in=ids).select_related("version__contribution__unit")
    )
    by_pk = {e.pk: e for e in latest.values()}
    if not by_pk:
        return []
    decided: dict[tuple[int, int], ExplanationReview] = {}
    for review in ExplanationReview.objects.filter(explanation_id__in=by_pk, stage=stage):
        decided.setdefault((review.explanation_id, review.reviewer_id), review)  # newest first
    return [
        OpenRejection(by_pk[explanation_id], review)
        for (explanation_id, _reviewer), review in decided.items()
        if review.decision == D.REJECT
    ]


def rejection_message(rejections: list[OpenRejection]) -> str:
    first = rejections[0]
    rule, _row, column = first.explanation.finding_key.rsplit("|", 2)
    return _(
        "%(count)s explanation(s) were rejected at this stage (first: %(unit)s, %(finding)s: "
        "%(reason)s): return the data so that the collector explains again, or accept the "
        "explanation."
    ) % {
        "count": len(rejections),
        "unit": first.explanation.version.contribution.unit.name,
        "finding": column if column not in ("", "None") else rule,
        "reason": first.review.reason,
    }


def decisions_by_explanation(explanation_ids: Iterable[int]) -> dict[int, list[ExplanationReview]]:
    """Every decision on the given explanations, newest first, for the contribution page."""
    labels = {
        ContributionState.SOURCE_REVIEW.value: ContributionState.SOURCE_REVIEW.label,
        **{s.value: s.label for s in TableReportState},
    }
    found: dict[int, list[ExplanationReview]] = {}
    for review in ExplanationReview.objects.filter(
        explanation_id__in=list(explanation_ids)
    ).select_related("reviewer"):
        review.stage_label = str(labels.get(review.stage, review.stage))  # type: ignore[attr-defined]
        found.setdefault(review.explanation_id, []).append(review)
    return found
