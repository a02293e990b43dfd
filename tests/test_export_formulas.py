# ruff: noqa: F811  (test arguments name the fixtures imported from tests/review/conftest.py)
"""Formula-like text in every workbook caiji writes stays text, exactly as typed (docs/security.md,
"Formulas in the workbooks caiji writes").

Each test puts hostile values (=HYPERLINK(…), +cmd, -1+1, @SUM(1), and a leading tab where the
data keeps one) into what one export writes, downloads the workbook through its URL (or the
command), and checks that no cell is a formula and that each value reads back unchanged with
Excel's quote prefix. The sheets that the office exports and imports again (units, people,
分工表) must also come back from a round trip unchanged.

Personas: tests/conftest.py; the published 表1-6 breakdown: tests/review/conftest.py (教务处
responsible, 药学院 assisting).
"""

import io
import zipfile

import pytest
import xlsxwriter
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts import services
from accounts.audit import event_record
from accounts.models import User
from collection.models import Assignment, CodeList, TableSpec
from collection.schema import catalog_schemas
from collection.selectors import _schema_cache, tables_in_scope
from collection.services.assignments import assignment_set
from collection.services.versions import version_create
from review import workflow
from tests.review.conftest import (  # noqa: F401 (fixtures)
    TABLE,
    academic_staff,
    assignment,
    cycle,
    pharmacy,
    report,
    staff,
    student,
)

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example","点我")'
HOSTILE = [LINK, "+cmd", "-1+1", "@SUM(1)"]
TAB = "\t=1+1"  # OWASP: a leading tab (or CR) counts too


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Specs are renamed here and primary keys are reused between tests."""
    _schema_cache.clear()
    yield
    _schema_cache.clear()


def cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def assert_text_as_typed(content: bytes, values: list[str]) -> None:
    """No formula anywhere; each value is a text cell with the quote prefix, unchanged."""
    found = cells(content)
    assert [(c.coordinate, c.value) for c in found if c.data_type == "f"] == []
    text = {c.value: c for c in found if isinstance(c.value, str)}
    for value in values:
        assert value in text, value
        assert text[value].data_type == "s" and text[value].quotePrefix, value


def office_upload(client, url: str, content: bytes):
    file = io.BytesIO(content)
    file.name = "sheet.xlsx"
    return client.post(url, {"file": file})


# The office's sheets: exported, edited and imported again ---------------------------------------


def test_people_sheet(client_for, people):
    for key, name in zip(("zhang", "li", "wang", "chen"), HOSTILE, strict=True):
        person = people[key]
        services.person_update(actor=None, person=person, name=name, unit=person.unit)
    client = client_for("xia")
    exported = client.get(reverse("accounts:sheet_export", args=["people"])).content
    assert_text_as_typed(exported, HOSTILE)

    preview = office_upload(client, reverse("accounts:sheet_import", args=["people"]), exported)
    assert preview.status_code == 200, preview.context["problems"]
    client.post(
        reverse("accounts:sheet_import_confirm", args=["people"]),
        {"token": preview.context["token"]},
    )
    names = User.objects.filter(username__in=["200301", "200302", "200303", "200304"])
    assert sorted(names.values_list("name", flat=True)) == sorted(HOSTILE)


def test_units_sheet(client_for, units):
    for unit, name in zip(units.values(), HOSTILE, strict=True):
        services.unit_update(
            actor=None, unit=unit, code=unit.code, name=name, kind=unit.kind, active=True
        )
    client = client_for("xia")
    exported = client.get(reverse("accounts:sheet_export", args=["units"])).content
    assert_text_as_typed(exported, HOSTILE)

    preview = office_upload(client, reverse("accounts:sheet_import", args=["units"]), exported)
    assert preview.status_code == 200, preview.context["problems"]
    assert preview.context["totals"]["skip"] == len(units)  # nothing would change


def test_breakdown_sheet(client_for, cycle, units, staff):
    notes = ["=见附件", "+1 人", "-与去年相同", "@教务处"]
    nursing = units["nursing"]
    services.unit_update(
        actor=None, unit=nursing, code=nursing.code, name=LINK, kind=nursing.kind, active=True
    )
    for table, note in zip(cycle.tables.order_by("position")[:4], notes, strict=True):
        assignment_set(
            actor=staff["xia"], cycle=cycle, table=table, responsible_unit=nursing, notes=note
        )
    client = client_for("xia")
    exported = client.get(reverse("collection:breakdown_export", args=[cycle.year])).content
    assert_text_as_typed(exported, [LINK, *notes])

    url = reverse("collection:breakdown_import", args=[cycle.year])
    preview = office_upload(client, url, exported)
    assert preview.context["problems"] == []
    # Every row of the sheet (the tables in scope: no supplementary set is ticked) came back
    # unchanged: the notes read back as typed.
    assert preview.context["totals"]["skip"] == tables_in_scope(cycle).count()
    assert sorted(Assignment.objects.values_list("notes", flat=True)) == sorted(notes)


# Read-only reports ------------------------------------------------------------------------------


def test_audit_trail(client_for, people):
    for reason in [*HOSTILE, TAB]:
        event_record(actor=people["xia"], action="unit.update", obj=people["zhang"], reason=reason)
    response = client_for("xia").get(reverse("accounts:audit_export"), {"actor": "101206"})
    assert_text_as_typed(response.content, [*HOSTILE, TAB])


def test_completeness(client, staff, units, cycle, assignment):
    pharmacy_unit = units["pharmacy"]
    services.unit_update(
        actor=None,
        unit=pharmacy_unit,
        code=pharmacy_unit.code,
        name=LINK,
        kind=pharmacy_unit.kind,
        active=True,
    )
    TableSpec.objects.filter(cycle=cycle, code=TABLE).update(name="+cmd", category="-1+1")
    other = cycle.tables.exclude(code=TABLE).first()
    TableSpec.objects.filter(pk=other.pk).update(name="@SUM(1)")
    client.force_login(staff["xia"])
    response = client.get(reverse("review:completeness_export", args=[cycle.year]))
    assert_text_as_typed(response.content, HOSTILE)


def test_dashboard_report(client_for, units, cycle, assignment):
    academic, pharmacy_unit = units["academic"], units["pharmacy"]
    for unit, name in ((academic, LINK), (pharmacy_unit, "http://evil.example/x")):
        services.unit_update(
            actor=None, unit=unit, code=unit.code, name=name, kind=unit.kind, active=True
        )
    TableSpec.objects.filter(cycle=cycle, code=TABLE).update(name="+cmd", category="-1+1")
    response = client_for("xia").get(reverse("review:dashboard_export", args=[cycle.year]))
    assert_text_as_typed(response.content, [LINK, "+cmd", "-1+1"])
    # xlsxwriter's write() would also have made the address a live link.
    assert [c.coordinate for c in cells(response.content) if c.hyperlink] == []


def test_export_package(cycle, report, staff, tmp_path):
    """The platform's table file and 汇总.xlsx, as `manage.py export_package` writes them."""
    table = cycle.tables.get(code=TABLE)
    headers = [f.name for f in table.fields.order_by("position")]
    rows = [student(f"202300000{i}", name) for i, name in enumerate([*HOSTILE, TAB], start=1)]
    workflow.table_report_import_approved(actor=None, report=report, headers=headers, rows=rows)
    other = cycle.tables.exclude(code=TABLE).first()
    TableSpec.objects.filter(pk=other.pk).update(name=LINK)  # listed among the tables left out
    out = tmp_path / "2026.zip"
    call_command("export_package", cycle=cycle.year, out=str(out), stdout=io.StringIO())
    archive = zipfile.ZipFile(out)
    platform_file = next(n for n in archive.namelist() if n.startswith(TABLE))
    assert_text_as_typed(archive.read(platform_file), [*HOSTILE, TAB])
    assert_text_as_typed(archive.read("汇总.xlsx"), [LINK])


# Workbooks built for collectors -----------------------------------------------------------------


def test_template(client_for, cycle):
    table = cycle.tables.get(code=TABLE)
    field = table.fields.exclude(code_list=None).order_by("position").first()
    # Long enough to go to the hidden code-list sheet instead of the dropdown itself.
    padding = [f"代码{i:03d}" for i in range(60)]
    CodeList.objects.filter(pk=field.code_list_id).update(values=[*HOSTILE, *padding])
    table.fields.filter(position=0).update(name="@学号")
    url = reverse("collection:table_template", args=[cycle.year, TABLE])
    response = client_for("xia").get(url)
    assert_text_as_typed(response.content, [*HOSTILE, "@学号"])


def typed_roster(rows: list[list[str]]) -> bytes:
    """表1-6 as a collector types it: every value a text cell (openpyxl, as in
    tests/review/conftest.py, would write "=…" as a formula without a result)."""
    schema = catalog_schemas()[TABLE]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(schema.sheet_name)
    for r, row in enumerate([schema.headers, *rows]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


def test_annotated_copy_of_an_upload(client_for, staff, pharmacy):
    rows = [student(f"202300000{i}", name) for i, name in enumerate(HOSTILE, start=1)]
    version = version_create(
        actor=staff["zhang"],
        contribution=pharmacy,
        content=typed_roster(rows),
        filename="名单.xlsx",
    )
    url = reverse("review:version_annotated", args=[pharmacy.pk, version.number])
    response = client_for("zhang").get(url)
    assert response.status_code == 200
    assert_text_as_typed(response.content, HOSTILE)
