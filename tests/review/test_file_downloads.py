"""Stored files are served as the kind caiji verified, never as the type their name suggests:
always as a download, with nosniff and the name in RFC 5987 form.

张老师 (zhang) collects for 药学院 and uploads; 李老师 (li) reviews for it and downloads;
夏主任 (xia) is the office and attaches files to announcements.
"""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.models import Upload
from collection.services import announcements as notices
from tests.review.conftest import PHARMACY_ROWS, roster, upload

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OCTET = "application/octet-stream"


def _served_safely(response, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_version_named_html_is_served_as_the_workbook_it_is(client_for, staff, pharmacy):
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, name="x.html")
    response = client_for("li").get(
        reverse("review:version_file", args=[pharmacy.pk, version.number])
    )
    _served_safely(response, XLSX)
    assert "text/html" not in response["Content-Type"]
    # Saved under a name whose extension is the verified kind's, not “.html”.
    assert 'filename="x.xlsx"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == version.upload.file.open("rb").read()


def test_a_chinese_file_name_is_kept_in_rfc_5987_form(client_for, staff, pharmacy):
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, name="本科生名单.xlsx")
    response = client_for("zhang").get(
        reverse("review:version_file", args=[pharmacy.pk, version.number])
    )
    _served_safely(response, XLSX)
    assert f"filename*=utf-8''{quote('本科生名单.xlsx')}" in response["Content-Disposition"]


def test_annotated_workbooks_are_downloads_with_nosniff(client_for, staff, pharmacy):
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, name="x.html")
    response = client_for("li").get(
        reverse("review:version_annotated", args=[pharmacy.pk, version.number])
    )
    _served_safely(response, XLSX)
    file = io.BytesIO(roster(PHARMACY_ROWS))
    file.name = "x.html"
    client = client_for("zhang")
    client.post(reverse("collection:check"), {"table": "表1-6", "file": file})
    checked = Upload.objects.get(purpose=Upload.Purpose.CHECK)
    _served_safely(client.get(reverse("collection:check_annotated", args=[checked.pk])), XLSX)


@pytest.fixture
def announcement(people, units):
    return notices.announcement_save(
        actor=people["xia"], title="培训材料", body="", all_units=True, units=[]
    )


@pytest.mark.parametrize(
    ("name", "content", "served_as"),
    [
        ("培训.pdf", b"%PDF-1.4 training", "application/pdf"),
        # Named as a PDF but a web page inside: not what the name says, so no type is claimed.
        ("通知.pdf", b"<html><script>alert(1)</script></html>", OCTET),
        ("样式.css", b"body{}", OCTET),  # not on the list of types served as such
        ("数据.json", b"{}", OCTET),
    ],
)
def test_announcement_attachments_are_served_from_a_fixed_list_of_verified_types(
    client_for, people, announcement, name, content, served_as
):
    attachment = notices.attachment_add(
        actor=people["xia"], announcement=announcement, file=SimpleUploadedFile(name, content)
    )
    response = client_for("xia").get(
        reverse("collection:announcement_file", args=[announcement.pk, attachment.pk])
    )
    _served_safely(response, served_as)
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
