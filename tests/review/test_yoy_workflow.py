"""Year over year in the workflow: a big change from last year's approved data is a 需说明
finding of the version; it must be explained before submission; a reviewer may reject the
explanation, which blocks that stage's approval until the collector explains again.

Last year (2025) is set up through the real services: 表1-6 approved with rows of 药学院 and
教务处 (来源单位), as an import of last year's package would leave it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Notification
from collection.models import ContributionState, Cycle, FieldSpec, TableReport
from collection.sampledata import sample_rows, sample_workbook
from collection.schema import Severity
from collection.selectors import table_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.specs import catalog_load
from collection.services.uploads import findings_from_upload
from collection.services.versions import explanation_add, finding_key_of, version_create
from review import workflow
from review.explanations import explanation_decide
from review.models import ExplanationReview
from tests.review.conftest import ACADEMIC_ROWS, TABLE, student, upload

C = ContributionState


def approve_last_year(cycle, staff, units, code, headers, rows):
    """Last year's approved table ``code`` (through the import transition), linked as previous."""
    previous, _added = catalog_load(actor=staff["xia"], year=cycle.year - 1)
    assignment = assignment_set(
        actor=staff["xia"],
        cycle=previous,
        table=previous.tables.get(code=code),
        responsible_unit=units["academic"],
    )
    report = TableReport.objects.create(assignment=assignment)
    workflow.table_report_import_approved(
        actor=staff["xia"], report=report, headers=headers, rows=rows
    )
    Cycle.objects.filter(pk=cycle.pk).update(previous=previous)
    cycle.refresh_from_db()
    return previous


def roster_last_year(pharmacy_count, academic_count=1):
    headers = [*table_schema_headers(), "来源单位"]
    rows = [[*student(f"20220{i:05d}"), "药学院"] for i in range(pharmacy_count)]
    rows += [[*student(f"20221{i:05d}"), "教务处"] for i in range(academic_count)]
    return headers, rows


def table_schema_headers():
    from collection.schema import catalog_schemas

    return catalog_schemas()[TABLE].headers


@pytest.fixture
def last_year(cycle, staff, units, assignment):
    headers, rows = roster_last_year(20)
    return approve_last_year(cycle, staff, units, TABLE, headers, rows)


def yoy(version):
    return [f for f in findings_from_upload(version.upload) if f.rule.startswith("yoy.")]


def test_a_big_change_must_be_explained_and_a_rejection_blocks_approval(last_year, staff, pharmacy):
    s = staff
    version = upload(pharmacy, s["zhang"], [student("2023000001"), student("2023000002")])
    [finding] = yoy(version)  # 药学院 had 20 rows last year, now 2
    assert (finding.rule, finding.severity, finding.value) == (
        "yoy.rows",
        Severity.EXPLAIN,
        "20 → 2",
    )
    assert version.explain_count == 1 and version.upload.explain_count == 1
    with pytest.raises(ValidationError):
        workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
    explanation = explanation_add(
        actor=s["zhang"], version=version, finding_key=finding_key_of(finding), text="毕业离校"
    )
    workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)

    with pytest.raises(ValidationError):  # a rejection needs a reason
        explanation_decide(actor=s["li"], explanation=explanation, decision="reject")
    explanation_decide(
        actor=s["li"], explanation=explanation, decision="reject", reason="说明不清：写明人数"
    )
    review = ExplanationReview.objects.get()
    assert (review.stage, review.decision, review.reviewer) == ("source_review", "reject", s["li"])
    [told] = Notification.objects.filter(recipient=s["zhang"], body__contains="说明不清：写明人数")
    assert told.link.endswith(f"/contributions/{pharmacy.pk}/")
    for reviewer in ("li", "wang"):
        with pytest.raises(ValidationError, match="rejected"):
            workflow.contribution_approve(actor=s[reviewer], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == C.SOURCE_REVIEW

    workflow.contribution_return(actor=s["li"], contribution=pharmacy, reason="请重新说明")
    explanation_add(
        actor=s["zhang"],
        version=version,
        finding_key=finding_key_of(finding),
        text="2022级18人毕业离校",
    )
    workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
    workflow.contribution_approve(actor=s["li"], contribution=pharmacy)
    workflow.contribution_approve(actor=s["wang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == C.HEAD_SIGNOFF
    assert pharmacy.current_version == version


def test_only_the_stage_holder_decides_and_an_acceptance_clears_a_rejection(
    last_year, staff, pharmacy, academic, report
):
    s = staff
    version = upload(pharmacy, s["zhang"], [student("2023000001")])
    [finding] = yoy(version)
    explanation = explanation_add(
        actor=s["zhang"], version=version, finding_key=finding_key_of(finding), text="毕业"
    )
    with pytest.raises(ValidationError):  # drafting: nobody decides yet
        explanation_decide(actor=s["li"], explanation=explanation, decision="accept")
    workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
    for outsider in ("zhao", "sun", "han", "chen"):
        with pytest.raises(PermissionDenied):
            explanation_decide(actor=s[outsider], explanation=explanation, decision="accept")
    for reviewer in ("li", "wang"):
        workflow.contribution_approve(actor=s[reviewer], contribution=pharmacy)
    workflow.contribution_sign(actor=s["chen"], contribution=pharmacy)
    upload(academic, s["qian"], ACADEMIC_ROWS)
    workflow.contribution_submit(actor=s["qian"], contribution=academic)
    for reviewer in ("zhou", "wu"):
        workflow.contribution_approve(actor=s[reviewer], contribution=academic)
    workflow.contribution_sign(actor=s["zheng"], contribution=academic)
    workflow.table_report_start_second_review(actor=s["qian"], report=report)

    with pytest.raises(PermissionDenied):  # source review is over
        explanation_decide(actor=s["li"], explanation=explanation, decision="reject", reason="x")
    explanation_decide(actor=s["sun"], explanation=explanation, decision="reject", reason="核对")
    with pytest.raises(ValidationError, match="rejected"):
        workflow.table_report_approve(actor=s["sun"], report=report)
    explanation_decide(actor=s["sun"], explanation=explanation, decision="accept")
    workflow.table_report_approve(actor=s["sun"], report=report)
    report.refresh_from_db()
    assert report.state == "collection_check"
    assert ExplanationReview.objects.filter(stage="second_review").count() == 2


def test_a_unit_is_compared_with_its_own_rows_of_last_year(last_year, staff, academic):
    # 教务处 had one row last year (来源单位 教务处) and has one now: nothing to explain, although
    # the whole table had 21.
    version = upload(academic, staff["qian"], ACADEMIC_ROWS)
    assert yoy(version) == []
    assert version.explain_count == 0


def test_the_floor_keeps_small_units_from_flapping(cycle, staff, units, assignment, pharmacy):
    headers, rows = roster_last_year(5)
    approve_last_year(cycle, staff, units, TABLE, headers, rows)
    version = upload(pharmacy, staff["zhang"], [student("2023000001"), student("2023000002")])
    assert yoy(version) == []  # 5 → 2 is -60 %, but 3 rows is below the floor of 10


def test_without_last_year_nothing_is_compared(staff, pharmacy):
    version = upload(pharmacy, staff["zhang"], [student("2023000001")])
    assert yoy(version) == []


LIBRARY = "表2-3-1"


@pytest.fixture
def library(cycle, staff, units):
    """A single-record table: last year's record approved, this year's assigned to 教务处."""
    table = cycle.tables.get(code=LIBRARY)
    assignment = assignment_set(
        actor=staff["xia"], cycle=cycle, table=table, responsible_unit=units["academic"]
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    schema = table_schema(table)
    [record] = sample_rows(schema, cycle.dates(), 1, seed=3)
    seats = schema.headers.index("阅览室座位数")
    record[seats] = "1000"
    approve_last_year(cycle, staff, units, LIBRARY, schema.headers, [record])
    return assignment.contributions.get(), schema, record, seats


def test_single_record_tables_compare_each_value(library, staff):
    contribution, schema, record, seats = library
    this = list(record)
    this[seats] = "1300"
    version = version_create(
        actor=staff["qian"],
        contribution=contribution,
        content=sample_workbook(schema, [this]),
        filename="图书馆.xlsx",
    )
    [finding] = yoy(version)
    assert (finding.rule, finding.column, finding.value) == (
        "yoy.value|阅览室座位数",
        "阅览室座位数",
        "1000 → 1300",
    )
    assert finding_key_of(finding) == "yoy.value|阅览室座位数|None|阅览室座位数"


def test_a_field_can_have_its_own_threshold(library, staff):
    contribution, schema, record, seats = library
    FieldSpec.objects.filter(table=contribution.assignment.table, name="阅览室座位数").update(
        change_threshold=50
    )
    this = list(record)
    this[seats] = "1300"  # +30 %: within the field's 50 %
    version = version_create(
        actor=staff["qian"],
        contribution=contribution,
        content=sample_workbook(schema, [this]),
        filename="图书馆.xlsx",
    )
    assert yoy(version) == []
