"""Bulk approve for the collection group and the college review group.

Two tables wait in the collection group's check: 表1-6 (教务处 responsible, 药学院 assisting)
with a key conflict, which may not be ticked, and 表4-1-2 (教务处 alone), which may.
韩老师 (han) is the collection group, 邵老师 (shao) the college review group; 张老师 (zhang),
孙老师 (sun) and 夏主任 (xia, office) may not approve in bulk (403).
"""

import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import Workbook

from accounts import services as accounts_services
from accounts.models import Event
from accounts.roles import CollegeRole
from collection.models import Contribution, TableReport, TableReportState
from collection.schema import catalog_schemas
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.versions import version_create
from review import workflow
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, deliver, student

R = TableReportState
pytestmark = pytest.mark.django_db
STATIONS = "表4-1-2"  # 博士点、硕士点 (2024 numbering)


def workbook(code, rows):
    schema = catalog_schemas()[code]
    book = Workbook()
    sheet = book.active
    sheet.title = schema.sheet_name
    sheet.append(list(schema.headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def waiting(staff, cycle, units, assignment, pharmacy, academic):
    """表1-6 (with a conflict) and 表4-1-2 both in the collection group's check."""
    s = staff
    shared = student("2023000001")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], [shared, *PHARMACY_ROWS[1:]])
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], [shared, *ACADEMIC_ROWS])
    stations = assignment_set(
        actor=s["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=STATIONS),
        responsible_unit=units["academic"],
    )
    breakdown_publish(actor=s["xia"], cycle=cycle)
    c = Contribution.objects.get(assignment=stations)
    version = version_create(
        actor=s["qian"],
        contribution=c,
        content=workbook(STATIONS, [["药学", "1007", "教务处", "1002", "硕士学位授权一级学科点"]]),
        filename="博士点硕士点.xlsx",
    )
    assert version.error_count == 0
    workflow.contribution_submit(actor=s["qian"], contribution=c)
    for key in ("zhou", "wu"):
        workflow.contribution_approve(actor=s[key], contribution=c)
    workflow.contribution_sign(actor=s["zheng"], contribution=c)
    reports = {
        "roster": TableReport.objects.get(assignment=assignment),
        "stations": TableReport.objects.get(assignment=stations),
    }
    for report in reports.values():
        workflow.table_report_start_second_review(actor=s["sun"], report=report)
        workflow.table_report_approve(actor=s["sun"], report=report)
    return reports


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


def bulk_url(cycle, step=""):
    name = f"review:bulk_{step}" if step else "review:bulk_list"
    return reverse(name, args=[cycle.year])


def state_of(report):
    report.refresh_from_db()
    return report.state


def messages_of(response, level):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == level]


def approvals():
    return Event.objects.filter(action="table_report.approve").count()


def test_the_list_shows_blocked_items_that_cannot_be_ticked(as_, cycle, waiting):
    before = approvals()
    page = as_("han").get(bulk_url(cycle))
    assert page.status_code == 200
    items = {r.assignment.table.code: blocker for r, blocker in page.context["items"]}
    assert items["表4-1-2"] == ""
    assert "2023000001" in items["表1-6"]
    html = page.content.decode()
    assert f'value="{waiting["roster"].pk}" aria-label="表1-6" disabled' in html
    assert page.context["approvable"] == 1
    assert approvals() == before  # GET changes nothing


def test_preview_then_confirm_approves_what_may_be_approved(as_, cycle, waiting):
    han = as_("han")
    ids = [waiting["roster"].pk, waiting["stations"].pk]
    before = approvals()
    preview = han.get(bulk_url(cycle, "preview"), {"ids": ids, "stage": "collection_check"})
    assert [r.pk for r in preview.context["ready"]] == [waiting["stations"].pk]
    assert [r.pk for r, _why in preview.context["blocked"]] == [waiting["roster"].pk]
    assert approvals() == before
    assert state_of(waiting["stations"]) == R.COLLECTION_CHECK

    # A confirm with both ids (e.g. a forged form) still refuses the blocked one.
    response = han.post(bulk_url(cycle, "confirm"), {"ids": ids, "stage": "collection_check"})
    assert response.status_code == 302
    assert state_of(waiting["stations"]) == R.COLLEGE_REVIEW
    assert state_of(waiting["roster"]) == R.COLLECTION_CHECK
    assert any("表4-1-2" in m for m in messages_of(response, "success"))
    assert any("表1-6" in m and "2023000001" in m for m in messages_of(response, "error"))
    assert approvals() == before + 1


def test_the_confirm_checks_again(as_, staff, cycle, waiting):
    han = as_("han")
    stations = waiting["stations"]
    # Between the preview and the confirm, someone returns the table.
    workflow.table_report_return(actor=staff["han"], report=stations, reason="再核对")
    response = han.post(bulk_url(cycle, "confirm"), {"ids": [stations.pk]})
    assert state_of(stations) == R.SECOND_REVIEW
    assert messages_of(response, "warning") and not messages_of(response, "success")


def test_the_college_review_group_approves_its_stage(as_, staff, cycle, waiting):
    stations = waiting["stations"]
    workflow.table_report_approve(actor=staff["han"], report=stations)
    shao = as_("shao")
    page = shao.get(bulk_url(cycle))
    assert page.context["stage"] == R.COLLEGE_REVIEW
    assert [r.pk for r, _b in page.context["items"]] == [stations.pk]
    # 邵老师 may not approve the collection group's stage, even by posting its ids.
    shao.post(
        bulk_url(cycle, "confirm"), {"ids": [waiting["roster"].pk], "stage": "collection_check"}
    )
    assert state_of(waiting["roster"]) == R.COLLECTION_CHECK
    shao.post(bulk_url(cycle, "confirm"), {"ids": [stations.pk]})
    assert state_of(stations) == R.APPROVED and stations.merged_hash


def test_someone_in_both_groups_chooses_the_stage(as_, staff, cycle, waiting):
    accounts_services.role_assign(
        actor=None, user=staff["han"], role=CollegeRole.COLLEGE_REVIEW_GROUP
    )
    page = as_("han").get(bulk_url(cycle), {"stage": "college_review"})
    assert page.context["stage"] == R.COLLEGE_REVIEW and len(page.context["stages"]) == 2
    assert page.context["items"] == []


def test_only_the_two_groups_may_approve_in_bulk(as_, cycle, waiting):
    ids = {"ids": [waiting["stations"].pk]}
    for key in ("zhang", "sun", "xia", "kong"):
        client = as_(key)
        assert client.get(bulk_url(cycle)).status_code == 403, key
        assert client.get(bulk_url(cycle, "preview"), ids).status_code == 403, key
        assert client.post(bulk_url(cycle, "confirm"), ids).status_code == 403, key
    assert as_("han").get(bulk_url(cycle, "confirm")).status_code == 405
    assert as_("han").get(reverse("review:bulk_list", args=[1999])).status_code == 404
    assert state_of(waiting["stations"]) == R.COLLECTION_CHECK


def test_a_preview_without_ticks_goes_back(as_, cycle, waiting):
    response = as_("han").get(bulk_url(cycle, "preview"))
    assert response.status_code == 302 and messages_of(response, "error")
