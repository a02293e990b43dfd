"""Single-record tables filled by several units (Assignment.field_owners).

表5-5 (学生课外活动): 教务处 is responsible and fills the two activity totals; 药学院 assists and
fills the two 创新创业 project counts. Each unit is checked only on its own fields; the rules
that read fields of both units run on the merged record at the second review.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from collection.models import Contribution, TableReport, TableReportState
from collection.schema import catalog_schemas, partial_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.merge import merged_findings, merged_rows
from collection.services.versions import version_create
from review import workflow
from tests.review.test_bulk_approve import workbook

pytestmark = pytest.mark.django_db
TABLE = "表5-5"
PHARMACY_FIELDS = ["国家大学生创新创业训练计划项目总数", "省部级大学生创新创业训练计划项目总数"]


def record(**values):
    headers = catalog_schemas()[TABLE].headers
    return [[values.get(h, "") for h in headers]]


@pytest.fixture
def shared_table(staff, cycle, units):
    assignment = assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=TABLE),
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
    )
    assignment.field_owners = {units["pharmacy"].code: PHARMACY_FIELDS}
    assignment.save(update_fields=["field_owners"])
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    return assignment


def deliver_record(contribution, people, values):
    s = people
    collector, reviewers, head = {
        "药学院": (s["zhang"], [s["li"], s["wang"]], s["chen"]),
        "教务处": (s["qian"], [s["zhou"], s["wu"]], s["zheng"]),
    }[contribution.unit.name]
    rows = record(**values)
    version = version_create(
        actor=collector,
        contribution=contribution,
        content=workbook(TABLE, rows),
        filename="课外活动.xlsx",
    )
    assert version.error_count == 0, contribution.unit.name
    workflow.contribution_submit(actor=collector, contribution=contribution)
    for reviewer in reviewers:
        workflow.contribution_approve(actor=reviewer, contribution=contribution)
    workflow.contribution_sign(actor=head, contribution=contribution)
    return version


def test_each_unit_is_checked_only_on_the_fields_it_fills(staff, shared_table, units):
    pharmacy = Contribution.objects.get(assignment=shared_table, unit=units["pharmacy"])
    academic = Contribution.objects.get(assignment=shared_table, unit=units["academic"])
    # Neither file has the other unit's (required) fields, and neither is refused for it.
    deliver_record(pharmacy, staff, dict(zip(PHARMACY_FIELDS, ["12", "45"], strict=True)))
    deliver_record(
        academic,
        staff,
        {"文化、学术讲座数总数": "80", "本科生课外科技、文化活动项目总数": "320"},
    )
    report = TableReport.objects.get(assignment=shared_table)
    merged = merged_rows(report)
    assert (
        merged.rows[0]
        == record(
            **{
                "文化、学术讲座数总数": "80",
                "本科生课外科技、文化活动项目总数": "320",
                **dict(zip(PHARMACY_FIELDS, ["12", "45"], strict=True)),
            }
        )[0]
    )
    assert merged_findings(report, merged) == []
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    workflow.table_report_approve(actor=staff["sun"], report=report)
    report.refresh_from_db()
    assert report.state == TableReportState.COLLECTION_CHECK


def test_a_rule_across_units_is_checked_on_the_merged_record(
    staff, shared_table, units, client_for
):
    pharmacy = Contribution.objects.get(assignment=shared_table, unit=units["pharmacy"])
    academic = Contribution.objects.get(assignment=shared_table, unit=units["academic"])
    deliver_record(pharmacy, staff, dict(zip(PHARMACY_FIELDS, ["12", "45"], strict=True)))
    # 50 activities in all cannot hold 12 + 45 innovation projects (表5-5 rule): each unit's
    # own file is fine, the merged record is not.
    deliver_record(
        academic, staff, {"文化、学术讲座数总数": "80", "本科生课外科技、文化活动项目总数": "50"}
    )
    report = TableReport.objects.get(assignment=shared_table)
    findings = merged_findings(report, merged_rows(report))
    assert {f.rule for f in findings} >= {"表5-5#1"}
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    client = client_for("sun")
    page = client.get(reverse("review:report_detail", args=[report.pk]))
    assert "表5-5#1" in {f.rule for f in page.context["record_findings"]}
    assert "本科生课外科技、文化活动项目总数" in page.content.decode()
    with pytest.raises(ValidationError, match="本科生课外科技、文化活动项目总数"):
        workflow.table_report_approve(actor=staff["sun"], report=report)
    report.refresh_from_db()
    assert report.state == TableReportState.SECOND_REVIEW


def test_the_partial_schema_leaves_other_units_fields_to_the_merge():
    schema = catalog_schemas()[TABLE]
    part = partial_schema(schema, set(PHARMACY_FIELDS))
    assert [f.required for f in part.fields] == [f.name in PHARMACY_FIELDS for f in schema.fields]
    assert part.rules == ()  # every 表5-5 rule reads an activity total the pharmacy does not fill
    assert partial_schema(schema, set(schema.headers)) is schema
