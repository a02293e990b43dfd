"""The contribution machine: drafting → source_review → head_signoff → delivered, and returns.

张老师 collects for 药学院; 李老师 and 王老师 review; 陈院长 signs; 赵老师 (护理学院) may do
nothing here; 孙老师 and 钱老师 (教务处, responsible) may return delivered data.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Event
from accounts.roles import UnitRole
from accounts.services import role_assign
from collection.models import Contribution, ContributionState, TableReportState
from review import workflow
from review.models import Review, Signature
from tests.review.conftest import BAD_ROWS, PHARMACY_ROWS, to_head, upload

S = ContributionState
pytestmark = pytest.mark.django_db


def events(obj, action):
    return Event.objects.filter(
        object_id=str(obj.pk), action=action, object_type=obj._meta.label_lower
    )


def test_happy_path_to_delivered_with_events_and_a_bound_signature(staff, pharmacy):
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW

    workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW  # one approval is not enough
    workflow.contribution_approve(actor=staff["wang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF

    workflow.contribution_sign(actor=staff["chen"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DELIVERED
    signature = Signature.objects.get(contribution=pharmacy)
    assert signature.content_hash == version.content_hash == pharmacy.current_version.content_hash
    assert signature.head == staff["chen"]

    submit = events(pharmacy, "contribution.submit").get()
    assert (submit.from_state, submit.to_state, submit.actor) == (
        S.DRAFTING,
        S.SOURCE_REVIEW,
        staff["zhang"],
    )
    assert submit.content_hash == version.content_hash
    assert events(pharmacy, "contribution.approve").count() == 2
    sign = events(pharmacy, "contribution.sign").get()
    assert (sign.from_state, sign.to_state) == (S.HEAD_SIGNOFF, S.DELIVERED)
    assert events(pharmacy, "version.create").count() == 1


def test_the_uploader_may_not_approve_their_own_version(staff, pharmacy):
    role_assign(actor=None, user=staff["li"], role=UnitRole.COLLECTOR, unit=pharmacy.unit)
    upload(pharmacy, staff["li"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["li"], contribution=pharmacy)
    with pytest.raises(ValidationError, match="uploaded"):
        workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert not Review.objects.filter(contribution=pharmacy).exists()


def test_the_same_reviewer_approving_twice_counts_once(staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    with pytest.raises(ValidationError, match="already approved"):
        workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert Review.objects.filter(contribution=pharmacy, decision="approve").count() == 1


def test_no_new_version_after_approval_without_returning_to_drafting(staff, pharmacy):
    to_head(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], PHARMACY_ROWS)
    with pytest.raises(ValidationError, match="drafting"):
        upload(pharmacy, staff["zhang"], PHARMACY_ROWS[:1])
    pharmacy.refresh_from_db()
    assert pharmacy.versions.count() == 1


def test_sign_is_refused_when_the_approvals_were_for_another_version(staff, pharmacy):
    first = upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS[:1])
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    for reviewer in ("li", "wang"):
        workflow.contribution_approve(actor=staff[reviewer], contribution=pharmacy)
    # Simulate the current version changing behind the workflow's back.
    Contribution.objects.filter(pk=pharmacy.pk).update(current_version=first)
    with pytest.raises(ValidationError, match="not for the current version"):
        workflow.contribution_sign(actor=staff["chen"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF
    assert not Signature.objects.exists()


def test_approvals_do_not_survive_a_return(staff, pharmacy):
    to_head(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], PHARMACY_ROWS)
    workflow.contribution_return(actor=staff["chen"], contribution=pharmacy, reason="核对人数")
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW  # the old approval of wang does not count


def test_submit_is_refused_without_a_version_and_with_errors(staff, pharmacy):
    with pytest.raises(ValidationError, match="Upload"):
        workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    version = upload(pharmacy, staff["zhang"], BAD_ROWS)
    assert version.error_count > 0
    with pytest.raises(ValidationError, match="error"):
        workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING


def test_submit_needs_an_explanation_for_every_explain_finding(staff, pharmacy, explain_rule):
    from collection.services.uploads import findings_from_upload
    from collection.services.versions import explanation_add, finding_key_of

    version = upload(
        pharmacy,
        staff["zhang"],
        [
            *PHARMACY_ROWS,
            ["2023000003", "欧阳娜娜", "女", "药学", "100701", "境内", "2023", "2023"],
        ],
    )
    assert version.error_count == 0 and version.explain_count == 1
    with pytest.raises(ValidationError, match="explanation"):
        workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    finding = next(f for f in findings_from_upload(version.upload) if f.severity == "explain")
    with pytest.raises(ValidationError):
        explanation_add(
            actor=staff["zhang"], version=version, finding_key=finding_key_of(finding), text="  "
        )
    with pytest.raises(PermissionDenied):
        explanation_add(
            actor=staff["li"], version=version, finding_key=finding_key_of(finding), text="复姓"
        )
    explanation_add(
        actor=staff["zhang"],
        version=version,
        finding_key=finding_key_of(finding),
        text="复姓，四个字",
    )
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW


def test_a_return_needs_a_reason_and_keeps_cell_remarks(staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    with pytest.raises(ValidationError, match="reason"):
        workflow.contribution_return(actor=staff["li"], contribution=pharmacy, reason="  ")
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW

    remarks = [{"row": 3, "column": "学生姓名", "text": "姓名有误"}]
    workflow.contribution_return(
        actor=staff["li"], contribution=pharmacy, reason="第3行姓名有误", remarks=remarks
    )
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    review = Review.objects.get(contribution=pharmacy, decision="return")
    assert review.remarks == remarks and review.stage == S.SOURCE_REVIEW
    event = events(pharmacy, "contribution.return").get()
    assert (event.from_state, event.to_state, event.reason) == (
        S.SOURCE_REVIEW,
        S.DRAFTING,
        "第3行姓名有误",
    )


def test_the_responsible_unit_returns_a_delivered_contribution_and_the_report_follows(
    staff, pharmacy, report, delivered_all
):
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    with pytest.raises(PermissionDenied):  # 药学院's reviewers may not return delivered data
        workflow.contribution_return(actor=staff["li"], contribution=pharmacy, reason="x")
    workflow.contribution_return(actor=staff["sun"], contribution=pharmacy, reason="人数不符")
    pharmacy.refresh_from_db()
    report.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    assert report.state == TableReportState.COLLECTING
    event = events(report, "table_report.return").get()
    assert (event.from_state, event.to_state) == (
        TableReportState.SECOND_REVIEW,
        TableReportState.COLLECTING,
    )


def test_an_outsider_is_refused_everything(staff, pharmacy):
    zhao = staff["zhao"]
    with pytest.raises(PermissionDenied):
        upload(pharmacy, zhao, PHARMACY_ROWS)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    for transition in (
        workflow.contribution_submit,
        workflow.contribution_approve,
        workflow.contribution_sign,
    ):
        with pytest.raises(PermissionDenied):
            transition(actor=zhao, contribution=pharmacy)
    with pytest.raises(PermissionDenied):
        workflow.contribution_return(actor=zhao, contribution=pharmacy, reason="x")
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    assert workflow.available_transitions(pharmacy, zhao) == []


def test_available_transitions_match_each_persona(staff, pharmacy):
    def names(key):
        pharmacy.refresh_from_db()
        return [t.name for t in workflow.available_transitions(pharmacy, staff[key])]

    assert names("zhang") == []  # nothing uploaded yet
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    assert names("zhang") == ["submit"]
    assert names("li") == names("chen") == names("sun") == []
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    assert names("zhang") == []
    assert names("li") == names("wang") == ["approve", "return"]
    assert names("chen") == ["return"]
    workflow.contribution_approve(actor=staff["li"], contribution=pharmacy)
    assert names("li") == ["return"]  # already approved
    workflow.contribution_approve(actor=staff["wang"], contribution=pharmacy)
    assert names("chen") == ["sign", "return"]
    workflow.contribution_sign(actor=staff["chen"], contribution=pharmacy)
    assert names("chen") == names("li") == []
    assert names("sun") == names("qian") == ["return"]
    assert names("zhao") == names("xia") == names("han") == []
