"""Remarks of a return on the contribution page and in the annotated workbook; a version's files.

张老师 (zhang) collects for 药学院; 李老师 (li) reviews it and returns it with a remark on a cell;
赵老师 (zhao) collects for 护理学院 and gets 404 on 药学院's files; 孙老师 (sun) second-reviews
for 教务处, the responsible unit of 表1-6, and may download them.
"""

import hashlib
import io

import openpyxl
import pytest
from django.urls import reverse

from review import workflow
from tests.review.conftest import PHARMACY_ROWS, upload

pytestmark = pytest.mark.django_db

# The roster has a title row and the header in row 2, so 李明 (2023000001) is in row 3.
REMARK = {"row": 3, "column": "学生姓名", "text": "姓名与学籍系统不一致，请核对。"}


@pytest.fixture
def returned(staff, pharmacy):
    """Version 1 submitted and returned by 李老师 with a remark on a cell and one on a row."""
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, name="第一版.xlsx")
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    workflow.contribution_return(
        actor=staff["li"],
        contribution=pharmacy,
        reason="有两处需要核对。",
        remarks=[REMARK, {"row": 4, "column": "", "text": "这一行是否重复？"}],
    )
    return version


def page_of(client, contribution):
    return client.get(reverse("review:contribution_detail", args=[contribution.pk]))


def test_the_remarks_show_at_their_cells_in_the_findings_and_at_the_top_while_drafting(
    client_for, pharmacy, returned
):
    page = page_of(client_for("zhang"), pharmacy)
    entries = [item.remark for item in page.context["findings"] if item.remark]
    assert [(e.row, e.column, e.column_letter, e.value, e.text) for e in entries] == [
        (3, "学生姓名", "B", "李明", REMARK["text"]),
        (4, "", "", "", "这一行是否重复？"),
    ]
    html = page.content.decode()
    assert html.count('data-testid="remark"') == 2
    assert 'data-testid="remarks"' in html  # the block near the top while drafting
    assert "有两处需要核对。" in html


def test_the_remarks_block_goes_once_the_contribution_is_submitted_again(
    client_for, staff, pharmacy, returned
):
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    page = page_of(client_for("li"), pharmacy)
    assert 'data-testid="remarks"' not in page.content.decode()
    assert len([item for item in page.context["findings"] if item.remark]) == 2  # still listed


def test_the_annotated_workbook_carries_the_remarks_as_comments(client_for, pharmacy, returned):
    url = reverse("review:version_annotated", args=[pharmacy.pk, 1])
    response = client_for("zhang").get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    data = book[book.sheetnames[1]]
    assert data["B3"].value == "李明"
    assert "【退回意见】" in data["B3"].comment.text
    assert REMARK["text"] in data["B3"].comment.text and "李老师" in data["B3"].comment.text
    assert data["B3"].fill.fgColor.rgb == "FFE4DFEC"
    assert "这一行是否重复？" in data["A4"].comment.text
    summary = [c.value for row in book["校验结果"].iter_rows() for c in row]
    assert "退回意见" in summary and REMARK["text"] + "（李老师）" in summary


def test_remarks_belong_to_the_version_they_were_given_on(client_for, staff, pharmacy, returned):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS, name="第二版.xlsx")
    client = client_for("zhang")
    response = client.get(reverse("review:version_annotated", args=[pharmacy.pk, 2]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book[book.sheetnames[1]]["B3"].comment is None


def test_every_version_lists_its_hash_and_its_original_file_downloads(
    client_for, staff, pharmacy, returned
):
    client = client_for("sun")  # the responsible unit's second reviewer may see it
    html = page_of(client, pharmacy).content.decode()
    sha = returned.upload.sha256
    file_url = reverse("review:version_file", args=[pharmacy.pk, 1])
    assert sha[:12] in html and file_url in html
    response = client.get(file_url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == sha
    assert "filename" in response["Content-Disposition"]


def test_outsiders_get_404_on_the_files_of_another_unit(client_for, pharmacy, returned):
    zhao = client_for("zhao")
    for name in ("version_file", "version_annotated"):
        assert zhao.get(reverse(f"review:{name}", args=[pharmacy.pk, 1])).status_code == 404
    zhang = client_for("zhang")
    assert zhang.get(reverse("review:version_file", args=[pharmacy.pk, 9])).status_code == 404
    url = reverse("review:version_annotated", args=[pharmacy.pk, 1])
    assert zhang.post(url).status_code == 405
