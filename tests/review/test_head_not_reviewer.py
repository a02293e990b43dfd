"""The unit head is not one of the two source reviewers (regulation 一(二)1: two designated
reviewers check the data and the unit's first responsible person signs it: three people).

Rule (docs/roles.md): the person who signs, and the person they sign for, is none of the
people who approved the version nor anyone an approval counted for; and a head may not approve
as a reviewer when that would leave no head of the unit free to sign.

Personas (tests/conftest.py, tests/review/conftest.py): 张老师 (zhang) collects for 药学院;
李老师 (li) and 王老师 (wang) review for it; 陈院长 (chen) heads it and, in these tests, is
also given the reviewer role or a reviewer's delegation. 刘老师 (liu) teaches at 药学院 without a
role until a test hands him one; 何副院长 (he) is made a second head of 药学院 where a test needs
a head who did not approve.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.delegation import delegation_create
from accounts.models import Event
from accounts.roles import UnitRole
from collection.models import ContributionState
from review import workflow
from review.models import Review, Signature
from tests.conftest import make_person
from tests.review.conftest import PHARMACY_ROWS, to_head, upload

S = ContributionState


@pytest.fixture
def liu(units):
    return make_person("200305", "刘老师", units["pharmacy"])


@pytest.fixture
def second_head(units):
    """何副院长: a second head of 药学院, who approves nothing."""
    person = make_person("200306", "何副院长", units["pharmacy"])
    accounts_services.role_assign(
        actor=None, user=person, role=UnitRole.HEAD, unit=units["pharmacy"]
    )
    return person


@pytest.fixture
def chen_reviews(staff, units):
    """陈院长, the head, is also given the source reviewer role of 药学院 by the office."""
    accounts_services.role_assign(
        actor=None, user=staff["chen"], role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    return staff["chen"]


def hand(units, delegator, delegate, role):
    today = timezone.localdate()
    return delegation_create(
        actor=delegator,
        delegator=delegator,
        delegate=delegate,
        unit=units["pharmacy"],
        role=role,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=3),
    )


@pytest.fixture
def submitted(staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    return workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)


def names(contribution, user):
    contribution.refresh_from_db()
    return {t.name for t in workflow.available_transitions(contribution, user)}


def assert_sign_refused(contribution, signer, match):
    with pytest.raises(ValidationError, match=match):
        workflow.contribution_sign(actor=signer, contribution=contribution)
    contribution.refresh_from_db()
    assert contribution.state == S.HEAD_SIGNOFF
    assert not Signature.objects.filter(contribution=contribution).exists()
    assert not Event.objects.filter(
        action="contribution.sign", object_id=str(contribution.pk)
    ).exists()
    assert "sign" not in names(contribution, signer)


def assert_signed_by(contribution, signer):
    assert "sign" in names(contribution, signer)
    c = workflow.contribution_sign(actor=signer, contribution=contribution)
    c.refresh_from_db()
    assert c.state == S.DELIVERED
    assert Signature.objects.get(contribution=c).head == signer


# The head holds the reviewer role himself ------------------------------------------------------


def test_a_head_who_approved_as_reviewer_may_not_sign(staff, chen_reviews, second_head, pharmacy):
    to_head(pharmacy, staff["zhang"], [chen_reviews, staff["li"]], PHARMACY_ROWS)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF
    assert_sign_refused(pharmacy, chen_reviews, "approved version 1 as a source reviewer")
    # 何副院长, a head who approved nothing, is the third person and signs.
    assert_signed_by(pharmacy, second_head)


def test_the_refusal_reaches_the_head_in_chinese_and_names_who_may_sign(
    client, staff, chen_reviews, second_head, pharmacy
):
    to_head(pharmacy, staff["zhang"], [chen_reviews, staff["li"]], PHARMACY_ROWS)
    client.force_login(chen_reviews)
    response = client.post(reverse("review:contribution_sign", args=[pharmacy.pk]))
    assert response.status_code == 302
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert len(errors) == 1
    assert "三个不同的人" in errors[0] and "何副院长" in errors[0]
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF


def test_the_page_tells_the_head_why_there_is_no_sign_button(
    client, staff, chen_reviews, second_head, pharmacy
):
    to_head(pharmacy, staff["zhang"], [chen_reviews, staff["li"]], PHARMACY_ROWS)
    client.force_login(chen_reviews)
    page = client.get(reverse("review:contribution_detail", args=[pharmacy.pk])).content.decode()
    assert 'data-action="sign"' not in page
    assert 'data-testid="sign-blocked"' in page and "何副院长" in page
    client.force_login(second_head)
    page = client.get(reverse("review:contribution_detail", args=[pharmacy.pk])).content.decode()
    assert 'data-action="sign"' in page and 'data-testid="sign-blocked"' not in page


def test_the_only_head_may_not_approve_as_reviewer(staff, chen_reviews, submitted):
    assert "approve" not in names(submitted, chen_reviews)
    assert "approve" in names(submitted, staff["li"])
    with pytest.raises(ValidationError, match="no head of 药学院 who has not approved"):
        workflow.contribution_approve(actor=chen_reviews, contribution=submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.SOURCE_REVIEW
    assert not Review.objects.filter(contribution=submitted).exists()
    assert not Event.objects.filter(action="contribution.approve").exists()
    # Two other reviewers approve and the head signs: three people.
    workflow.contribution_approve(actor=staff["li"], contribution=submitted)
    workflow.contribution_approve(actor=staff["wang"], contribution=submitted)
    assert_signed_by(submitted, chen_reviews)


def test_a_head_who_approved_before_and_became_sole_head_returns_it(
    staff, units, chen_reviews, second_head, pharmacy
):
    # 陈院长 approved while 何副院长 was a second head; the office then took 何's role away.
    to_head(pharmacy, staff["zhang"], [chen_reviews, staff["li"]], PHARMACY_ROWS)
    accounts_services.role_revoke(
        actor=None, user=second_head, role=UnitRole.HEAD, unit=units["pharmacy"]
    )
    assert_sign_refused(pharmacy, chen_reviews, "Return it to drafting")
    assert names(pharmacy, chen_reviews) == {"return"}


# The head acts as a reviewer's delegate ------------------------------------------------------


def test_a_head_who_approved_as_a_reviewers_delegate_may_not_sign(
    staff, units, second_head, pharmacy
):
    chen = staff["chen"]
    hand(units, staff["li"], chen, UnitRole.SOURCE_REVIEWER)
    to_head(pharmacy, staff["zhang"], [chen, staff["wang"]], PHARMACY_ROWS)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF
    assert_sign_refused(pharmacy, chen, "approved version 1 as a source reviewer")
    assert_signed_by(pharmacy, second_head)


def test_the_only_head_may_not_approve_as_a_reviewers_delegate(staff, units, submitted):
    chen = staff["chen"]
    hand(units, staff["li"], chen, UnitRole.SOURCE_REVIEWER)
    assert "approve" not in names(submitted, chen)
    with pytest.raises(ValidationError, match="no head of 药学院 who has not approved"):
        workflow.contribution_approve(actor=chen, contribution=submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.SOURCE_REVIEW
    assert not Review.objects.filter(contribution=submitted).exists()


# An approval made for the head, or a signature made for a head who approved -----------------


def test_a_head_whose_delegate_approved_for_him_may_not_sign(
    staff, units, liu, chen_reviews, second_head, pharmacy
):
    hand(units, chen_reviews, liu, UnitRole.SOURCE_REVIEWER)
    to_head(pharmacy, staff["zhang"], [liu, staff["wang"]], PHARMACY_ROWS)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF
    assert_sign_refused(pharmacy, chen_reviews, "approved for you as a source reviewer")
    assert_signed_by(pharmacy, second_head)


def test_the_heads_delegate_may_not_sign_for_a_head_who_approved(
    staff, units, liu, chen_reviews, second_head, pharmacy
):
    hand(units, chen_reviews, liu, UnitRole.HEAD)
    to_head(pharmacy, staff["zhang"], [chen_reviews, staff["wang"]], PHARMACY_ROWS)
    assert_sign_refused(pharmacy, liu, "陈院长, for whom you sign")
    assert_signed_by(pharmacy, second_head)


def test_a_heads_delegate_who_approved_as_reviewer_leaves_the_signature_to_the_head(
    staff, units, liu, pharmacy
):
    # 刘老师 reviews for 药学院 and holds 陈院长's head role for a few days.
    accounts_services.role_assign(
        actor=None, user=liu, role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    hand(units, staff["chen"], liu, UnitRole.HEAD)
    to_head(pharmacy, staff["zhang"], [liu, staff["wang"]], PHARMACY_ROWS)
    assert_sign_refused(pharmacy, liu, "approved version 1 as a source reviewer")
    assert_signed_by(pharmacy, staff["chen"])
