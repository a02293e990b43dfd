"""The 校验 page and validate_file: every finding located and explained, nothing submitted."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import Event
from collection.models import Upload
from collection.schema import catalog_schemas

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def roster(rows: list[list[object]], *, title: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = catalog_schemas()["表1-6"].sheet_name
    if title:
        sheet.append(["齐鲁医药学院2026年本科生名单"])
    sheet.append(catalog_schemas()["表1-6"].headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = ["2023000001", "李明", "男", "药学", "100701", "境内", "2023", "2023"]
ROWS = [
    GOOD,
    [
        "２０２３０００００２",
        "王芳 ",
        "女",
        "药学",
        "100701",
        "境内",
        "2023",
        "2023",
    ],  # full-width, space: fixed
    [
        "2023000003",
        "赵强",
        "未知",
        "药学",
        "100701",
        "境内",
        "2023",
        "2031",
    ],  # bad code, future year
    [
        "2023000001",
        "",
        "男",
        "药学",
        "100701",
        "境内",
        "2023",
        "2023",
    ],  # duplicate 学号, missing name
]


def post(client, content: bytes, table: str = "表1-6", name: str = "名单.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("collection:check"), {"table": table, "file": file})


def test_the_check_page_lists_every_finding_with_row_and_column(client_for, cycle):
    client = client_for("zhang")
    assert client.get(reverse("collection:check")).status_code == 200
    response = post(client, roster(ROWS))
    assert response.status_code == 200
    page = response.content.decode()
    upload = Upload.objects.get()
    assert upload.row_count == 4 and upload.status == "accepted"
    findings = {(f.row, f.column, f.rule) for f in response.context["page"]}
    assert (5, "性别", "code") in findings  # Excel row 5: title row 1, header row 2
    assert (6, "学生姓名", "required") in findings
    assert any(row == 6 and column == "学号" for row, column, _r in findings)  # duplicate key
    assert any(row == 5 and column == "入学年份" for row, column, _r in findings)
    assert not any(row in (3, 4) for row, _c, _r in findings)  # normalised rows are clean
    assert "未知" in page
    assert upload.error_count >= 4
    assert Event.objects.filter(action="upload.check", content_hash=upload.sha256).exists()


def test_findings_filter_by_severity_and_column(client_for, cycle):
    client = client_for("zhang")
    post(client, roster(ROWS))
    upload = Upload.objects.get()
    response = client.get(reverse("collection:check_result", args=[upload.pk]), {"column": "性别"})
    assert {f.column for f in response.context["page"]} == {"性别"}
    response = client.get(
        reverse("collection:check_result", args=[upload.pk]), {"severity": "hint"}
    )
    assert all(f.severity == "hint" for f in response.context["page"])


def test_annotated_workbook_marks_the_cells(client_for, cycle):
    client = client_for("zhang")
    post(client, roster(ROWS))
    upload = Upload.objects.get()
    response = client.get(reverse("collection:check_annotated", args=[upload.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "校验结果"
    data = book[book.sheetnames[1]]
    cell = data["C5"]  # 性别 of Excel row 5
    assert cell.value == "未知"
    assert cell.comment is not None and "性别" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith(("FFC7CE", "FFC7CE".lower()))


def test_someone_else_cannot_see_my_check(client_for, cycle):
    post(client_for("zhang"), roster(ROWS))
    upload = Upload.objects.get()
    other = client_for("zhao")
    assert other.get(reverse("collection:check_result", args=[upload.pk])).status_code == 404
    assert other.get(reverse("collection:check_annotated", args=[upload.pk])).status_code == 404


@pytest.mark.parametrize(
    "content, name",
    [
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "名单.xlsx"),
        (b"", "空.xlsx"),
        (b"PK\x03\x04 not really a zip", "坏.xlsx"),
    ],
)
def test_a_refused_file_gets_a_chinese_message_and_stores_no_rows(client_for, cycle, content, name):
    response = post(client_for("zhang"), content, name=name)
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors["file"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors)
    upload = Upload.objects.get()
    assert upload.status == "rejected" and upload.row_count == 0 and not bytes(upload.rows_blob)


def test_the_check_page_works_without_any_cycle(client_for, db):
    response = post(client_for("zhang"), roster([GOOD]))
    assert response.status_code == 200
    assert Upload.objects.get().cycle is None


def run_validate(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DEBUG": "1", "CAIJI_DATA_DIR": str(tmp_path / "data")})
    if not (tmp_path / "data" / "caiji.sqlite3").exists():
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
    return subprocess.run(
        [sys.executable, "manage.py", "validate_file", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_file_command_json_and_exit_codes(tmp_path):
    bad = tmp_path / "名单.xlsx"
    bad.write_bytes(roster(ROWS))
    result = run_validate("表1-6", str(bad), "--json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["table"] == "表1-6" and data["rows"] == 4
    assert {"row": 5, "column": "性别", "severity": "error"}.items() <= next(
        f for f in data["findings"] if f["column"] == "性别"
    ).items()
    assert all(
        set(f) == {"row", "column", "severity", "value", "message"} for f in data["findings"]
    )

    good = tmp_path / "good.xlsx"
    good.write_bytes(roster([GOOD]))
    result = run_validate("1-6", str(good), tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "读取 1 行" in result.stdout

    fake = tmp_path / "fake.xlsx"
    fake.write_text("<html>not excel</html>")
    result = run_validate("表1-6", str(fake), "--json", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "rejected" in json.loads(result.stdout)


def test_validate_file_text_output_matches_the_web_messages(tmp_path, client_for, cycle):
    bad = tmp_path / "名单.xlsx"
    bad.write_bytes(roster(ROWS))
    result = run_validate("表1-6", str(bad), tmp_path=tmp_path)
    web = post(client_for("zhang"), bad.read_bytes())
    for finding in web.context["page"]:
        assert finding.message in result.stdout


def test_findings_are_stored_in_chinese_even_for_an_english_page(client_for, cycle):
    client = client_for("zhang")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    post(client, roster(ROWS))
    upload = Upload.objects.get()
    from collection.services.uploads import findings_from_upload

    gender = next(f for f in findings_from_upload(upload) if f.column == "性别")
    assert "代码表" in gender.message  # reviewers read the same text, in the college's language
