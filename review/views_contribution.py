"""The contribution page (单位填报) and its actions: explain findings, submit, approve, sign and
return (uploading and downloads: review/views_upload.py). The buttons are exactly
``available_transitions``; every action loads the contribution through
``get_contribution_for_user`` (404 for outsiders) and lets the workflow decide
(PermissionDenied → 403, ValidationError → a message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.selectors import events_for_object
from collection.models import Contribution, ContributionState, Explanation
from collection.schema import Finding, Severity
from collection.services.jobs import jobs_shown
from collection.services.uploads import findings_from_upload, unpack
from collection.services.versions import (
    explanation_add,
    finding_key_of,
    require_collector,
    require_drafting,
)
from review import workflow
from review.access import get_contribution_for_user, require_right
from review.explanations import decisions_by_explanation, may_decide
from review.forms import ExplanationForm, ReturnForm, VersionUploadForm
from review.models import ExplanationReview, Review
from review.stale import moved_on
from review.workflow import contributions as cm

FINDINGS_SHOWN = 200
STATE_BADGES = {
    ContributionState.DRAFTING: "secondary",
    ContributionState.SOURCE_REVIEW: "primary",
    ContributionState.HEAD_SIGNOFF: "warning",
    ContributionState.DELIVERED: "success",
}


@dataclass
class RemarkEntry:
    """A cell remark of a return, placed in the findings list at its row and column."""

    row: int | None
    column: str
    column_letter: str
    value: str
    text: str
    review: Review


@dataclass
class FindingRow:
    finding: Finding | None
    key: str
    explanation: Explanation | None
    remark: RemarkEntry | None = None
    decisions: list[ExplanationReview] = field(default_factory=list)  # on the explanation


@require_GET
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    return _page(request, contribution)


@require_POST
def contribution_explain(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    form = ExplanationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The explanation form was incomplete: reload the page."))
        return redirect("review:contribution_detail", pk=pk)
    version = get_object_or_404(contribution.versions, pk=form.cleaned_data["version"])
    return _act(
        request,
        contribution,
        lambda actor, c: explanation_add(
            actor=actor,
            version=version,
            finding_key=form.cleaned_data["finding_key"],
            text=form.cleaned_data["text"],
        ),
        _("The explanation is saved."),
    )


@require_POST
def contribution_submit(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    return _act(
        request,
        contribution,
        lambda actor, c: workflow.contribution_submit(actor=actor, contribution=c),
        _("Submitted: the unit's source reviewers can now approve it."),
    )


@require_POST
def contribution_approve(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    return _act(
        request,
        contribution,
        lambda actor, c: workflow.contribution_approve(actor=actor, contribution=c),
        _("Your approval is recorded."),
    )


@require_POST
def contribution_sign(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    return _act(
        request,
        contribution,
        lambda actor, c: workflow.contribution_sign(actor=actor, contribution=c),
        _("Signed off: the data is delivered to the responsible unit."),
    )


@require_POST
def contribution_return(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    if moved_on(request, contribution):
        return redirect("review:contribution_detail", pk=pk)
    require_right(cm.return_check, contribution, request.user)  # type: ignore[arg-type]
    form = ReturnForm.for_table(contribution.assignment.table, request.POST)
    return _act(
        request,
        contribution,
        lambda actor, c: workflow.contribution_return(
            actor=actor,
            contribution=c,
            reason=request.POST.get("reason", ""),
            remarks=form.valid_remarks(),
        ),
        _("Returned to drafting with your reason: the collector can now correct the data."),
    )


def _act(
    request: HttpRequest,
    contribution: Contribution,
    action: Callable[[User, Contribution], Any],
    success: str,
) -> HttpResponse:
    """Run one workflow call; a refusal the person can act on becomes a message, a missing
    right (PermissionDenied) propagates as 403."""
    if moved_on(request, contribution):
        return redirect("review:contribution_detail", pk=contribution.pk)
    try:
        action(request.user, contribution)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("review:contribution_detail", pk=contribution.pk)


# The page -------------------------------------------------------------------------------------


def _sign_blocked(contribution: Contribution, user: User) -> list[str]:
    """Why a head of the unit may not sign now (e.g. he approved as one of the reviewers), so
    that the page says it instead of only leaving out the button."""
    if contribution.state != ContributionState.HEAD_SIGNOFF:
        return []
    try:
        cm.sign_check(contribution, user)
    except PermissionDenied:
        return []
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _page(
    request: HttpRequest,
    contribution: Contribution,
    *,
    upload_form: VersionUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    version = contribution.current_version
    latest_return = _latest_return(contribution)
    # A return's remarks say what to correct: shown until the corrected data is delivered (the
    # unit's reviewers and head see what was asked), not on the delivered data.
    open_ = contribution.state != ContributionState.DELIVERED
    remarks = _remark_entries(latest_return) if latest_return and open_ else []
    rows = _finding_rows(contribution, remarks) if version else []
    show_all = request.GET.get("findings") == "all"
    return render(
        request,
        "review/contribution_detail.html",
        {
            "contribution": contribution,
            "state_badge": STATE_BADGES.get(contribution.state, "secondary"),  # type: ignore[call-overload]
            "assignment": contribution.assignment,
            "deadline": _deadline(contribution),
            "version": version,
            "findings": rows if show_all else rows[:FINDINGS_SHOWN],
            "findings_total": len(rows),
            "findings_cut": not show_all and len(rows) > FINDINGS_SHOWN,
            "versions": contribution.versions.select_related("upload", "created_by").order_by(
                "-number"
            ),
            "reviews": contribution.reviews.select_related("reviewer", "version"),  # type: ignore[attr-defined]
            "signatures": contribution.signatures.select_related("head", "version"),  # type: ignore[attr-defined]
            "events": events_for_object(contribution, limit=100),
            "actions": [
                (t, reverse(f"review:contribution_{t.name}", args=[contribution.pk]))
                for t in workflow.available_transitions(contribution, user)
            ],
            "from_state": contribution.state,
            "sign_blocked": _sign_blocked(contribution, user),
            "can_change": _can_change(user, contribution),
            "can_decide": version is not None and may_decide(contribution, user),
            "upload_form": upload_form or VersionUploadForm(),
            "upload_inline_max_bytes": settings.CAIJI_UPLOAD_INLINE_MAX_BYTES,
            "return_form": ReturnForm.for_table(contribution.assignment.table),
            "latest_return": latest_return,
            "remarks": remarks,
            **_jobs_context(user, contribution),
        },
        status=status,
    )


def _finding_rows(contribution: Contribution, remarks: list[RemarkEntry]) -> list[FindingRow]:
    """The version's findings with the latest return's remarks placed at their rows (a
    remark first among the entries of its row)."""
    version = contribution.current_version
    assert version is not None
    latest: dict[str, Explanation] = {}
    for explanation in version.explanations.select_related("author"):  # newest first per key
        latest.setdefault(explanation.finding_key, explanation)
    rows = [FindingRow(None, "", None, remark) for remark in remarks]
    for finding in findings_from_upload(version.upload):
        key = finding_key_of(finding) if finding.severity == Severity.EXPLAIN else ""
        rows.append(FindingRow(finding, key, latest.get(key)))
    decisions = decisions_by_explanation(e.pk for e in latest.values())
    for item in rows:
        if item.explanation is not None:
            item.decisions = decisions.get(item.explanation.pk, [])
    if remarks:
        rows.sort(key=_row_key)  # stable: findings keep their order within a row
    return rows


def _row_key(item: FindingRow) -> tuple[bool, int]:
    row = item.remark.row if item.remark else item.finding.row  # type: ignore[union-attr]
    return (row is not None, row or 0)


def _latest_return(contribution: Contribution) -> Review | None:
    return (  # type: ignore[no-any-return]
        contribution.reviews.filter(decision=Review.Decision.RETURN)  # type: ignore[attr-defined]
        .select_related("reviewer", "version__upload")
        .first()
    )


def _remark_entries(review: Review) -> list[RemarkEntry]:
    """The return's remarks, each with the value it points at in the version it was given on."""
    if not review.remarks:
        return []
    headers: list[str] = []
    cells: dict[int, list[str]] = {}
    letters: dict[str, str] = {}
    if review.version is not None:
        data = unpack(review.version.upload.rows_blob) or {}
        assert isinstance(data, dict)
        headers = list(data.get("headers", []))
        cells = dict(zip(data.get("row_numbers", []), data.get("rows", []), strict=False))
        letters = data.get("column_letters", {})
    entries = []
    for remark in review.remarks:
        row, column = _row_number(remark.get("row")), str(remark.get("column") or "")
        values = cells.get(row or 0, [])
        index = headers.index(column) if column in headers else None
        value = values[index] if index is not None and index < len(values) else ""
        entries.append(
            RemarkEntry(row, column, letters.get(column, ""), value, remark.get("text", ""), review)
        )
    return entries


def _jobs_context(user: User, contribution: Contribution) -> dict[str, Any]:
    jobs = jobs_shown(contribution)
    return {
        "contribution": contribution,
        "jobs": jobs,
        "jobs_active": any(not j["finished"] for j in jobs),
        "can_change": _can_change(user, contribution),
    }


def _row_number(raw: object) -> int | None:
    try:
        return int(raw)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


def _deadline(contribution: Contribution) -> object:
    assignment = contribution.assignment
    if contribution.unit_id == assignment.responsible_unit_id:
        return assignment.responsible_deadline
    return assignment.assisting_deadline


def _can_change(user: User, contribution: Contribution) -> bool:
    """Whether the upload and explanation forms are shown: the services' own checks."""
    try:
        require_collector(user, contribution)
        require_drafting(contribution)
    except (PermissionDenied, ValidationError):
        return False
    return True
