"""``available_transitions``: exactly the transitions a person may make now, computed by the
same checks the transitions run (so the page's buttons and the rules never disagree)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from collection.models import Contribution, ContributionState, TableReport, TableReportState
from review.workflow import contributions as cm
from review.workflow import table_reports as tm
from review.workflow.base import Transition

Check = Callable[[Any, User], None]


def _contribution_table() -> list[tuple[Check, Transition]]:
    S = ContributionState
    return [
        (cm.submit_check, Transition("submit", _("Submit for source review"), S.SOURCE_REVIEW)),
        (cm.approve_check, Transition("approve", _("Approve"), S.HEAD_SIGNOFF)),
        (cm.sign_check, Transition("sign", _("Sign off and deliver"), S.DELIVERED)),
        (cm.return_check, Transition("return", _("Return to drafting"), S.DRAFTING)),
    ]


def _report_table(report: TableReport) -> list[tuple[Check, Transition]]:
    R = TableReportState
    state = R(report.state)
    return [
        (
            tm.start_second_review_check,
            Transition("start_second_review", _("Start the second review"), R.SECOND_REVIEW),
        ),
        (tm.approve_check, Transition("approve", _("Approve"), tm.NEXT.get(state, ""))),
        (tm.return_check, Transition("return", _("Return one level"), tm.PREVIOUS.get(state, ""))),
        (
            tm.return_check,
            Transition("return_to_contribution", _("Return to a unit"), R.COLLECTING),
        ),
        (tm.office_check, Transition("reopen", _("Reopen"), tm.REOPEN_TO)),
        (tm.office_check, Transition("mark_uploaded", _("Mark as uploaded"), R.UPLOADED)),
    ]


def available_transitions(obj: Contribution | TableReport, user: User) -> list[Transition]:
    """The transitions of a Contribution or TableReport whose permission and guard pass for
    ``user`` now. Reasons are asked for when the transition is made, so returns are listed
    whenever the person may return."""
    table = _contribution_table() if isinstance(obj, Contribution) else _report_table(obj)
    found = []
    for check, transition in table:
        try:
            check(obj, user)
        except (PermissionDenied, ValidationError):
            continue
        found.append(transition)
    return found
