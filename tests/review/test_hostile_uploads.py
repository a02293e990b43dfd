"""The hostile corpus (tests/collection/excel/test_hostile_corpus.py) through the contribution
page, as 张老师 (zhang, collector of 药学院) would upload it.

Every refused file gets the page back (422, never a 500) with the reader's Chinese message;
nothing of it is stored as accepted: no Version, no accepted Upload, no rows, the contribution
unchanged. The file itself is kept as a refused Upload (with the reason, as every refusal is:
nothing uploaded is lost), and nothing else is left in the file store. Text that looks like a
formula or like markup is stored as typed and shown escaped. A control character (a NUL in a
学号) is an error on its cell and is never stored, so PostgreSQL never sees it.
"""

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import Event
from collection.excel import messages as msg
from collection.excel.reader import read_upload
from collection.models import ContributionState, Upload, UploadJob, Version
from collection.schema import Severity, catalog_schemas
from collection.services.online import online_workbook
from collection.services.uploads import findings_from_upload
from collection.services.versions import upload_rows
from tests.collection.excel.files import raw_xlsx, sheet_xml
from tests.collection.excel.hostile_files import sheet_body
from tests.collection.excel.test_hostile_corpus import REFUSED, chinese_of
from tests.collection.excel.test_reader import pattern
from tests.review.conftest import TABLE, student

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BY_NAME = {case.name: case for case in REFUSED}
# The file over the size limit never reaches the reader; the ones that only check_upload sees in
# the corpus would abort the test run if a regression let them reach calamine.
INLINE = [c for c in REFUSED if c.name != "more than 20 MB" and not c.safety_only]


def post(client, contribution, content, name):
    url = reverse("review:contribution_upload", args=[contribution.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def kept_files() -> set[str]:
    """The files the database keeps: the refused uploads' own, and their jobs'."""
    return {u.file.name for u in Upload.objects.all()} | {
        j.file.name for j in UploadJob.objects.all()
    }


def assert_nothing_accepted(contribution):
    assert not Version.objects.exists()
    assert not Upload.objects.filter(status=Upload.Status.ACCEPTED).exists()
    for upload in Upload.objects.all():
        assert bytes(upload.rows_blob) == b"" and bytes(upload.findings_blob) == b""
        assert upload.row_count == 0
    contribution.refresh_from_db()
    assert contribution.current_version is None
    assert contribution.state == ContributionState.DRAFTING


def test_every_refused_file_gets_its_chinese_message_and_nothing_is_accepted(
    client, staff, pharmacy, settings
):
    client.force_login(staff["zhang"])
    for number, case in enumerate(INLINE, start=1):
        response = post(client, pharmacy, case.build(), case.filename)
        assert response.status_code == 422, case.name
        refused = Upload.objects.order_by("-pk").first()
        assert Upload.objects.count() == number, case.name
        assert refused.status == Upload.Status.REJECTED, case.name
        with translation.override("zh-hans"):
            assert pattern(case.refused).fullmatch(refused.reason), (case.name, refused.reason)
        assert CHINESE.search(chinese_of(case.refused, refused.reason)), case.name
        assert response.context["upload_form"].errors["file"] == [refused.reason], case.name
        assert escape(refused.reason) in response.content.decode(), case.name
        assert_nothing_accepted(pharmacy)
    assert stored_files(settings) == kept_files()


@pytest.fixture
def small_inline_limit(settings):
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100  # every file goes through an UploadJob


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "name", ["zip bomb", "XML external entity", "HTML page renamed .xls (old systems' export)"]
)
def test_a_hostile_file_checked_in_a_background_job_fails_with_the_message(
    client, staff, pharmacy, settings, small_inline_limit, name
):
    case = BY_NAME[name]
    client.force_login(staff["zhang"])
    response = post(client, pharmacy, case.build(), case.filename)
    assert response.status_code == 422
    job = UploadJob.objects.get()
    assert (job.state, job.stage) == (UploadJob.State.FAILED, "refused")
    with translation.override("zh-hans"):
        assert pattern(case.refused).fullmatch(job.message), job.message
    assert escape(job.message) in response.content.decode()
    assert_nothing_accepted(pharmacy)
    assert stored_files(settings) == kept_files()


def test_a_file_over_the_size_limit_is_refused_before_anything_is_stored(
    client, staff, pharmacy, settings
):
    client.force_login(staff["zhang"])
    response = post(client, pharmacy, BY_NAME["more than 20 MB"].build(), "名单.xlsx")
    assert response.status_code == 422
    (error,) = response.context["upload_form"].errors["file"]
    assert CHINESE.search(error) and "20 MB" in error
    assert not Upload.objects.exists() and not UploadJob.objects.exists()
    assert_nothing_accepted(pharmacy)
    assert stored_files(settings) == set()


FORMULA = "=cmd|' /C calc'!A0"
MARKUP = '<img src=x onerror="alert(1)">'


def test_formula_and_markup_text_is_stored_as_typed_and_shown_escaped(client, staff, pharmacy):
    rows = [student("2023000001", MARKUP), student("2023000002", "+1+1")]
    rows[1][2] = FORMULA  # 性别: not a code, so the page quotes the value in a finding
    content = raw_xlsx(sheet_xml(sheet_body([catalog_schemas()[TABLE].headers, *rows])))  # text
    client.force_login(staff["zhang"])
    assert post(client, pharmacy, content, "名单.xlsx").status_code == 302
    version = Version.objects.get()
    _headers, stored = upload_rows(version.upload)
    assert [r[:3] for r in stored] == [
        ["2023000001", MARKUP, "男"],
        ["2023000002", "+1+1", FORMULA],
    ]
    detail = client.get(reverse("review:contribution_detail", args=[pharmacy.pk]))
    rows_page = client.get(reverse("review:contribution_rows", args=[pharmacy.pk]))
    for page in (detail.content.decode(), rows_page.content.decode()):
        assert "<img src=x" not in page
        assert escape(FORMULA) in page
    assert escape(MARKUP) in rows_page.content.decode()
    # The annotated workbook writes the values back as text, never as formulas.
    url = reverse("review:version_annotated", args=[pharmacy.pk, version.number])
    book = openpyxl.load_workbook(io.BytesIO(client.get(url).content))
    cells = [c for sheet in book.worksheets for r in sheet.iter_rows() for c in r]
    quoted = [c for c in cells if c.value == FORMULA]
    assert quoted and all(c.data_type == "s" for c in quoted)


def test_a_nul_in_an_id_is_an_error_on_its_cell_and_never_stored(client, staff, pharmacy):
    """Excel's escape _x0000_ in a 学号 and an ESC in a name: the file becomes a version with an
    error on each cell (so it cannot be submitted), the values are stored without them, and the
    pages and an online deletion of the row work (PostgreSQL refuses a NUL in text and JSON)."""
    rows = [student("2023_x0000_000001"), student("2023000002", "王\x1b芳")]
    content = raw_xlsx(sheet_xml(sheet_body([catalog_schemas()[TABLE].headers, *rows])))
    client.force_login(staff["zhang"])
    assert post(client, pharmacy, content, "名单.xlsx").status_code == 302
    version = Version.objects.get()
    _headers, stored = upload_rows(version.upload)
    assert [r[:2] for r in stored] == [["2023000001", "李明"], ["2023000002", "王芳"]]
    found = [f for f in findings_from_upload(version.upload) if f.rule == "control_char"]
    assert [(f.row, f.column, f.severity) for f in found] == [
        (2, "学号", Severity.ERROR),
        (3, "学生姓名", Severity.ERROR),
    ]
    assert "单元格 A2（“学号”）含有不可见的控制字符（NUL）" in found[0].message
    for name in ("contribution_detail", "contribution_rows"):
        page = client.get(reverse(f"review:{name}", args=[pharmacy.pk]))
        assert page.status_code == 200
        assert "\x00" not in page.content.decode() and "\x1b" not in page.content.decode()
    assert "含有不可见的控制字符" in page.content.decode()
    delete = reverse("review:contribution_row_delete", args=[pharmacy.pk, 1])
    assert client.post(delete, {"version": version.number}).status_code == 302
    assert Version.objects.count() == 2
    assert all("\\u0000" not in json.dumps(e.data) for e in Event.objects.all())


def test_an_online_edit_of_rows_holding_a_control_character_gets_the_same_finding():
    """Rows stored before control characters were removed go through the online workbook
    (which writes them as Excel's _xHHHH_ escape) and get the finding an upload gets."""
    schema = catalog_schemas()[TABLE]
    rows = [student("2023\x00000001"), student("2023000002", "王\x1b芳")]
    online = online_workbook(schema, rows, cycle_year=2026, spec_version=schema.spec_version)
    uploaded = raw_xlsx(sheet_xml(sheet_body([schema.headers, *rows])))
    with translation.override("zh-hans"):
        read = [read_upload(content, "名单.xlsx", schema) for content in (online, uploaded)]
    assert read[0].rows == read[1].rows
    assert [r[:2] for r in read[0].rows] == [["2023000001", "李明"], ["2023000002", "王芳"]]
    spots = [[(f.rule, f.row, f.column, f.message) for f in sheet.findings] for sheet in read]
    assert spots[0] == spots[1]
    with translation.override("zh-hans"):
        assert [pattern(msg.CONTROL_CHAR).fullmatch(m) is not None for *_, m in spots[0]] == [
            True,
            True,
        ]
