"""The table report machine: collecting → second_review → collection_check → college_review →
approved → uploaded, returns and the office's reopen.

孙老师 second-reviews for 教务处 (responsible); 韩老师 is the collection group; 邵老师 the
college review group; 夏主任 the office; 赵老师 (护理学院) may do nothing here.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Event
from collection.models import ContributionState, TableReportState
from collection.services.merge import merged_rows
from collection.services.uploads import unpack
from review import workflow
from review.models import Review
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, deliver, student

R = TableReportState
pytestmark = pytest.mark.django_db


def actions(report):
    return list(
        Event.objects.filter(object_type="collection.tablereport", object_id=str(report.pk))
        .order_by("id")
        .values_list("action", "from_state", "to_state")
    )


def names(report, user):
    report.refresh_from_db()
    return [t.name for t in workflow.available_transitions(report, user)]


def test_happy_path_to_approved_and_uploaded(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["han"], report=report)
    workflow.table_report_approve(actor=s["shao"], report=report)
    report.refresh_from_db()
    assert report.state == R.APPROVED and report.is_locked
    merged = unpack(report.merged_blob)
    assert merged["headers"][-1] == "来源单位"
    assert [row[-1] for row in merged["rows"]] == ["教务处", "药学院", "药学院"]
    assert report.merged_hash == merged_rows(report).content_hash

    workflow.table_report_mark_uploaded(actor=s["xia"], report=report)
    report.refresh_from_db()
    assert report.state == R.UPLOADED
    assert actions(report) == [
        ("table_report.start_second_review", R.COLLECTING, R.SECOND_REVIEW),
        ("table_report.approve", R.SECOND_REVIEW, R.COLLECTION_CHECK),
        ("table_report.approve", R.COLLECTION_CHECK, R.COLLEGE_REVIEW),
        ("table_report.approve", R.COLLEGE_REVIEW, R.APPROVED),
        ("table_report.mark_uploaded", R.APPROVED, R.UPLOADED),
    ]
    assert Review.objects.filter(table_report=report, decision="approve").count() == 3


def test_second_review_waits_for_every_unit(staff, pharmacy, report):
    s = staff
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    with pytest.raises(ValidationError, match="教务处"):
        workflow.table_report_start_second_review(actor=s["sun"], report=report)
    report.refresh_from_db()
    assert report.state == R.COLLECTING
    assert names(report, s["sun"]) == []


def test_each_stage_is_held_by_its_own_people(staff, report, delivered_all):
    s = staff
    with pytest.raises(PermissionDenied):
        workflow.table_report_start_second_review(actor=s["zhang"], report=report)
    workflow.table_report_start_second_review(actor=s["qian"], report=report)
    for wrong in ("qian", "han", "shao", "xia", "zhao"):
        with pytest.raises(PermissionDenied):
            workflow.table_report_approve(actor=s[wrong], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    with pytest.raises(PermissionDenied):
        workflow.table_report_approve(actor=s["sun"], report=report)
    report.refresh_from_db()
    assert report.state == R.COLLECTION_CHECK


def test_returns_go_one_level_back_with_a_reason_and_an_issue_list(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    with pytest.raises(ValidationError, match="reason"):
        workflow.table_report_return(actor=s["han"], report=report, reason="")
    issues = [{"row": 2, "column": "学号", "text": "学号与往年不一致"}]
    workflow.table_report_return(actor=s["han"], report=report, reason="请核对", remarks=issues)
    report.refresh_from_db()
    assert report.state == R.SECOND_REVIEW
    review = Review.objects.get(table_report=report, decision="return")
    assert review.remarks == issues and review.stage == R.COLLECTION_CHECK
    workflow.table_report_return(actor=s["sun"], report=report, reason="再汇总")
    report.refresh_from_db()
    assert report.state == R.COLLECTING


def test_return_straight_to_a_named_contribution(staff, report, pharmacy, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    workflow.table_report_return(
        actor=s["han"], report=report, reason="药学院人数有误", to_contribution=pharmacy
    )
    report.refresh_from_db()
    pharmacy.refresh_from_db()
    assert report.state == R.COLLECTING
    assert pharmacy.state == ContributionState.DRAFTING
    assert actions(report)[-1] == ("table_report.return", R.COLLECTION_CHECK, R.COLLECTING)
    event = Event.objects.get(action="contribution.return", object_id=str(pharmacy.pk))
    assert (event.from_state, event.reason) == (ContributionState.DELIVERED, "药学院人数有误")


def test_only_the_office_reopens_an_approved_table_with_a_reason(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for key in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[key], report=report)
    for key in ("sun", "han", "shao", "zhao"):
        with pytest.raises(PermissionDenied):
            workflow.table_report_reopen(actor=s[key], report=report, reason="更正")
        with pytest.raises((PermissionDenied, ValidationError)):
            workflow.table_report_return(actor=s[key], report=report, reason="更正")
    with pytest.raises(ValidationError, match="reason"):
        workflow.table_report_reopen(actor=s["xia"], report=report, reason=" ")
    report.refresh_from_db()
    assert report.state == R.APPROVED
    assert names(report, s["xia"]) == ["reopen", "mark_uploaded"]
    assert names(report, s["shao"]) == []

    workflow.table_report_reopen(actor=s["xia"], report=report, reason="平台口径变更")
    report.refresh_from_db()
    assert report.state == R.COLLECTION_CHECK
    event = Event.objects.filter(action="table_report.reopen").get()
    assert (event.from_state, event.to_state, event.reason) == (
        R.APPROVED,
        R.COLLECTION_CHECK,
        "平台口径变更",
    )


def test_available_transitions_per_stage(staff, report, delivered_all):
    s = staff
    assert names(report, s["sun"]) == names(report, s["qian"]) == ["start_second_review"]
    assert names(report, s["han"]) == names(report, s["zhao"]) == []
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    assert names(report, s["sun"]) == ["approve", "return", "return_to_contribution"]
    assert names(report, s["qian"]) == names(report, s["han"]) == []
    workflow.table_report_approve(actor=s["sun"], report=report)
    assert names(report, s["han"]) == ["approve", "return", "return_to_contribution"]
    assert names(report, s["sun"]) == names(report, s["shao"]) == []


def test_key_conflicts_across_units_block_approval(staff, pharmacy, academic, report):
    s = staff
    shared = student("2023000001", "李明")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], [shared])
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], [shared, *ACADEMIC_ROWS])
    conflicts = merged_rows(report).conflicts
    assert [(c.what, c.units) for c in conflicts] == [("2023000001", ("教务处", "药学院"))]
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["han"], report=report)
    assert names(report, s["shao"]) == ["return", "return_to_contribution"]
    with pytest.raises(ValidationError, match="2023000001"):
        workflow.table_report_approve(actor=s["shao"], report=report)
    report.refresh_from_db()
    assert report.state == R.COLLEGE_REVIEW and report.merged_hash == ""
