"""Accepting or rejecting an explanation on the contribution page (review/explanations.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collection.models import Explanation
from review.access import get_contribution_for_user
from review.explanations import decide_check, explanation_decide
from review.models import ExplanationReview


@require_POST
def explanation_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST explanation (id), decision (accept / reject), reason."""
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    back = redirect("review:contribution_detail", pk=pk)
    try:
        decide_check(contribution, request.user)  # type: ignore[arg-type]  # 403 first
        explanation = _explanation(request, contribution.pk)
        explanation_decide(
            actor=request.user,  # type: ignore[arg-type]
            explanation=explanation,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return back
    if request.POST.get("decision") == ExplanationReview.Decision.REJECT:
        messages.success(
            request,
            _("The explanation is rejected: return the data so that the collector explains again."),
        )
    else:
        messages.success(request, _("The explanation is accepted."))
    return back


def _explanation(request: HttpRequest, contribution_pk: int) -> Explanation:
    try:
        pk = int(request.POST.get("explanation", ""))
    except ValueError:
        raise Http404 from None
    explanation = (
        Explanation.objects.select_related("version__contribution")
        .filter(pk=pk, version__contribution_id=contribution_pk)
        .first()
    )
    if explanation is None:
        raise Http404
    return explanation
