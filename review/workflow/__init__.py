"""Every state machine of caiji and its transitions: the only code that assigns a status.

Each transition locks the row (``select_for_update`` inside ``transaction.atomic``), checks the
actor's right and the guard, changes the state with ``save(update_fields=...)`` and writes an
Event. The machines: the cycle's stages (``cycle``), the contribution (``contributions``) and
the table report (``table_reports``); ``available_transitions`` lists what a person may do now.
"""

from review.workflow.available import available_transitions
from review.workflow.base import Transition
from review.workflow.contributions import (
    contribution_approve,
    contribution_return,
    contribution_sign,
    contribution_submit,
)
from review.workflow.cycle import CYCLE_ORDER, cycle_advance, cycle_close, cycle_transitions
from review.workflow.table_reports import (
    table_report_approve,
    table_report_import_approved,
    table_report_mark_uploaded,
    table_report_reopen,
    table_report_resolve_conflict,
    table_report_return,
    table_report_start_second_review,
)

__all__ = [
    "CYCLE_ORDER",
    "Transition",
    "available_transitions",
    "contribution_approve",
    "contribution_return",
    "contribution_sign",
    "contribution_submit",
    "cycle_advance",
    "cycle_close",
    "cycle_transitions",
    "table_report_approve",
    "table_report_import_approved",
    "table_report_mark_uploaded",
    "table_report_reopen",
    "table_report_resolve_conflict",
    "table_report_return",
    "table_report_start_second_review",
]
