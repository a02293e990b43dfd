"""The export in the platform's own template (issue 13, item 6).

表1-6 本科生基本情况 is approved through the whole workflow by the personas of
tests/review/conftest.py. The office has loaded the platform's blank template for it: the real
2018 template “表1-7 本科生基本情况.xls” (sheet “ 本科生基本情况”, a leading space; the table's
code then was 表1-7, its columns are today's 表1-6) or a generated .xlsx with a title row, a
hidden code-list sheet and a dropdown. The package's file for the table must be that template,
filled: read back, everything outside the data cells is the template's, the data cells are the
approved rows. Without a loaded template the table keeps caiji's layout, and says so.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import openpyxl
import pytest
import xlrd
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl.worksheet.datavalidation import DataValidation

from collection.excel.templatefill import TemplateSource, template_headers
from collection.models import TableReport
from collection.models_templates import TemplateFile
from collection.sampledata import sample_rows
from collection.selectors import table_schema
from collection.services.assignments import (
    assignment_set,
    breakdown_publish,
    cycle_supplements_set,
)
from collection.services.uploads import check_file, unpack
from collection.specdiff import header_key
from review import workflow
from review.export import package_write
from tests.collection.excel.test_templatefill import (
    REAL,
    TEMPLATES_2018,
    assert_xls_same_outside_data,
    assert_xlsx_same_outside_data,
)
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, TABLE

pytestmark = pytest.mark.django_db
TEMPLATE_2018 = TEMPLATES_2018 / "表1-7 本科生基本情况.xls"
SHEET = " 本科生基本情况"
XLS_FILE = "表1-6 本科生基本情况.xls"
XLSX_FILE = "表1-6 本科生基本情况.xlsx"


@pytest.fixture
def approved(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for person in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[person], report=report)
    report.refresh_from_db()
    return report


def load_template(
    cycle,
    content: bytes,
    filename: str,
    sheet: str,
    headers: list[str],
    header_row: int = 1,
    code: str = TABLE,
) -> TemplateFile:
    """The office loaded ``content`` as the template of table ``code`` (the pack import does
    this)."""
    template = TemplateFile(
        table_code=code,
        filename=filename,
        kind=filename.rsplit(".", 1)[-1],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        sheet_name=sheet,
        header_row=header_row,
        headers=headers,
        uploaded_at=timezone.now(),
    )
    template.file.save(filename, ContentFile(content), save=False)
    template.save()
    cycle.tables.filter(code=code).update(template=template)
    return template


@pytest.fixture
def xls_template(cycle):
    content = TEMPLATE_2018.read_bytes()
    headers = xlrd.open_workbook(file_contents=content).sheet_by_name(SHEET).row_values(0)
    spec = table_schema(cycle.tables.get(code=TABLE))
    # The 2018 code differs; the columns are today's 表1-6 (matched as the platform writes them).
    assert [header_key(h) for h in headers] == [header_key(h) for h in spec.headers]
    return load_template(cycle, content, TEMPLATE_2018.name, SHEET, headers)


def export(cycle, **kwargs):
    out = io.BytesIO()
    package = package_write(cycle, out, **kwargs)
    return zipfile.ZipFile(io.BytesIO(out.getvalue())), package


def approved_rows(report) -> list[list[str]]:
    data = unpack(report.merged_blob)
    columns = len(PHARMACY_ROWS[0])  # without 来源单位
    return [row[:columns] for row in data["rows"]]


def test_a_loaded_xls_template_is_the_file_exported(cycle, approved, xls_template):
    archive, _package = export(cycle)
    assert XLS_FILE in archive.namelist() and XLSX_FILE not in archive.namelist()
    content = archive.read(XLS_FILE)
    manifest = json.loads(archive.read("manifest.json"))
    [table] = manifest["tables"]
    assert table["layout"] == "platform-template" and table["file"] == XLS_FILE
    assert table["template"]["sha256"] == hashlib.sha256(TEMPLATE_2018.read_bytes()).hexdigest()
    assert table["template"]["file"] == TEMPLATE_2018.name and table["sheet"] == SHEET
    assert table["sha256"] == hashlib.sha256(content).hexdigest() and table["warnings"] == []
    # Everything outside the data cells is the template's: .xls, sheet name, header row.
    assert_xls_same_outside_data(TEMPLATE_2018.read_bytes(), content, SHEET, 1)
    sheet = xlrd.open_workbook(file_contents=content).sheet_by_name(SHEET)
    assert sorted(sheet.row_values(r) for r in range(1, sheet.nrows)) == sorted(
        approved_rows(approved)
    )
    # The file reads back to exactly the approved rows, without an error.
    schema = table_schema(cycle.tables.get(code=TABLE))
    parsed, findings = check_file(schema, content, XLS_FILE, cycle.dates())
    assert not [f for f in findings if f.severity == "error"]
    assert sorted(parsed.rows) == sorted(PHARMACY_ROWS + ACADEMIC_ROWS)
    summary = openpyxl.load_workbook(io.BytesIO(archive.read("汇总.xlsx")))["汇总"]
    header = [c.value for c in summary[1]]
    assert summary.cell(2, header.index("版式") + 1).value == "按本年度国家平台模板"
    assert "1 张表按本年度国家平台模板填写" in archive.read("说明.txt").decode("utf-8-sig")


def xlsx_template_for_the_roster() -> tuple[bytes, list[str]]:
    """A generated .xlsx template: a title row, the header in row 2 without 入学年份 and with a
    column caiji has no field for, a hidden list sheet and a dropdown reading it."""
    headers = ["学号", "学生姓名", "性别", "校内专业（大类）名称", "校内专业（大类）代码"]
    headers += ["生源类别", "年级", "备注"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet["A1"] = "表1-6 本科生基本情况（时点）"
    sheet.append(headers)
    sheet.column_dimensions["A"].width = 16
    lists = book.create_sheet("hidden_list")
    lists.append(["男"])
    lists.append(["女"])
    lists.sheet_state = "hidden"
    listed = DataValidation(type="list", formula1="hidden_list!$A$1:$A$2")
    sheet.add_data_validation(listed)
    listed.add("C3:C60000")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), headers


def test_a_loaded_xlsx_template_is_filled_and_what_does_not_fit_is_said(cycle, approved):
    content, headers = xlsx_template_for_the_roster()
    load_template(cycle, content, "表1-6 本科生基本情况.xlsx", SHEET, headers, header_row=2)
    archive, package = export(cycle)
    filled = archive.read(XLSX_FILE)
    assert_xlsx_same_outside_data(content, filled, SHEET, 2)
    rows = list(openpyxl.load_workbook(io.BytesIO(filled))[SHEET].iter_rows(values_only=True))
    expected = [[*r[:7], None] for r in approved_rows(approved)]  # no 入学年份; 备注 empty
    assert sorted(list(r) for r in rows[2:]) == sorted(expected)
    [table] = json.loads(archive.read("manifest.json"))["tables"]
    assert table["layout"] == "platform-template"
    assert any("“入学年份”" in w and "未导出" in w for w in table["warnings"])
    assert any("“备注”" in w and "留空" in w for w in table["warnings"])
    assert package.warnings == table["warnings"]
    assert "入学年份" in archive.read("说明.txt").decode("utf-8-sig")


def test_without_a_template_the_table_keeps_caijis_layout_and_says_so(cycle, approved):
    archive, _package = export(cycle)
    assert XLSX_FILE in archive.namelist()
    [table] = json.loads(archive.read("manifest.json"))["tables"]
    assert table["layout"] == "caiji" and table["template"] is None
    readme = archive.read("说明.txt").decode("utf-8-sig")
    assert "1 张表未加载本年度模板，按 caiji 标准格式导出（表1-6）" in readme
    summary = openpyxl.load_workbook(io.BytesIO(archive.read("汇总.xlsx")))["汇总"]
    header = [c.value for c in summary[1]]
    assert summary.cell(2, header.index("版式") + 1).value == "caiji 标准格式：未加载本年度模板"


def test_a_template_file_that_changed_in_the_store_is_not_used(cycle, approved, xls_template):
    with open(xls_template.file.path, "wb") as handle:  # not what the office loaded
        handle.write(b"changed")
    archive, _package = export(cycle)
    assert XLSX_FILE in archive.namelist()
    [table] = json.loads(archive.read("manifest.json"))["tables"]
    assert table["layout"] == "caiji" and table["template"]["file"] == TEMPLATE_2018.name
    assert table["sheet"] == table_schema(cycle.tables.get(code=TABLE)).sheet_name
    assert "重新载入本年度模板包" in table["warnings"][0]


def test_the_export_page_says_per_table_which_layout(cycle, approved, client_for):
    client = client_for("xia")
    url = reverse("review:cycle_export", args=[2026])
    page = client.get(url).content.decode()
    assert f'data-table="{TABLE}" data-layout="caiji"' in page
    assert "caiji 标准格式：未加载本年度模板" in page
    assert "1 张表未加载本年度模板，按 caiji 标准格式导出" in page

    content = TEMPLATE_2018.read_bytes()
    load_template(cycle, content, TEMPLATE_2018.name, SHEET, [])
    page = client.get(url).content.decode()
    assert f'data-table="{TABLE}" data-layout="platform-template"' in page
    assert "按本年度国家平台模板" in page and "caiji 标准格式：未加载本年度模板" not in page


def test_a_table_too_long_for_its_xls_template_is_written_as_xlsx_and_said_so(
    cycle, report, staff, xls_template, client_for
):
    spec = table_schema(cycle.tables.get(code=TABLE))
    rows = [
        [f"2023{i:06d}", "李明", "男", "药学", "100701", "境内", "2023", "2023"]
        for i in range(65_536)
    ]
    workflow.table_report_import_approved(
        actor=staff["xia"], report=report, headers=spec.headers, rows=rows
    )
    page = client_for("xia").get(reverse("review:cycle_export", args=[2026])).content.decode()
    assert 'data-testid="export-overflow"' in page and "65536" in page and "65535" in page
    assert f'data-table="{TABLE}" data-layout="platform-template-as-xlsx"' in page

    archive, _package = export(cycle)
    assert XLSX_FILE in archive.namelist() and XLS_FILE not in archive.namelist()
    [table] = json.loads(archive.read("manifest.json"))["tables"]
    assert table["layout"] == "platform-template-as-xlsx"
    assert "超过 .xls 文件最多可容纳的 65535 行数据" in table["warnings"][0]
    book = openpyxl.load_workbook(io.BytesIO(archive.read(XLSX_FILE)), read_only=True)
    assert book.sheetnames == [SHEET]
    assert book[SHEET].max_row == 1 + len(rows)


def test_a_package_in_the_platforms_template_is_last_years_data_for_a_later_cycle(
    cycle, approved, xls_template, staff
):
    from collection.services.specs import catalog_load
    from review.yoy_import import previous_import

    out = io.BytesIO()
    package_write(cycle, out)
    later, _added = catalog_load(actor=staff["xia"], year=2028)
    result = previous_import(actor=staff["xia"], cycle=later, content=out.getvalue())
    assert result.imported, [(t.filename, t.refused) for t in result.tables]
    imported = TableReport.objects.get(assignment__cycle__year=2027, assignment__table__code=TABLE)
    columns = len(PHARMACY_ROWS[0])
    assert sorted(r[:columns] for r in unpack(imported.merged_blob)["rows"]) == sorted(
        PHARMACY_ROWS + ACADEMIC_ROWS
    )


def _table_for(cycle, filename: str, headers: list[str]):
    """The cycle's table whose columns are the template's: the one of the file's code when the
    code is still the same, else the first (the 2018 codes differ from today's)."""
    keys = sorted(header_key(h) for h in headers)
    found = [
        spec
        for spec in cycle.tables.filter(fields__isnull=False).distinct()
        if sorted(header_key(h) for h in table_schema(spec).headers) == keys
    ]
    assert found, filename
    return next(
        (
            s
            for s in found
            if filename.startswith(f"{s.code} ") or filename.startswith(f"{s.code}：")
        ),
        found[0],
    )


def test_real_templates_of_several_tables_go_out_as_the_platform_shipped_them(cycle, units, staff):
    """表1-6-1 教职工 (now 表1-5-1, sheet “ 教职工基本信息”), 表6-6-4 (sheet “data”) and the 师范
    supplement's 表SF-1 (sheet “表SF-1：学生发展成长指导教师情况”)."""
    office = staff["xia"]
    cycle = cycle_supplements_set(actor=office, cycle=cycle, supplements=["teacher_education"])
    loaded = {}
    for filename, sheet in REAL:
        content = (TEMPLATES_2018 / filename).read_bytes()
        headers = [h for _i, h in template_headers(TemplateSource("xls", content, sheet, 1))]
        spec = _table_for(cycle, filename, headers)
        load_template(cycle, content, filename, sheet, headers, code=spec.code)
        assignment_set(actor=office, cycle=cycle, table=spec, responsible_unit=units["academic"])
        loaded[spec.code] = (filename, sheet, content)
    assert sorted(loaded) == ["表1-5-1", "表6-6-4", "表SF-1"]
    breakdown_publish(actor=office, cycle=cycle)
    approved = {}
    for report in TableReport.objects.filter(assignment__cycle=cycle).select_related(
        "assignment__table"
    ):
        schema = table_schema(report.assignment.table)
        rows = sample_rows(schema, cycle.dates(), 25)
        workflow.table_report_import_approved(
            actor=office, report=report, headers=schema.headers, rows=rows
        )
        approved[schema.code] = (schema, rows)
    archive, _package = export(cycle)
    manifest = {t["code"]: t for t in json.loads(archive.read("manifest.json"))["tables"]}
    for code, (filename, sheet, content) in loaded.items():
        schema, rows = approved[code]
        table = manifest[code]
        assert table["layout"] == "platform-template" and table["file"].endswith(".xls")
        assert table["sheet"] == sheet and table["template"]["file"] == filename
        written = archive.read(table["file"])
        assert_xls_same_outside_data(content, written, sheet, 1)
        parsed, _findings = check_file(schema, written, table["file"], cycle.dates())
        assert parsed.rows == rows, code
