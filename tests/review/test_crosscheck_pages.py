# ruff: noqa: F811  (test arguments name the fixtures imported from other test modules)
"""Cross-table findings on the pages and in the approvals.

教务处 (qian collects, zhou and wu review, zheng heads, sun second-reviews) delivers 表3-1
(校领导) whose second leader is missing from 表1-5-1 (教职工). The collection group (han) cannot
approve 表3-1 until 表1-5-1 has that teacher; bulk approval lists the reason. 赵老师 (zhao, 护理学院)
sees none of it (404); 孔院长 (kong, leadership) reads but may not re-check (403).
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from collection.models import CrossCheckResult, TableReport, TableReportState
from review import workflow
from review.selectors import report_blockers
from tests.collection.test_crosscheck_wiring import (  # noqa: F401  (fixtures shared by name)
    LEADERS,
    STAFF,
    leaders,
    put,
    tables,
    teachers,
)
from tests.review.conftest import academic_staff, cycle, staff  # noqa: F401


def deliver(staff, contribution, rows):
    put(contribution, staff["qian"], rows)
    workflow.contribution_submit(actor=staff["qian"], contribution=contribution)
    for reviewer in ("zhou", "wu"):
        workflow.contribution_approve(actor=staff[reviewer], contribution=contribution)
    workflow.contribution_sign(actor=staff["zheng"], contribution=contribution)


@pytest.fixture
def teachers_(cycle):
    return teachers(cycle)


@pytest.fixture
def at_check(cycle, staff, tables, teachers_):
    """表1-5-1 has two of the three teachers (a draft); 表3-1 with all three reaches the
    collection group's check."""
    put(tables[STAFF], staff["qian"], [teachers_[0], teachers_[2]])
    deliver(staff, tables[LEADERS], leaders(cycle, teachers_))
    report = TableReport.objects.get(assignment=tables[LEADERS].assignment)
    workflow.table_report_start_second_review(actor=staff["qian"], report=report)
    workflow.table_report_approve(actor=staff["sun"], report=report)
    report.refresh_from_db()
    return report


def test_the_check_runs_when_the_collection_groups_check_starts(at_check):
    result = CrossCheckResult.objects.get(report=at_check)
    assert at_check.state == TableReportState.COLLECTION_CHECK
    assert not result.stale and result.error_count == 1


def test_cross_table_errors_block_the_collection_groups_approval(
    staff, tables, at_check, teachers_
):
    with pytest.raises(ValidationError, match="cross-table check"):
        workflow.table_report_approve(actor=staff["han"], report=at_check)
    at_check.refresh_from_db()
    assert at_check.state == TableReportState.COLLECTION_CHECK
    assert "approve" not in [t.name for t in workflow.available_transitions(at_check, staff["han"])]

    put(tables[STAFF], staff["qian"], teachers_)  # the missing teacher is added
    workflow.table_report_approve(actor=staff["han"], report=at_check)  # stale: checked again
    at_check.refresh_from_db()
    assert at_check.state == TableReportState.COLLEGE_REVIEW
    assert CrossCheckResult.objects.get(report=at_check).error_count == 0


def test_bulk_approve_lists_cross_table_errors_as_the_reason(at_check):
    reasons = report_blockers([at_check])
    assert "cross-table" in reasons[at_check.pk] and "1" in reasons[at_check.pk]


def test_the_table_page_shows_the_findings_with_a_link_to_the_other_table(
    client, staff, tables, at_check, teachers_
):
    client.force_login(staff["han"])
    page = client.get(reverse("review:report_detail", args=[at_check.pk]))
    html = page.content.decode()
    staff_report = TableReport.objects.get(assignment=tables[STAFF].assignment)
    assert 'data-testid="crosscheck-errors">1<' in html
    assert reverse("review:report_detail", args=[staff_report.pk]) in html
    assert teachers_[1][0] in html  # the missing leader's 工号
    assert reverse("collection:table_detail", args=[at_check.assignment.cycle.year, "表1-5-3"]) in (
        html
    )  # 表1-5-3 has no report: its spec page
    full = client.get(reverse("review:report_crosscheck", args=[at_check.pk]))
    assert full.status_code == 200 and teachers_[1][0] in full.content.decode()


def test_the_contribution_page_shows_its_units_rows_and_checks_a_version_on_demand(
    client, staff, tables, at_check, teachers_
):
    client.force_login(staff["qian"])
    contribution = tables[LEADERS]
    page = client.get(reverse("review:contribution_detail", args=[contribution.pk]))
    html = page.content.decode()
    assert 'data-testid="crosscheck-finding"' in html and teachers_[1][0] in html
    on_demand = client.get(reverse("review:contribution_crosscheck", args=[contribution.pk]))
    assert on_demand.status_code == 200
    assert on_demand.content.decode().count('data-testid="crosscheck-finding"') == 1


def test_recheck_now(client, staff, tables, at_check, teachers_):
    url = reverse("review:report_recheck", args=[at_check.pk])
    put(tables[STAFF], staff["qian"], teachers_)  # on_commit does not run inside the test
    assert CrossCheckResult.objects.get(report=at_check).stale
    client.force_login(staff["han"])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    result = CrossCheckResult.objects.get(report=at_check)
    assert not result.stale and result.error_count == 0


def test_outsiders_get_404_and_leadership_may_not_recheck(client, staff, tables, at_check):
    contribution = tables[LEADERS]
    client.force_login(staff["zhao"])
    for url in (
        reverse("review:report_crosscheck", args=[at_check.pk]),
        reverse("review:contribution_crosscheck", args=[contribution.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("review:report_recheck", args=[at_check.pk])).status_code == 404
    client.force_login(staff["kong"])
    assert client.get(reverse("review:report_crosscheck", args=[at_check.pk])).status_code == 200
    assert client.post(reverse("review:report_recheck", args=[at_check.pk])).status_code == 403
