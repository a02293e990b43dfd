"""The workflow under delegation: a delegate reviews or signs for the person who handed the role
on; every action records "acting for"; delegator and delegate never make two approvals; the
right ends with the delegation; My work shows the delegated items.

Personas (tests/conftest.py, tests/review/conftest.py): 张老师 (zhang) collects for 药学院;
李老师 (li) and 王老师 (wang) review for it; 陈院长 (chen) heads it. 刘老师 (liu) teaches at 药学院
without a role until someone hands one to him. 赵老师 (zhao) is of 护理学院.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.delegation import delegation_create
from accounts.models import Event, Notification
from accounts.roles import UnitRole
from collection.models import ContributionState
from review import workflow
from review.models import Signature
from tests.conftest import make_person
from tests.review.conftest import PHARMACY_ROWS, to_head, upload

S = ContributionState
DAY = datetime.timedelta(days=1)


@pytest.fixture
def liu(units):
    return make_person("200305", "刘老师", units["pharmacy"])


def hand(staff, units, delegator, delegate, role, days=3):
    today = timezone.localdate()
    return delegation_create(
        actor=staff[delegator],
        delegator=staff[delegator],
        delegate=delegate,
        unit=units["pharmacy"],
        role=role,
        starts_on=today,
        ends_on=today + days * DAY,
    )


@pytest.fixture
def submitted(staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    return workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)


def approvals(c):
    return list(
        Event.objects.filter(action="contribution.approve", object_id=str(c.pk))
        .order_by("pk")
        .values_list("actor__username", "acting_for__username")
    )


def test_a_delegate_approves_for_the_reviewer(staff, units, liu, submitted):
    hand(staff, units, "li", liu, UnitRole.SOURCE_REVIEWER)
    c = workflow.contribution_approve(actor=liu, contribution=submitted)
    assert c.state == S.SOURCE_REVIEW
    c = workflow.contribution_approve(actor=staff["wang"], contribution=c)
    c.refresh_from_db()
    assert c.state == S.HEAD_SIGNOFF
    # 王老师 holds the role herself: her approval acts for nobody.
    assert approvals(c) == [("200305", "200302"), ("200303", None)]


def test_delegator_and_delegate_do_not_make_two_approvals(staff, units, liu, submitted):
    hand(staff, units, "li", liu, UnitRole.SOURCE_REVIEWER)
    workflow.contribution_approve(actor=staff["li"], contribution=submitted)
    with pytest.raises(ValidationError, match="already approved for"):
        workflow.contribution_approve(actor=liu, contribution=submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.SOURCE_REVIEW
    assert len(approvals(submitted)) == 1


def test_the_delegator_cannot_add_to_the_delegates_approval(staff, units, liu, submitted):
    hand(staff, units, "li", liu, UnitRole.SOURCE_REVIEWER)
    workflow.contribution_approve(actor=liu, contribution=submitted)
    with pytest.raises(ValidationError, match="already approved for"):
        workflow.contribution_approve(actor=staff["li"], contribution=submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.SOURCE_REVIEW


def test_a_delegate_who_uploaded_the_version_may_not_approve_it(staff, units, pharmacy):
    # 张老师 (who has no review role) acts for 李老师, but he uploaded the version himself.
    hand(staff, units, "li", staff["zhang"], UnitRole.SOURCE_REVIEWER)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    c = workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    with pytest.raises(ValidationError, match="uploaded version"):
        workflow.contribution_approve(actor=staff["zhang"], contribution=c)


def test_the_heads_delegate_signs_for_the_head(staff, units, liu, pharmacy, client):
    hand(staff, units, "chen", liu, UnitRole.HEAD)
    to_head(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], PHARMACY_ROWS)
    # The signature request reaches the delegate as well as the head.
    asked = Notification.objects.filter(kind=Notification.Kind.SIGN_REQUEST)
    assert {n.recipient for n in asked} == {staff["chen"], liu}
    c = workflow.contribution_sign(actor=liu, contribution=pharmacy)
    c.refresh_from_db()
    assert c.state == S.DELIVERED
    signature = Signature.objects.get(contribution=c)
    assert signature.head == liu
    event = Event.objects.get(action="contribution.sign", object_id=str(c.pk))
    assert (event.actor, event.acting_for) == (liu, staff["chen"])
    # The timeline says so.
    client.force_login(staff["zhang"])
    page = client.get(reverse("review:contribution_detail", args=[c.pk])).content.decode()
    assert 'data-testid="acting-for"' in page and "陈院长" in page


def test_after_the_last_day_the_right_is_gone(staff, units, liu, submitted):
    hand(staff, units, "li", liu, UnitRole.SOURCE_REVIEWER, days=2)
    with (
        time_machine.travel(timezone.localdate() + 3 * DAY, tick=False),
        pytest.raises(PermissionDenied),
    ):
        workflow.contribution_approve(actor=liu, contribution=submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.SOURCE_REVIEW
    assert approvals(submitted) == []


def test_my_work_shows_the_delegated_item(staff, units, liu, submitted, client):
    client.force_login(liu)
    page = client.get(reverse("home")).content.decode()
    assert reverse("review:contribution_detail", args=[submitted.pk]) not in page
    assert client.get(reverse("review:contribution_detail", args=[submitted.pk])).status_code == 404
    hand(staff, units, "li", liu, UnitRole.SOURCE_REVIEWER)
    page = client.get(reverse("home"))
    html = page.content.decode()
    assert [c.pk for c in page.context["work_items"]] == [submitted.pk]
    assert page.context["work_items"][0].acting_for == staff["li"]
    assert 'data-testid="acting-for"' in html and "李老师" in html
    assert client.get(reverse("review:contribution_detail", args=[submitted.pk])).status_code == 200
    # 王老师's own item is not marked.
    client.force_login(staff["wang"])
    page = client.get(reverse("home"))
    assert [getattr(c, "acting_for", None) for c in page.context["work_items"]] == [None]


def test_an_outsider_cannot_be_handed_the_role(staff, units, submitted):
    with pytest.raises(ValidationError):
        hand(staff, units, "li", staff["zhao"], UnitRole.SOURCE_REVIEWER)
    with pytest.raises(PermissionDenied):
        workflow.contribution_approve(actor=staff["zhao"], contribution=submitted)
