"""Re-checking cross-table rules when a table's data changes (docs/workflow.md, "Cross-table
checks"). A ``post_save`` receiver on the audit ``Event`` (connected in ``apps.py``) sees every
change of a table's data without the workflow knowing about it: a new version, a delivery, a
return, an approval, a reopening, a settled conflict. It marks the stored results of that table
and of the tables that read it as stale in the same transaction and re-checks them after the
commit (Celery; inline without a broker). When a table reaches the collection group's check
(approved at second review, or reopened) its own result is re-computed at once, so the group
never looks at a stale one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from accounts.models import Event
from collection.models import Contribution, TableReport, TableReportState
from collection.services.crosscheck import (
    crosscheck_enqueue,
    crosscheck_mark_stale,
    crosscheck_refresh,
)

log = logging.getLogger(__name__)

CONTRIBUTION_ACTIONS = {"version.create", "contribution.sign", "contribution.return"}
REPORT_ACTIONS = {
    "table_report.approve",
    "table_report.reopen",
    "table_report.resolve_conflict",
    "table_report.return",
    "table_report.mark_uploaded",
}


def on_event_saved(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    """post_save receiver on Event. A failure is logged and never blocks the change itself."""
    if not created or kwargs.get("raw"):
        return
    if instance.action not in CONTRIBUTION_ACTIONS | REPORT_ACTIONS:
        return
    try:
        with transaction.atomic():
            _changed(instance)
    except Exception:
        log.exception("cross-table re-check for event %s (%s) failed", instance.pk, instance.action)


def _changed(event: Event) -> None:
    report = _report_of(event)
    if report is None:
        return
    assignment = report.assignment
    ids = crosscheck_mark_stale(assignment.cycle, assignment.table.code)
    if event.to_state == TableReportState.COLLECTION_CHECK and event.object_type.endswith(
        "tablereport"
    ):
        crosscheck_refresh(report)  # the collection group's check starts: fresh at once
        ids = [pk for pk in ids if pk != report.pk]
    crosscheck_enqueue(ids)


def _report_of(event: Event) -> TableReport | None:
    related = ("assignment__cycle", "assignment__table", "assignment__responsible_unit")
    if event.object_type == "collection.tablereport":
        return TableReport.objects.select_related(*related).filter(pk=event.object_id).first()
    if event.object_type == "collection.contribution":
        if event.action == "contribution.return" and event.from_state != "delivered":
            return None  # a return before delivery changes only a draft: version.create did it
        assignment_id = (
            Contribution.objects.filter(pk=event.object_id)
            .values_list("assignment_id", flat=True)
            .first()
        )
        return (
            TableReport.objects.select_related(*related).filter(assignment_id=assignment_id).first()
        )
    return None
