# ruff: noqa: F811  (test arguments name the fixtures imported from tests/review/conftest.py)
"""crosscheck_table / crosscheck_version / crosscheck_dependents with real uploads.

The published 表1-6 assignment of tests/review/conftest.py (教务处 responsible, 药学院 assisting),
plus 表1-4-1 (专业基本情况) given to 教务处. 表1-6's rule #3 wants every student's 校内专业（大类）
代码 and 名称 in 表1-4-1 or 表1-4-2; 表1-4-2 is not in this college's task breakdown.
"""

import io
from types import SimpleNamespace

import pytest
from django.utils import translation
from openpyxl import Workbook

from collection.models import Contribution, TableReport, TableReportState
from collection.schema import Finding, Severity, catalog_schemas
from collection.services import crosscheck as cc
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.uploads import findings_from_upload, pack
from collection.services.versions import version_create
from tests.review.conftest import (  # noqa: F401  (its fixtures, shared by name)
    academic,
    academic_staff,
    assignment,
    deliver,
    pharmacy,
    report,
    staff,
    student,
    upload,
)

MAJORS = "表1-4-1"
STUDENTS_RULE = "表1-6#3"


def workbook(code: str, rows: list[dict[str, str]]) -> bytes:
    schema = catalog_schemas()[code]
    book = Workbook()
    sheet = book.active
    sheet.title = schema.sheet_name
    sheet.append(schema.headers)
    for row in rows:
        sheet.append([row.get(name, "") for name in schema.headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def major(code: str, name: str) -> dict[str, str]:
    return {
        "校内专业代码": code,
        "校内专业名称": name,
        "专业名称": name,
        "专业代码": code,
        "代码版本": "2012",
        "所属单位名称": "药学院",
        "所属单位号": "101",
        "专业设置年份": "2005",
        "学制": "4",
        "允许修业年限": "6",
        "授予学位门类": "理学",
        "招生状态": "在招",
        "是否新专业": "否",
        "是否师范类专业": "无",
    }


@pytest.fixture
def majors_assignment(cycle, units, staff, assignment):
    """表1-4-1 is 教务处's too; publishing again creates its contribution and report."""
    found = assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=MAJORS),
        responsible_unit=units["academic"],
        assisting_units=[],
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    return found


@pytest.fixture
def majors_draft(majors_assignment, units, staff):
    """钱老师 has uploaded 表1-4-1 with one major, 药学 100701 (not delivered yet)."""
    contribution = Contribution.objects.get(assignment=majors_assignment, unit=units["academic"])
    version_create(
        actor=staff["qian"],
        contribution=contribution,
        content=workbook(MAJORS, [major("100701", "药学")]),
        filename="专业.xlsx",
    )
    return contribution


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


STUDENTS = [
    student("2023000001"),
    [*student("2023000002", "王芳")[:3], "中药学", "100799", "境内", "2023", "2023"],
]


def test_a_student_of_an_unknown_major_is_found_against_the_majors_being_filled(
    staff, pharmacy, report, majors_draft
):
    upload(pharmacy, staff["zhang"], STUDENTS)
    check = cc.crosscheck_table(report)
    assert check.source.kind == cc.CURRENT  # nothing delivered yet: the current versions
    assert [(f.rule, f.row, f.value, f.other_tables) for f in check.result.findings] == [
        (STUDENTS_RULE, 3, "100799、中药学", ("表1-4-1", "表1-4-2"))
    ]
    assert check.result.findings[0].severity == Severity.ERROR
    assert "表1-4-1 专业基本情况" in check.result.findings[0].message
    assert check.sources["表1-4-1"].kind == cc.CURRENT
    # 表1-4-2 is not in the published breakdown: this college has no 大类, so it is empty.
    assert check.sources["表1-4-2"].kind == cc.NOT_COLLECTED
    assert check.result.not_checked == []


def test_without_the_majors_nothing_is_called_wrong(staff, pharmacy, report, majors_assignment):
    upload(pharmacy, staff["zhang"], STUDENTS)
    check = cc.crosscheck_table(report.assignment)
    assert check.result.findings == []
    assert check.sources["表1-4-1"].kind == cc.NO_DATA
    [not_checked] = check.result.not_checked
    assert (not_checked.rule, not_checked.tables, not_checked.rows) == (
        STUDENTS_RULE,
        ("表1-4-1",),
        2,
    )
    assert not_checked.message == "表1-4-1 专业基本情况 no data yet: 2 rows could not be checked."


def test_before_publishing_a_table_missing_from_the_breakdown_is_not_taken_as_empty(
    cycle, staff, units
):
    from collection.models import Assignment

    assignment = assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code="表1-6"),
        responsible_unit=units["academic"],
        assisting_units=[],
    )
    check = cc.crosscheck_table(Assignment.objects.get(pk=assignment.pk))
    assert check.source.kind == cc.NO_DATA
    assert check.sources["表1-4-2"].kind == cc.UNASSIGNED
    assert [n.rows for n in check.result.not_checked] == [None]


def test_the_merge_of_delivered_contributions_is_checked(
    staff, pharmacy, academic, report, majors_draft
):
    s = staff
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], STUDENTS)
    check = cc.crosscheck_table(report)
    assert check.source == cc.Source("表1-6", cc.DELIVERED, 2, "本科生基本情况")
    # Row 3 of the merged table (header in row 1), whose 来源单位 is 药学院.
    assert [(f.row, f.value) for f in check.result.findings] == [(3, "100799、中药学")]


def test_an_approved_table_is_read_from_its_stored_merge(staff, pharmacy, report, majors_draft):
    schema = catalog_schemas()["表1-6"]
    rows = [[*student("2023000009")[:3], "护理", "101101", "境内", "2023", "2023", "教务处"]]
    # Set up as review.workflow's approval leaves it (stored merged rows, state approved).
    TableReport.objects.filter(pk=report.pk).update(
        state=TableReportState.APPROVED,
        merged_blob=pack({"headers": [*schema.headers, "来源单位"], "rows": rows}),
    )
    upload(pharmacy, staff["zhang"], STUDENTS)  # a later draft does not count
    check = cc.crosscheck_table(TableReport.objects.get(pk=report.pk))
    assert check.source.kind == cc.APPROVED
    assert [f.value for f in check.result.findings] == ["101101、护理"]


def test_a_version_is_checked_with_its_own_excel_rows(staff, pharmacy, majors_draft):
    version = upload(pharmacy, staff["zhang"], STUDENTS)  # title row 1, header row 2
    check = cc.crosscheck_version(version)
    [finding] = check.result.findings
    assert (finding.row, finding.column, finding.column_letter) == (4, "校内专业（大类）代码", "E")
    # The upload's own check never ran the cross-table rule: its stored findings are as before.
    assert [f for f in findings_from_upload(version.upload) if f.rule == STUDENTS_RULE] == []


def test_stored_findings_keep_their_link_to_the_other_table():
    finding = Finding(Severity.ERROR, "m", row=3, rule="r", other_tables=("表1-4-1",))
    old = Finding(Severity.ERROR, "m", row=3, rule="r")
    stored = SimpleNamespace(findings_blob=pack([finding.as_dict(), old.as_dict()]))
    assert findings_from_upload(stored) == [finding, old]


def test_dependents_are_the_tables_whose_rules_read_a_table(cycle):
    readers = cc.crosscheck_dependents("表1-6", cycle)
    assert {"表6-2-1", "表6-6-1", "表SF-1", "表SF-13"} <= set(readers)
    assert "表1-6" not in readers
    assert "表1-6" in cc.crosscheck_dependents("表1-4-1", cycle)
    # The catalog gives the same answer before any cycle exists.
    assert cc.crosscheck_dependents("表1-6") == readers
    assert cc.crosscheck_dependents("表7-1") == []
