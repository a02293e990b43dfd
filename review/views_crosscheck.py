"""Cross-table checks on the pages: every finding of a table report (the table page shows the
first 200), "check again now", and one contribution's current version checked on demand."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from collection.services.closed import closed_message
from collection.services.crosscheck import crosscheck_refresh, crosscheck_version, source_label
from review.access import get_contribution_for_user, get_report_for_user, report_row_scope
from review.selectors_crosscheck import crosscheck_view, may_recheck, other_table_links

PER_PAGE = 200


@require_GET
def report_crosscheck(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    report = get_report_for_user(user, pk)
    view = crosscheck_view(report, scope=report_row_scope(user, report), limit=None)
    page = Paginator(view.findings, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/report_crosscheck.html",
        {
            "report": report,
            "assignment": report.assignment,
            "check": view,
            "page": page,
            "can_recheck": may_recheck(user, report) and not report.assignment.cycle.is_closed,
        },
    )


@require_POST
def report_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    report = get_report_for_user(user, pk)
    if not may_recheck(user, report):
        raise PermissionDenied(
            _(
                "Only the office, the collection group and the responsible unit may check "
                "%(table)s against the other tables again."
            )
            % {"table": report.assignment.table.code}
        )
    if report.assignment.cycle.is_closed:
        messages.error(request, closed_message(report.assignment.cycle))
        return redirect(reverse("review:report_detail", args=[report.pk]) + "#crosscheck")
    with transaction.atomic():
        result = crosscheck_refresh(report)
    messages.success(
        request,
        _("Checked against the other tables again: %(count)s error(s).")
        % {"count": result.error_count},
    )
    return redirect(reverse("review:report_detail", args=[report.pk]) + "#crosscheck")


@require_GET
def contribution_crosscheck(request: HttpRequest, pk: int) -> HttpResponse:
    """The current version against the other tables' current data, computed now (on demand:
    it reads the other tables, which may be large)."""
    user: User = request.user  # type: ignore[assignment]
    contribution = get_contribution_for_user(user, pk)
    version = contribution.current_version
    if version is None:
        messages.info(request, _("No data has been uploaded yet."))
        return redirect("review:contribution_detail", pk=contribution.pk)
    check = crosscheck_version(version)
    codes = {c for f in check.result.findings for c in f.other_tables}
    codes |= {c for n in check.result.not_checked for c in n.tables} | set(check.sources)
    links = other_table_links(contribution.assignment.cycle, codes)
    return render(
        request,
        "review/contribution_crosscheck.html",
        {
            "contribution": contribution,
            "assignment": contribution.assignment,
            "version": version,
            "findings": [
                (f, [(c, links.get(c, "")) for c in f.other_tables]) for f in check.result.findings
            ],
            "not_checked": [
                (n, [(c, links.get(c, "")) for c in n.tables]) for n in check.result.not_checked
            ],
            "sources": [
                (code, s.name, s.rows, source_label(s.kind), links.get(code, ""))
                for code, s in check.sources.items()
            ],
        },
    )
