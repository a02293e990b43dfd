"""Filling a contribution online: the single-record form, and fixing list rows one by one.

Personas (tests/conftest.py, tests/review/conftest.py):
- 钱老师 (qian) collects for 教务处, responsible for 表1-1 学校概况 (single record) and 表1-6;
- 张老师 (zhang) collects for 药学院, which assists: in 表1-1 it fills only the 填报人 fields;
- 李老师 (li) reviews for 药学院: sees its data, may not change it (403);
- 韩老师 (han, collection group) sees everything, changes nothing (403);
- 赵老师 (zhao) collects for 护理学院 and gets 404 on anything of 药学院.
"""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Event
from collection.models import Contribution, ContributionState, Upload, Version
from collection.schema import catalog_schemas
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.online import row_save, single_record_fill, version_rows
from collection.services.uploads import findings_from_upload
from collection.services.versions import upload_rows, version_create
from review import workflow
from tests.review.conftest import BAD_ROWS, PHARMACY_ROWS, student, upload

SINGLE = "表1-1"
HEADERS_16 = catalog_schemas()["表1-6"].headers
OWNED = ["填报人-姓名", "填报人-联系电话", "填报人-联系电子邮箱"]  # 药学院's fields of 表1-1
SCHOOL = {
    "学校名称": "齐鲁医药学院",
    "代码": "13998",
    "英文名称": "Qilu Medical University",
    "办学类型": "普通本科院校",
    "学校性质": "",
    "举办者": "",
    "主管部门": "",
    "学校网址": "https://www.qlmu.edu.cn",
    "开办本科教育年份": "2002",
    "校区名称及地址": "淄博市张店区",
    "办学指导思想-校训": "厚德 博学",
    "办学指导思想-定位与发展目标": "应用型",
}


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


@pytest.fixture
def single(cycle, units, staff):
    """表1-1 with 教务处 responsible and 药学院 filling the 填报人 fields; 表1-6 as in conftest."""
    for code, owners in ((SINGLE, {"2003": OWNED}), ("表1-6", {})):
        assignment_set(
            actor=staff["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["academic"],
            assisting_units=[units["pharmacy"]],
            field_owners=owners,
        )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    found = Contribution.objects.filter(assignment__table__code=SINGLE)
    return {c.unit.code: c for c in found}


def form_data(contribution, values, base=None):
    """POST data of the generated form: fields are f<index> in the schema's order."""
    headers = catalog_schemas()[contribution.assignment.table.code].headers
    data = {f"f{headers.index(name)}": value for name, value in values.items()}
    if base is None:
        contribution.refresh_from_db()
        base = contribution.current_version.number if contribution.current_version else 0
    data["version"] = base
    return data


def url(name, contribution, *args):
    return reverse(f"review:contribution_{name}", args=[contribution.pk, *args])


def workbook(code, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = catalog_schemas()[code].sheet_name
    sheet.append(catalog_schemas()[code].headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def messages_of(response, level=None):
    return [str(m) for m in get_messages(response.wsgi_request) if level in (None, m.level_tag)]


# Single-record tables -----------------------------------------------------------------------------


def test_the_responsible_unit_fills_its_fields_and_gets_a_checked_version(as_, single, staff):
    academic = single["1002"]
    page = as_("qian").get(url("fill", academic))
    assert page.status_code == 200
    shown = [f.label for f in page.context["form"].visible_fields()]
    assert shown == [h for h in catalog_schemas()[SINGLE].headers if h not in OWNED]
    assert page.context["others"] == OWNED

    response = as_("qian").post(url("fill", academic), form_data(academic, SCHOOL))
    assert response.status_code == 302
    assert response["Location"] == reverse("review:contribution_detail", args=[academic.pk])
    academic.refresh_from_db()
    version = academic.current_version
    assert version.number == 1
    assert version.upload.purpose == Upload.Purpose.ONLINE
    assert version.upload.filename == "在线填报-v1.xlsx"
    assert len(version.upload.sha256) == 64
    headers, rows = upload_rows(version.upload)
    assert rows == [[SCHOOL.get(h, "") for h in headers]]
    event = Event.objects.get(action="version.create")
    assert event.data["purpose"] == "online" and event.content_hash == version.content_hash
    # The three empty code fields and the 填报人 fields are required: findings, shown on the page.
    assert version.error_count >= 3
    detail = as_("qian").get(response["Location"])
    assert "学校性质" in detail.content.decode()


def test_the_same_data_uploaded_as_a_file_hashes_the_same(single, staff):
    academic = single["1002"]
    typed = {**SCHOOL, "代码": "１３９９８", "开办本科教育年份": "2002年"}  # as people type
    online = single_record_fill(actor=staff["qian"], contribution=academic, values=typed, base=0)
    headers = catalog_schemas()[SINGLE].headers
    # In the file the year is a number and the code has half-width digits.
    row = [2002 if h == "开办本科教育年份" else SCHOOL.get(h, "") for h in headers]
    uploaded = version_create(
        actor=staff["qian"],
        contribution=academic,
        content=workbook(SINGLE, [row]),
        filename="学校概况.xlsx",
    )
    assert uploaded.upload.purpose == Upload.Purpose.CONTRIBUTION
    assert online.content_hash == uploaded.content_hash
    assert online.upload.sha256 != uploaded.upload.sha256
    assert online.error_count == uploaded.error_count


def test_an_assisting_unit_sees_and_saves_only_its_own_fields(as_, single, staff):
    pharmacy = single["2003"]
    page = as_("zhang").get(url("fill", pharmacy))
    assert [f.label for f in page.context["form"].visible_fields()] == OWNED
    values = {"填报人-姓名": "张老师", "学校名称": "别的学校"}  # the second is not its field
    response = as_("zhang").post(url("fill", pharmacy), form_data(pharmacy, values))
    assert response.status_code == 302
    pharmacy.refresh_from_db()
    headers, rows = upload_rows(pharmacy.current_version.upload)
    assert rows[0][headers.index("填报人-姓名")] == "张老师"
    assert rows[0][headers.index("学校名称")] == ""  # the foreign field was ignored
    # The service itself refuses a field the unit does not own, and nothing changes.
    with pytest.raises(PermissionDenied):
        single_record_fill(
            actor=staff["zhang"], contribution=pharmacy, values={"学校名称": "x"}, base=1
        )
    assert pharmacy.versions.count() == 1


def test_only_the_units_collector_fills_online(as_, single):
    pharmacy = single["2003"]
    for key in ("li", "han", "qian"):  # reviewer, collection group, the other unit's collector
        client = as_(key)
        assert client.get(url("fill", pharmacy)).status_code == 403
        response = client.post(url("fill", pharmacy), form_data(pharmacy, {OWNED[0]: "x"}))
        assert response.status_code == 403
    assert not Version.objects.exists()


def test_bad_values_become_findings_not_errors_of_the_page(as_, single):
    academic = single["1002"]
    bad = {**SCHOOL, "开办本科教育年份": "两千零二", "学校网址": "qlmu", "办学类型": "不存在"}
    response = as_("qian").post(url("fill", academic), form_data(academic, bad))
    assert response.status_code == 302
    academic.refresh_from_db()
    columns = {f.column for f in findings_from_upload(academic.current_version.upload)}
    assert {"开办本科教育年份", "学校网址", "办学类型"} <= columns
    # The form shows the stored value again, even one outside the code list,
    # and each finding under its field.
    page = as_("qian").get(url("fill", academic))
    assert "不存在" in page.content.decode()
    field = page.context["form"]["f8"]  # 开办本科教育年份
    assert [f.column for f in field.field.caiji_findings] == ["开办本科教育年份"]
    assert 'data-testid="field-finding"' in page.content.decode()


def test_a_stale_form_changes_nothing(as_, single, staff):
    academic = single["1002"]
    single_record_fill(actor=staff["qian"], contribution=academic, values=SCHOOL, base=0)
    response = as_("qian").post(url("fill", academic), form_data(academic, SCHOOL, base=0))
    assert response.status_code == 302
    assert messages_of(response, "error")
    assert academic.versions.count() == 1


# List rows ---------------------------------------------------------------------------------------


def rows_of(contribution):
    contribution.refresh_from_db()
    return upload_rows(contribution.current_version.upload)[1]


def test_rows_are_edited_deleted_and_added_each_as_a_new_version(as_, pharmacy, staff):
    first = upload(pharmacy, staff["zhang"], [*PHARMACY_ROWS, student("2023000003", "赵强")])
    client = as_("zhang")
    page = client.get(url("row_edit", pharmacy, 2))
    assert page.status_code == 200
    assert page.context["form"]["f1"].value() == "王芳"

    edited = {
        **dict(zip(HEADERS_16, PHARMACY_ROWS[1], strict=True)),
        "学生姓名": "王小芳",
    }
    response = client.post(url("row_edit", pharmacy, 2), form_data(pharmacy, edited))
    assert response.status_code == 302
    assert rows_of(pharmacy)[1][1] == "王小芳"
    assert pharmacy.current_version.number == 2
    assert pharmacy.current_version.upload.filename == "在线填报-v2.xlsx"

    response = client.post(url("row_delete", pharmacy, 1), {"version": 2})
    assert response.status_code == 302
    assert [r[0] for r in rows_of(pharmacy)] == ["2023000002", "2023000003"]

    added = dict(zip(HEADERS_16, student("2023000009", "孙丽"), strict=True))
    response = client.post(url("row_add", pharmacy), form_data(pharmacy, added))
    assert response.status_code == 302
    assert [r[0] for r in rows_of(pharmacy)] == ["2023000002", "2023000003", "2023000009"]
    assert pharmacy.current_version.number == 4
    # Versions never change: the uploaded one still holds its three original rows.
    assert [r[1] for r in upload_rows(first.upload)[1]] == ["李明", "王芳", "赵强"]
    edits = [e.data.get("edit") for e in Event.objects.filter(action="version.create")]
    assert sorted(filter(None, edits)) == ["row_add", "row_delete", "row_edit"]


def test_rows_fixed_online_hash_like_the_same_rows_uploaded(pharmacy, staff):
    upload(pharmacy, staff["zhang"], BAD_ROWS)  # the same 学号 twice: an error
    fixed = dict(zip(HEADERS_16, student("2023000002", "王芳"), strict=True))
    online = row_save(actor=staff["zhang"], contribution=pharmacy, index=1, values=fixed, base=1)
    assert online.error_count == 0
    again = upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    assert online.content_hash == again.content_hash


def test_an_empty_row_or_a_missing_row_is_refused(pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    with pytest.raises(ValidationError):
        row_save(
            actor=staff["zhang"], contribution=pharmacy, index=None, values={"学号": " "}, base=1
        )
    with pytest.raises(ValidationError):
        row_save(actor=staff["zhang"], contribution=pharmacy, index=5, values={"学号": "1"}, base=1)
    assert pharmacy.versions.count() == 1


def test_the_rows_page_pages_and_filters_rows_with_findings(as_, pharmacy, staff):
    rows = [student(f"2023{n:06d}") for n in range(120)] + [student("2023000001")]
    rows[2][2] = "未知"  # not a 性别 code
    upload(pharmacy, staff["zhang"], rows)  # and the last row repeats a 学号
    client = as_("li")  # a reviewer reads the rows, without edit buttons
    page = client.get(url("rows", pharmacy))
    assert page.status_code == 200
    assert [i.position for i in page.context["items"]][:2] == [1, 2]
    assert len(page.context["items"]) == 50 and not page.context["can_change"]
    assert page.context["page"].paginator.num_pages == 3
    only = client.get(url("rows", pharmacy) + "?findings=1")
    assert [i.position for i in only.context["items"]] == [3, 121]
    assert all(i.findings for i in only.context["items"])
    assert as_("zhang").get(url("rows", pharmacy)).context["can_change"]


def test_rows_cannot_change_once_submitted(as_, pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    client = as_("zhang")
    response = client.post(url("row_delete", pharmacy, 1), {"version": 1})
    assert response.status_code == 302
    assert messages_of(response, "error")
    page = client.get(url("row_edit", pharmacy, 1))
    assert page.status_code == 302
    assert page["Location"] == reverse("review:contribution_detail", args=[pharmacy.pk])
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.SOURCE_REVIEW
    assert pharmacy.versions.count() == 1 and len(rows_of(pharmacy)) == 2


def test_non_collectors_may_not_change_rows(as_, pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    data = form_data(pharmacy, {"学号": "2023000009"})
    for key in ("li", "chen", "han", "qian"):
        client = as_(key)
        assert client.get(url("row_edit", pharmacy, 1)).status_code == 403
        assert client.post(url("row_edit", pharmacy, 1), data).status_code == 403
        assert client.post(url("row_add", pharmacy), data).status_code == 403
        assert client.post(url("row_delete", pharmacy, 1), {"version": 1}).status_code == 403
    assert pharmacy.versions.count() == 1


def test_outsiders_get_404_on_every_online_page(as_, single, pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    client = as_("zhao")
    for contribution in (single["2003"], pharmacy):
        for name, args in (
            ("fill", ()),
            ("rows", ()),
            ("row_add", ()),
            ("row_edit", (1,)),
            ("compare", ()),
        ):
            assert client.get(url(name, contribution, *args)).status_code == 404, name
        assert client.post(url("row_delete", contribution, 1), {"version": 1}).status_code == 404
        assert client.post(url("fill", contribution), {"version": 0}).status_code == 404
    assert pharmacy.versions.count() == 1


def test_version_rows_line_up_with_the_schema(pharmacy, staff):
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, title=True)
    from collection.selectors import table_schema

    rows, numbers = version_rows(version, table_schema(pharmacy.assignment.table))
    assert rows == PHARMACY_ROWS and numbers == [3, 4]  # a title row above the header
