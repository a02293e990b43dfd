"""The merged table: source rows for remarks, and conflicts the responsible unit settles.

教务处 (responsible, 钱老师 collects) and 药学院 (assisting, 张老师 collects) both deliver the
student 2023000001 in 表1-6; 韩老师 (collection group) may not settle a conflict.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Event
from collection.models import TableReportState
from collection.services.merge import merged_rows
from collection.services.versions import rows_hash
from review import workflow
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, deliver, student

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflicting(staff, pharmacy, academic):
    s = staff
    shared = student("2023000001")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], [shared, *PHARMACY_ROWS[1:]])
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], [*ACADEMIC_ROWS, shared])


def test_each_merged_row_knows_its_unit_and_file_row(report, delivered_all):
    merged = merged_rows(report)
    assert merged.sources == [("1002", 3), ("2003", 3), ("2003", 4)]
    assert len(merged.sources) == len(merged.rows)
    assert merged.content_hash == rows_hash(merged.headers, merged.rows)
    assert merged.conflicting == set() and merged.resolved == {}


def test_conflicts_name_the_units_codes_and_rows(report, conflicting):
    merged = merged_rows(report)
    (conflict,) = merged.conflicts
    assert conflict.what == "2023000001"
    assert conflict.units == ("教务处", "药学院") and conflict.codes == ("1002", "2003")
    assert conflict.rows == ((4,), (3,))
    assert merged.conflicting == {1, 2}


def test_a_resolution_keeps_one_units_rows(report, conflicting):
    report.resolutions = {"2023000001": "1002"}
    merged = merged_rows(report)
    assert merged.conflicts == [] and merged.resolved == {"2023000001": "1002"}
    assert [(row[0], row[-1]) for row in merged.rows] == [
        ("2023100001", "教务处"),
        ("2023000001", "教务处"),
        ("2023000002", "药学院"),
    ]
    assert merged.sources == [("1002", 3), ("1002", 4), ("2003", 4)]


def test_a_resolution_that_no_longer_applies_is_ignored(report, conflicting):
    report.resolutions = {"2023000001": "2002", "1999000001": "2003"}
    merged = merged_rows(report)
    assert [c.what for c in merged.conflicts] == ["2023000001"]
    assert merged.resolved == {} and len(merged.rows) == 4


def test_settling_a_conflict_is_the_responsible_units_while_it_holds_the_table(
    staff, report, conflicting
):
    s = staff
    with pytest.raises(PermissionDenied):
        workflow.table_report_resolve_conflict(
            actor=s["han"], report=report, key="2023000001", keep_unit="2003"
        )
    with pytest.raises(ValidationError):
        workflow.table_report_resolve_conflict(
            actor=s["qian"], report=report, key="2023000001", keep_unit="2002"
        )
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    with pytest.raises(ValidationError):
        workflow.table_report_resolve_conflict(
            actor=s["sun"], report=report, key="2023000001", keep_unit="2003"
        )
    report.refresh_from_db()
    assert report.resolutions == {}
    assert not Event.objects.filter(action="table_report.resolve_conflict").exists()


def test_a_settled_table_can_be_approved(staff, report, conflicting):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_resolve_conflict(
        actor=s["sun"], report=report, key="2023000001", keep_unit="2003"
    )
    for key in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[key], report=report)
    report.refresh_from_db()
    assert report.state == TableReportState.APPROVED
    assert report.merged_hash == merged_rows(report).content_hash
