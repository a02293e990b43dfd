"""Year over year pages: importing last year's package (page and command), this year beside
last year (a contribution, a whole table), and accepting or rejecting an explanation.

夏主任 (xia) is the office and imports; 张老师 (zhang) collects for 药学院; 李老师 and 王老师
review it; 孙老师 (sun) second-reviews 教务处's tables; 赵老师 (zhao, 护理学院) is an outsider."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Event
from collection.models import Cycle, TableReport
from collection.services.uploads import findings_from_upload, unpack
from collection.services.versions import explanation_add, finding_key_of
from review import workflow
from review.models import ExplanationReview
from tests.review.conftest import roster, student, upload


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.force_login(staff[key])
        return client

    return sign_in


LAST_YEAR = [student(f"20220{i:05d}") for i in range(25)]


def package(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def as_upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("2025.zip", content, "application/zip")


GOOD = {"表1-6 本科生名单.xlsx": roster(LAST_YEAR)}


def import_url(cycle):
    return reverse("review:previous_import", args=[cycle.year])


def last_report(year=2025):
    return TableReport.objects.get(assignment__cycle__year=year, assignment__table__code="表1-6")


# Import ----------------------------------------------------------------------------------------


def test_the_office_imports_last_years_package(as_, cycle, assignment):
    response = as_("xia").post(import_url(cycle), {"package": as_upload(package(GOOD))})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.previous.year == 2025
    report = last_report()
    assert report.state == "approved" and report.merged_hash
    data = unpack(report.merged_blob)
    assert data["headers"][-1] == "来源单位"
    assert len(data["rows"]) == 25
    event = Event.objects.get(action="table_report.import_approved")
    assert (event.from_state, event.to_state, event.content_hash) == (
        "collecting",
        "approved",
        report.merged_hash,
    )
    page = as_("xia").get(import_url(cycle))
    assert page.status_code == 200
    assert reverse("review:report_detail", args=[report.pk]) in page.content.decode()


def test_a_package_with_a_bad_table_imports_nothing(as_, cycle, assignment):
    files = {**GOOD, "表9-9 未知.xlsx": roster(LAST_YEAR), "说明.txt": b"hello"}
    response = as_("xia").post(import_url(cycle), {"package": as_upload(package(files))})
    assert response.status_code == 422
    body = response.content.decode()
    assert "表9-9 未知.xlsx" in body and "说明.txt" in body
    assert not Cycle.objects.filter(year=2025).exists()
    cycle.refresh_from_db()
    assert cycle.previous is None


def test_a_file_that_is_not_a_zip_is_refused(as_, cycle):
    response = as_("xia").post(import_url(cycle), {"package": as_upload(b"not a zip")})
    assert response.status_code == 422
    assert not Cycle.objects.filter(year=2025).exists()


def test_a_table_already_imported_is_not_replaced(as_, cycle, assignment):
    as_("xia").post(import_url(cycle), {"package": as_upload(package(GOOD))})
    first = last_report().merged_hash
    other = {"表1-6.xlsx": roster(LAST_YEAR[:3])}
    response = as_("xia").post(import_url(cycle), {"package": as_upload(package(other))})
    assert response.status_code == 422
    assert last_report().merged_hash == first


def test_only_the_office_imports(as_, cycle):
    for persona in ("zhang", "han", "kong"):
        assert as_(persona).get(import_url(cycle)).status_code == 403
        response = as_(persona).post(import_url(cycle), {"package": as_upload(package(GOOD))})
        assert response.status_code == 403
    assert not Cycle.objects.filter(year=2025).exists()


def test_the_command_imports_a_package(cycle, assignment, tmp_path):
    path = tmp_path / "2025.zip"
    path.write_bytes(package(GOOD))
    out = io.StringIO()
    call_command("import_previous", cycle=2026, package=str(path), stdout=out)
    assert "表1-6" in out.getvalue()
    assert last_report().state == "approved"
    cycle.refresh_from_db()
    assert cycle.previous.year == 2025


def test_the_command_refuses_a_bad_package(cycle, assignment, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "2025.zip"
    path.write_bytes(package({"表1-6.xlsx": b"PK\x03\x04broken"}))
    with pytest.raises(CommandError):
        call_command("import_previous", cycle=2026, package=str(path), stdout=io.StringIO())
    assert not Cycle.objects.filter(year=2025).exists()


# This year beside last year -------------------------------------------------------------------


@pytest.fixture
def imported(cycle, assignment, staff):
    from review.yoy_import import previous_import

    result = previous_import(actor=staff["xia"], cycle=cycle, content=package(GOOD))
    assert result.imported, result.tables
    cycle.refresh_from_db()
    return cycle


def test_the_table_beside_last_year(as_, imported, staff, pharmacy, academic, report):
    upload(pharmacy, staff["zhang"], [LAST_YEAR[0], student("2023000009", "新生")])
    url = reverse("review:report_yoy", args=[report.pk])
    response = as_("qian").get(url)
    assert response.status_code == 200
    figures = response.context["summary"]
    # Nothing delivered yet: this year's merged table is empty.
    assert (figures.row_count.last, figures.row_count.this) == (25, 0)
    assert figures.gone == 25
    detail = as_("qian").get(reverse("review:report_detail", args=[report.pk]))
    assert url in detail.content.decode()


def test_a_contribution_beside_last_year(as_, cycle, staff, units, assignment, academic):
    from review.yoy_import import previous_import

    # 教务处 is responsible alone for a table with no assisting unit: the whole table counts.
    previous_import(actor=staff["xia"], cycle=cycle, content=package(GOOD))
    assignment.assisting_units.clear()
    upload(academic, staff["qian"], [LAST_YEAR[0], LAST_YEAR[1], student("2023000009", "新生")])
    url = reverse("review:contribution_yoy", args=[academic.pk])
    response = as_("zhou").get(url)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.row_count.last, summary.row_count.this) == (25, 3)
    assert (summary.new, summary.gone, summary.changed) == (1, 23, 0)
    assert response.context["last"].scope == "table"
    page = as_("zhou").get(reverse("review:contribution_detail", args=[academic.pk]))
    assert url in page.content.decode()


def test_outsiders_do_not_see_the_comparisons(as_, imported, pharmacy, report):
    for url in (
        reverse("review:contribution_yoy", args=[pharmacy.pk]),
        reverse("review:report_yoy", args=[report.pk]),
    ):
        assert as_("zhao").get(url).status_code == 404
        assert as_("li").get(url).status_code == 200


def test_without_last_year_the_page_says_so(as_, pharmacy):
    response = as_("zhang").get(reverse("review:contribution_yoy", args=[pharmacy.pk]))
    assert response.status_code == 200
    assert response.context["last"] is None


# Accepting and rejecting explanations ----------------------------------------------------------


@pytest.fixture
def explained(cycle, staff, units, assignment, pharmacy):
    """药学院 had 25 rows last year (来源单位 药学院) and submits 1, explained."""
    from tests.review.test_yoy_workflow import approve_last_year

    headers = [*assignment.table.fields.order_by("position").values_list("name", flat=True)]
    rows = [[*r, "药学院"] for r in LAST_YEAR]
    approve_last_year(cycle, staff, units, "表1-6", [*headers, "来源单位"], rows)
    version = upload(pharmacy, staff["zhang"], [student("2023000001")])
    [finding] = [f for f in findings_from_upload(version.upload) if f.rule == "yoy.rows"]
    explanation = explanation_add(
        actor=staff["zhang"], version=version, finding_key=finding_key_of(finding), text="毕业"
    )
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    return explanation


def decide_url(contribution):
    return reverse("review:explanation_decide", args=[contribution.pk])


def test_a_reviewer_rejects_an_explanation_on_the_page(as_, explained, pharmacy):
    page = as_("li").get(reverse("review:contribution_detail", args=[pharmacy.pk]))
    assert 'data-testid="decide-form"' in page.content.decode()
    response = as_("li").post(
        decide_url(pharmacy),
        {"explanation": explained.pk, "decision": "reject", "reason": "请写明人数"},
    )
    assert response.status_code == 302
    review = ExplanationReview.objects.get()
    assert (review.decision, review.reason, review.stage) == (
        "reject",
        "请写明人数",
        "source_review",
    )
    assert Event.objects.filter(action="explanation.reject", object_id=str(pharmacy.pk)).exists()
    page = as_("wang").get(reverse("review:contribution_detail", args=[pharmacy.pk]))
    body = page.content.decode()
    assert "请写明人数" in body
    assert 'data-action="approve"' not in body  # the rejection blocks the approval


def test_a_rejection_without_a_reason_changes_nothing(as_, explained, pharmacy):
    response = as_("li").post(
        decide_url(pharmacy), {"explanation": explained.pk, "decision": "reject"}
    )
    assert response.status_code == 302
    assert not ExplanationReview.objects.exists()


def test_who_may_not_decide(as_, explained, pharmacy, client):
    data = {"explanation": explained.pk, "decision": "accept"}
    assert as_("zhao").post(decide_url(pharmacy), data).status_code == 404
    for persona in ("sun", "zhang", "chen", "han"):
        assert as_(persona).post(decide_url(pharmacy), data).status_code == 403
    assert as_("li").get(decide_url(pharmacy)).status_code == 405
    assert as_("li").post(decide_url(pharmacy), {"explanation": 999999}).status_code == 404
    assert not ExplanationReview.objects.exists()


def test_imported_rows_without_a_source_unit_are_not_compared_per_unit(imported, staff, academic):
    # Imported rows carry no 来源单位: a table with several units is compared per unit from the
    # next cycle on, so 教务处's upload has no year-over-year finding.
    rows = [student(f"20231{i:05d}") for i in range(30)]
    version = upload(academic, staff["qian"], rows)
    assert version.error_count == 0
    assert [f for f in findings_from_upload(version.upload) if f.rule.startswith("yoy.")] == []


def test_the_annotated_workbook_carries_the_year_over_year_finding(as_, explained, pharmacy):
    url = reverse("review:version_annotated", args=[pharmacy.pk, 1])
    response = as_("li").get(url)
    assert response.status_code == 200
    page = as_("li").get(reverse("review:contribution_detail", args=[pharmacy.pk]))
    assert page.context["version"].explain_count == 1
