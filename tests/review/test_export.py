"""The export package for the national platform: what leaves, in what layout, and what cannot.

表1-6 is approved through the whole workflow by the personas of tests/review/conftest.py (教务处
responsible, 药学院 assisting), then exported as the office would: by the service, the command
and the page.
"""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Event
from collection.models import ExportJob, TableReport
from collection.schema import Severity
from collection.selectors import table_schema, tables_in_scope
from collection.services.uploads import check_file, pack
from review import workflow
from review.export import UNAPPROVED_DIR, UNAPPROVED_MARK, package_write
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, TABLE

pytestmark = pytest.mark.django_db
FILE = "表1-6 本科生基本情况.xlsx"


@pytest.fixture
def approved(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for person in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[person], report=report)
    report.refresh_from_db()
    return report


def export(cycle, **kwargs) -> tuple[zipfile.ZipFile, object]:
    out = io.BytesIO()
    package = package_write(cycle, out, **kwargs)
    return zipfile.ZipFile(io.BytesIO(out.getvalue())), package


def test_the_package_holds_each_approved_table_its_json_manifest_and_summary(cycle, approved):
    archive, _package = export(cycle)
    names = set(archive.namelist())
    assert {FILE, "json/表1-6.json", "manifest.json", "汇总.xlsx", "说明.txt"} <= names
    assert not any(n.startswith(UNAPPROVED_DIR) for n in names)
    manifest = json.loads(archive.read("manifest.json"))
    [table] = manifest["tables"]
    assert table["code"] == TABLE and table["rows"] == 3 and table["approved"] is True
    assert table["sha256"] == hashlib.sha256(archive.read(FILE)).hexdigest()
    assert table["json_sha256"] == hashlib.sha256(archive.read("json/表1-6.json")).hexdigest()
    assert table["content_hash"] == approved.merged_hash
    assert [(a["stage"], a["name"]) for a in table["approvers"]] == [
        ("second_review", "孙老师"),
        ("collection_check", "韩老师"),
        ("college_review", "邵老师"),
    ]
    assert all(a["at"] for a in table["approvers"])
    assert {(v["unit_name"], v["version"]) for v in table["versions"]} == {
        ("药学院", 1),
        ("教务处", 1),
    }
    # The other tables in scope are not in this breakdown: listed, and the package is complete.
    assert len(manifest["not_included"]) == tables_in_scope(cycle).count() - 1
    assert {t["kind"] for t in manifest["not_included"]} == {"not_assigned"}
    assert manifest["complete"] is True and manifest["include_unapproved"] is False
    summary = load_workbook(io.BytesIO(archive.read("汇总.xlsx")))
    rows = list(summary["汇总"].iter_rows(values_only=True))
    assert rows[1][:4] == (TABLE, "本科生基本情况", "已审定", 3)
    assert rows[1][5] == table["sha256"]
    assert "邵老师" in rows[1][10]


def test_the_table_file_is_the_platform_layout_with_text_codes(cycle, approved):
    archive, _package = export(cycle)
    book = load_workbook(io.BytesIO(archive.read(FILE)))
    schema = table_schema(cycle.tables.get(code=TABLE))
    assert book.sheetnames == [schema.sheet_name]  # no _caiji metadata sheet, no code lists
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == schema.headers  # no 来源单位 column
    assert sorted(r[0] for r in rows[1:]) == sorted(r[0] for r in PHARMACY_ROWS + ACADEMIC_ROWS)
    code_cell = sheet.cell(row=2, column=schema.headers.index("校内专业（大类）代码") + 1)
    assert code_cell.data_type == "s" and code_cell.value == "100701"
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=1).font.b


def test_formula_like_text_is_quoted_but_reads_back_unchanged(cycle, report, staff):
    schema = table_schema(cycle.tables.get(code=TABLE))
    rows = [
        [
            "2023000001",
            '=HYPERLINK("http://x","点我")',
            "男",
            "药学",
            "100701",
            "境内",
            "2023",
            "2023",
        ],
        ["2023000002", "@SUM(A1)", "女", "药学", "100701", "境内", "2023", "2023"],
        ["2023000003", "-2+3", "女", "药学", "100701", "境内", "2023", "2023"],
    ]
    workflow.table_report_import_approved(
        actor=staff["xia"], report=report, headers=schema.headers, rows=rows
    )
    archive, _package = export(cycle)
    content = archive.read(FILE)
    sheet = load_workbook(io.BytesIO(content)).active
    for r in (2, 3, 4):
        cell = sheet.cell(row=r, column=2)
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    parsed, _findings = check_file(schema, content, FILE, cycle.dates())
    assert parsed.rows == rows
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")


def test_json_has_field_names_and_typed_values(cycle, approved):
    archive, _package = export(cycle)
    document = json.loads(archive.read("json/表1-6.json"))
    assert document["table"] == TABLE and document["approved"] is True
    assert [f["name"] for f in document["fields"]][:2] == ["学号", "学生姓名"]
    record = next(r for r in document["records"] if r["学号"] == "2023100001")
    assert record["学生姓名"] == "赵强" and record["校内专业（大类）代码"] == "100701"
    assert "来源单位" not in record


def test_unapproved_tables_only_on_request_and_marked_everywhere(cycle, report, delivered_all):
    with pytest.raises(ValidationError, match="nothing to export"):
        export(cycle)
    archive, package = export(cycle, include_unapproved=True)
    assert UNAPPROVED_MARK in package.filename
    assert f"{UNAPPROVED_DIR}/{FILE}" in archive.namelist() and FILE not in archive.namelist()
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["include_unapproved"] is True and manifest["complete"] is False
    assert manifest["unapproved_tables"] == [TABLE]
    assert manifest["tables"][0]["state"] == "collecting"
    assert "请勿上传" in archive.read("说明.txt").decode("utf-8-sig")


def test_an_export_refuses_data_changed_since_approval(cycle, approved, tmp_path):
    TableReport.objects.filter(pk=approved.pk).update(
        merged_blob=pack({"headers": ["学号"], "rows": [["1"]]})
    )
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(CommandError, match=TABLE):
        call_command("export_package", "--cycle", "2026", "--out", str(folder / "2026.zip"))
    assert list(folder.iterdir()) == []  # no package, not even a partial one


def test_the_command_writes_the_package_and_records_it(cycle, approved, tmp_path):
    out = tmp_path / "2026.zip"
    stdout = io.StringIO()
    call_command("export_package", "--cycle", "2026", "--out", str(out), stdout=stdout)
    assert FILE in zipfile.ZipFile(out).namelist()
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert sha in stdout.getvalue()
    event = Event.objects.filter(action="cycle.export").latest("id")
    assert event.content_hash == sha and event.data["tables"] == 1


def test_the_command_marks_a_package_with_unapproved_tables(cycle, report, delivered_all, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    call_command(
        "export_package",
        "--cycle",
        "2026",
        "--out",
        str(folder / "check.zip"),
        "--include-unapproved",
        stdout=io.StringIO(),
    )
    [written] = list(folder.iterdir())
    assert written.name == f"check-{UNAPPROVED_MARK}.zip"


def test_the_office_builds_and_downloads_a_package_on_its_page(
    cycle, approved, client_for, django_capture_on_commit_callbacks
):
    client = client_for("xia")
    page = client.get(reverse("review:cycle_export", args=[2026]))
    assert page.status_code == 200 and TABLE in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:cycle_export", args=[2026]))
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.DONE and job.tables == 1 and job.rows == 3
    listed = client.get(reverse("review:cycle_export", args=[2026])).content.decode()
    assert job.sha256 in listed
    download = client.get(reverse("review:cycle_export_download", args=[2026, job.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == job.sha256
    assert FILE in zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert Event.objects.filter(action="cycle.export_download", content_hash=job.sha256).exists()


def test_nobody_but_the_office_exports_or_downloads(cycle, approved, client_for, staff):
    from review.export_jobs import export_job_create

    job = export_job_create(actor=staff["xia"], cycle=cycle, include_unapproved=False)
    for persona in ("shao", "han", "kong", "sun", "zhang"):
        client = client_for(persona)
        for url in (
            reverse("review:cycle_export", args=[2026]),
            reverse("review:cycle_export_jobs", args=[2026]),
            reverse("review:cycle_export_download", args=[2026, job.pk]),
        ):
            assert client.get(url).status_code == 403, (persona, url)
        assert client.post(reverse("review:cycle_export", args=[2026])).status_code == 403
    assert ExportJob.objects.count() == 1
    assert not Event.objects.filter(action="cycle.export_download").exists()


def test_the_page_refuses_an_export_with_nothing_approved(cycle, report, client_for):
    client = client_for("xia")
    response = client.post(reverse("review:cycle_export", args=[2026]), follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error" and "2026" in message.message
    assert not ExportJob.objects.exists()


def test_every_export_is_byte_identical_for_the_same_data(cycle, approved):
    first, _ = export(cycle, filename="a.zip")
    second, _ = export(cycle, filename="a.zip")
    assert first.read(FILE) == second.read(FILE)
    assert first.read("json/表1-6.json") == second.read("json/表1-6.json")


def test_an_exported_file_passes_the_check_without_a_finding(cycle, approved, tmp_path):
    archive, _package = export(cycle)
    path = tmp_path / FILE
    path.write_bytes(archive.read(FILE))
    schema = table_schema(cycle.tables.get(code=TABLE))
    parsed, findings = check_file(schema, path.read_bytes(), FILE, cycle.dates())
    assert [f for f in findings if f.severity == Severity.ERROR] == []
    assert sorted(parsed.rows) == sorted(PHARMACY_ROWS + ACADEMIC_ROWS)


def _package(cycle, **kwargs) -> bytes:
    out = io.BytesIO()
    package_write(cycle, out, **kwargs)
    return out.getvalue()


def _import_into_a_later_cycle(package: bytes, office):
    from collection.services.specs import catalog_load
    from review.yoy_import import previous_import

    later, _added = catalog_load(actor=office, year=2028)
    return previous_import(actor=office, cycle=later, content=package)


def test_a_package_is_last_years_data_for_a_later_cycle(cycle, approved, staff):
    result = _import_into_a_later_cycle(_package(cycle), staff["xia"])
    assert result.imported, [(t.filename, t.refused) for t in result.tables]
    assert [t.code for t in result.tables] == [TABLE]  # manifest, summary and json skipped
    imported = TableReport.objects.get(assignment__cycle__year=2027, assignment__table__code=TABLE)
    assert imported.state == "approved"
    columns = len(PHARMACY_ROWS[0])  # then an empty 来源单位: the platform's file has none
    assert sorted(r[:columns] for r in imported_rows(imported)) == sorted(
        PHARMACY_ROWS + ACADEMIC_ROWS
    )


def imported_rows(report) -> list[list[str]]:
    from collection.services.uploads import unpack

    return unpack(report.merged_blob)["rows"]


def test_an_unapproved_or_changed_package_is_not_last_years_data(
    cycle, report, delivered_all, staff
):
    result = _import_into_a_later_cycle(_package(cycle, include_unapproved=True), staff["xia"])
    assert not result.imported
    assert "not approved when the package was exported" in result.refused[0].refused

    # The same table approved, then its file changed inside the package after the export.
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for person in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[person], report=report)
    original = zipfile.ZipFile(io.BytesIO(_package(cycle)))
    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == FILE:
                data = _package_table_with_an_extra_row(data)
            archive.writestr(info.filename, data)
    result = _import_into_a_later_cycle(changed.getvalue(), staff["xia"])
    assert not result.imported
    assert "changed after the export" in result.refused[0].refused


def _package_table_with_an_extra_row(data: bytes) -> bytes:
    book = load_workbook(io.BytesIO(data))
    book.active.append(["2023000099", "冒名", "男", "药学", "100701", "境内", "2023", 2023])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
