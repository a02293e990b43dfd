"""The contribution page (单位填报) and its actions: upload a version, explain findings, submit,
approve, sign and return. The buttons are exactly ``available_transitions``; every action
loads the contribution through ``get_contribution_for_user`` (404 for outsiders) and lets the
workflow decide (PermissionDenied → 403, ValidationError → a message)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from collection.services.uploads import findings_from_upload
from collection.services.versions import (
    explanation_add,
    finding_key_of,
    require_collector,
    require_drafting,
    version_create,
)
from review import workflow
from review.access import get_contribution_for_user
from review.forms import ExplanationForm, ReturnForm, VersionUploadForm

FINDINGS_SHOWN = 200
STATE_BADGES = {
    ContributionState.DRAFTING: "secondary",
    ContributionState.SOURCE_REVIEW: "primary",
    ContributionState.HEAD_SIGNOFF: "warning",
    ContributionState.DELIVERED: "success",
}


@dataclass
class FindingRow:
    finding: Finding
    key: str
    explanation: Explanation | None


@require_GET
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    return _page(request, contribution)


@require_POST
def contribution_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    form = VersionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            if file.size > settings.CAIJI_UPLOAD_MAX_BYTES:
                raise ValidationError(
                    _(
                        "The file is larger than %(mb)s MB. Upload only the table's sheet, "
                        "without pictures or other sheets."
                    )
                    % {"mb": settings.CAIJI_UPLOAD_MAX_BYTES // (1024 * 1024)}
                )
            version = version_create(
                actor=request.user,  # type: ignore[arg-type]
                contribution=contribution,
                content=file.read(),
                filename=file.name,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _version_message(version.number, version.error_count))
            return redirect("review:contribution_detail", pk=pk)
    return _page(request, contribution, upload_form=form, status=422)


def _version_message(number: int, errors: int) -> str:
    if errors:
        return _(
            "Version %(number)s is saved with %(count)s error(s): correct them in the file "
            "and upload it again."
        ) % {"number": number, "count": errors}
    return _("Version %(number)s is saved.") % {"number": number}


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
    form = ReturnForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        contribution,
        lambda actor, c: workflow.contribution_return(actor=actor, contribution=c, reason=reason),
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
    try:
        action(request.user, contribution)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("review:contribution_detail", pk=contribution.pk)


# The page -------------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    contribution: Contribution,
    *,
    upload_form: VersionUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    version = contribution.current_version
    rows = _finding_rows(contribution) if version else []
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
            "can_change": _can_change(user, contribution),
            "upload_form": upload_form or VersionUploadForm(),
            "return_form": ReturnForm(),
        },
        status=status,
    )


def _finding_rows(contribution: Contribution) -> list[FindingRow]:
    version = contribution.current_version
    assert version is not None
    latest: dict[str, Explanation] = {}
    for explanation in version.explanations.select_related("author"):  # newest first per key
        latest.setdefault(explanation.finding_key, explanation)
    rows = []
    for finding in findings_from_upload(version.upload):
        key = finding_key_of(finding) if finding.severity == Severity.EXPLAIN else ""
        rows.append(FindingRow(finding, key, latest.get(key)))
    return rows


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
