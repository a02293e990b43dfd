"""Simultaneous approvals: the contribution row lock makes them count one after another.

Runs on whichever database the suite uses: PostgreSQL relies on select_for_update; SQLite
serialises write transactions (BEGIN IMMEDIATE). The threads: tests/concurrency.py.
"""

import pytest

from accounts.models import Event
from accounts.roles import UnitRole
from accounts.services import role_assign
from collection.models import Contribution, ContributionState
from review import workflow
from review.models import Review
from tests.concurrency import at_once
from tests.conftest import make_person
from tests.review.conftest import PHARMACY_ROWS, upload

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_move_the_contribution_once(staff, pharmacy):
    # 李老师, 王老师 and four more reviewers of 药学院; 李老师 also tries twice.
    reviewers = [staff["li"], staff["wang"], staff["li"]]
    for n in range(THREADS - len(reviewers)):
        person = make_person(f"20039{n}", f"审核人{n}", pharmacy.unit)
        role_assign(actor=None, user=person, role=UnitRole.SOURCE_REVIEWER, unit=pharmacy.unit)
        reviewers.append(person)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)

    outcomes = at_once(
        [
            lambda reviewer=reviewer: workflow.contribution_approve(
                actor=reviewer, contribution=Contribution.objects.get(pk=pharmacy.pk)
            )
            for reviewer in reviewers
        ]
    )

    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.HEAD_SIGNOFF
    assert outcomes.count("ok") == 2 and outcomes.count("refused") == len(reviewers) - 2
    assert Review.objects.filter(contribution=pharmacy, decision="approve").count() == 2
    moved = Event.objects.filter(
        action="contribution.approve", to_state=ContributionState.HEAD_SIGNOFF
    )
    assert moved.count() == 1
