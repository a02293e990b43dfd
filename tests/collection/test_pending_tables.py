"""The catalog's provenance on the pages, and tables whose columns are not public (字段待确认).

The 2026 cycle is loaded from the catalog at the 2024 evidence: 表2-5 is 固定资产 (表2-6 in
2019), 表2-4 keeps the 2019 columns of its predecessor until this year's template confirms them
(provisional), 表5-3 本科在线课程情况 is new and has no public columns (unknown). Everyone signed in
reads the pages (张老师 collects for 药学院); a file uploaded for 表5-3 is refused, stored as
refused, and no version is made.
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Event
from collection.models import Contribution, Upload, Version
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.versions import version_create

pytestmark = pytest.mark.django_db


def page(client, cycle, code=None):
    url = (
        reverse("collection:table_detail", args=[cycle.year, code])
        if code
        else reverse("review:cycle_detail", args=[cycle.year])
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_table_list_shows_confidence_source_and_the_2019_number(client_for, cycle):
    html = page(client_for("zhang"), cycle)
    assert "2019 年编号为表2-6" in html  # 表2-5 固定资产
    assert "2019 年编号为表7-2" in html  # 表7-1 教学质量评估统计表
    renumbered = cycle.tables.exclude(previous_code="").exclude(previous_code=F("code"))
    assert html.count('data-testid="previous-code"') == renumbered.count() == 19
    assert "近年资料引用" in html and "2019 年后未见" in html
    assert "2024 年学校端采集系统引用（GitHub Kariya-Eric/DataCollection）" in html
    # 字段待确认: the four new tables (no columns) and the five provisional ones of the main set.
    assert html.count('data-testid="fields-pending"') == 9
    assert "字段待确认" in html


def test_a_table_page_says_where_it_comes_from(client_for, cycle):
    client = client_for("zhang")
    assets = page(client, cycle, "表2-5")
    assert "固定资产" in assets and "2019 年编号为表2-6" in assets
    assert "来源：</span>2024 年学校端采集系统引用（GitHub Kariya-Eric/DataCollection）" in assets
    assert 'data-testid="fields-pending-note"' not in assets
    online = page(client, cycle, "表5-3")
    assert "字段待确认：国家数据平台不公开本表的字段，本表尚无列，无法上传数据" in online
    assert "2019 年编号" not in online
    bases = page(client, cycle, "表2-4")
    assert "字段待确认：这些列沿用 2019 年表" in bases
    # Prerequisites are what the rules read: 表1-6's 专业代码 come from 表1-4-1 and 表1-4-2.
    assert "依赖：表1-4-1、表1-4-2" in page(client, cycle, "表1-6")


def workbook_with(headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_upload_to_a_table_without_columns_is_refused(client_for, people, units, cycle):
    assignment = assignment_set(
        actor=people["xia"],
        cycle=cycle,
        table=cycle.tables.get(code="表5-3"),
        responsible_unit=units["pharmacy"],
    )
    breakdown_publish(actor=people["xia"], cycle=cycle)
    contribution = Contribution.objects.get(assignment=assignment)
    content = workbook_with(["课程名称", "平台"], [["药理学", "中国大学MOOC"]])
    with pytest.raises(ValidationError, match="字段待确认"):
        version_create(
            actor=people["zhang"], contribution=contribution, content=content, filename="在线.xlsx"
        )
    upload = Upload.objects.get(table_code="表5-3")
    assert upload.status == Upload.Status.REJECTED and not upload.rows_blob
    assert not Version.objects.filter(contribution=contribution).exists()
    contribution.refresh_from_db()
    assert contribution.current_version is None
    # Through the page: the same Chinese message, still nothing accepted.
    response = client_for("zhang").post(
        reverse("review:contribution_upload", args=[contribution.pk]),
        {"file": SimpleUploadedFile("在线.xlsx", content)},
        follow=True,
    )
    assert "表5-3 本科在线课程情况 的字段待确认" in response.content.decode()
    assert "请办公室先导入本年度从国家数据平台下载的本表空白模板" in response.content.decode()
    assert not Version.objects.filter(contribution=contribution).exists()
    assert not Event.objects.filter(action="version.create").exists()
