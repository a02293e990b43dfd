"""``{% report_crosscheck report user %}`` and ``{% contribution_crosscheck contribution %}``:
the stored cross-table check on the table page and, limited to one unit's rows, on the
contribution page (review/selectors_crosscheck.py)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from collection.models import Contribution, TableReport
from review.access import report_row_scope
from review.selectors_crosscheck import crosscheck_view, includes_version, may_recheck

register = template.Library()


@register.inclusion_tag("review/includes/crosscheck_card.html")
def report_crosscheck(report: TableReport, user: User) -> dict[str, Any]:
    return {
        "report": report,
        "check": crosscheck_view(report, scope=report_row_scope(user, report)),
        "can_recheck": may_recheck(user, report) and not report.assignment.cycle.is_closed,
    }


@register.inclusion_tag("review/includes/contribution_crosscheck.html")
def contribution_crosscheck(contribution: Contribution) -> dict[str, Any]:
    report = TableReport.objects.filter(assignment_id=contribution.assignment_id).first()
    check = crosscheck_view(report, unit=contribution.unit.code) if report else None
    result = check.result if check else None
    return {
        "contribution": contribution,
        "report": report,
        "check": check,
        "current": includes_version(result, contribution),
    }
