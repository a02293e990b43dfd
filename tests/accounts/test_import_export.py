"""Importing units and people with their roles from .xlsx, with a dry-run preview."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import Event, Unit, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import college_roles_of_user, unit_roles_of_user

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[object]], title_rows: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    for i in range(title_rows):
        sheet.append([f"齐鲁医药学院人员名单（第{i + 1}行标题）"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, kind: str, content: bytes, password: str = "", name: str = "名单.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    data = {"file": file}
    if password:
        data["initial_password"] = password
    return client.post(reverse("accounts:sheet_import", args=[kind]), data)


def confirm(client, kind: str, response):
    return client.post(
        reverse("accounts:sheet_import_confirm", args=[kind]), {"token": response.context["token"]}
    )


PEOPLE_HEADER = [
    "工号",
    "姓名",
    "单位号",
    "单位名称",
    "手机",
    "邮箱",
    "是否启用",
    "单位角色",
    "校级角色",
]


def test_people_import_previews_then_imports_with_roles(client_for, units, people):
    client = client_for("xia")
    content = xlsx(
        [
            PEOPLE_HEADER,
            [
                "200305",
                "周老师",
                "2003",
                "药学院",
                "13805310011",
                "zhou@example.cn",
                "是",
                "审核人",
                "",
            ],
            [
                "２００２０２",
                " 吴老师 ",
                "2002",
                "",
                "",
                "",
                "是",
                "审核人、2003:二审专人",
                "数据采集小组",
            ],
        ],
        title_rows=2,
    )
    before = Event.objects.count()
    response = upload(client, "people", content, password="Start-2026-pw")
    assert response.status_code == 200
    assert response.context["problems"] == []
    assert response.context["totals"]["new"] == 2
    assert not User.objects.filter(username="200305").exists()  # the preview saved nothing
    assert Event.objects.count() == before

    response = confirm(client, "people", response)
    assert response.status_code == 302
    zhou = User.objects.get(username="200305")
    wu = User.objects.get(username="200202")  # full-width digits normalised
    assert wu.name == "吴老师"
    assert zhou.must_change_password and zhou.check_password("Start-2026-pw")
    assert unit_roles_of_user(zhou) == [(units["pharmacy"], UnitRole.SOURCE_REVIEWER)]
    assert set(unit_roles_of_user(wu)) == {
        (units["nursing"], UnitRole.SOURCE_REVIEWER),
        (units["pharmacy"], UnitRole.SECOND_REVIEWER),
    }
    assert college_roles_of_user(wu) == [CollegeRole.COLLECTION_GROUP]
    assert (
        Event.objects.filter(
            action="role.assign", actor=people["xia"], object_id=str(wu.pk)
        ).count()
        == 3
    )
    assert Event.objects.filter(action="import.people").exists()


def test_every_bad_row_is_listed_with_its_reason_and_nothing_changes(client_for, units, people):
    client = client_for("xia")
    content = xlsx(
        [
            PEOPLE_HEADER,
            ["300001", "甲", "9999", "", "", "", "是", "", ""],  # unknown unit
            ["300002", "乙", "2003", "", "12345", "", "是", "", ""],  # bad phone
            ["300003", "丙", "2003", "", "", "", "是", "打字员", ""],  # unknown role
            ["300004", "丁", "2003", "", "", "", "否", "审核人", ""],  # inactive with a role
            ["300005", "戊", "2003", "", "", "", "也许", "", ""],  # not 是/否
            ["300006", "己", "2003", "", "", "", "是", "", ""],
            ["300006", "己", "2003", "", "", "", "是", "", ""],  # duplicate 工号
            [
                "200301",
                "张老师",
                "2003",
                "",
                "",
                "",
                "是",
                "数据采集员",
                "校长",
            ],  # unknown college role
        ]
    )
    response = upload(client, "people", content, password="Start-2026-pw")
    assert response.status_code == 422
    problems = {p.row: " ".join(p.messages) for p in response.context["problems"]}
    assert set(problems) == {2, 3, 4, 5, 6, 7, 8, 9}
    assert "9999" in problems[2]
    assert "手机" in problems[3]
    assert "打字员" in problems[4]
    assert "停用" in problems[5]
    assert "也许" in problems[6]
    assert "重复" in problems[7] and "重复" in problems[8]
    assert "校长" in problems[9]
    assert b'name="token"' not in response.content  # no button to import a file with errors
    assert not User.objects.filter(username__startswith="3000").exists()


def test_new_people_need_an_initial_password(client_for, units):
    client = client_for("xia")
    response = upload(
        client, "people", xlsx([PEOPLE_HEADER, ["300010", "庚", "2003", "", "", "", "是", "", ""]])
    )
    assert response.status_code == 422
    assert "初始密码" in " ".join(response.context["problems"][0].messages)


def test_export_then_import_changes_nothing(client_for, units, people):
    client = client_for("xia")
    exported = client.get(reverse("accounts:sheet_export", args=["people"]))
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    header = [c.value for c in sheet[1]]
    assert header == PEOPLE_HEADER
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["200301"][7] == "数据采集员"
    assert rows["101206"][8] == "领导小组办公室"

    last = Event.objects.order_by("-pk").first().pk
    response = upload(client, "people", exported.content)
    assert response.status_code == 200, response.context["problems"]
    assert response.context["totals"]["new"] == 0
    confirm(client, "people", response)
    assert list(Event.objects.filter(pk__gt=last).values_list("action", flat=True)) == [
        "import.people"
    ]


def test_roles_listed_in_the_sheet_replace_the_person_roles(client_for, units, people):
    client = client_for("xia")
    response = upload(
        client,
        "people",
        xlsx([PEOPLE_HEADER, ["200302", "李老师", "2003", "", "", "", "是", "负责人", ""]]),
    )
    confirm(client, "people", response)
    li = people["li"]
    assert unit_roles_of_user(li) == [(units["pharmacy"], UnitRole.HEAD)]


def test_units_import_and_export(client_for, units):
    client = client_for("xia")
    response = upload(
        client,
        "units",
        xlsx(
            [
                ["单位号", "单位名称", "单位类型", "是否启用"],
                ["2009", "康复学院", "教学单位", "是"],
                ["2003", "药学院", "教学单位", "是"],
                ["1013", "后勤处", "行政", "是"],
            ]
        ),
    )
    assert response.status_code == 422
    assert [p.row for p in response.context["problems"]] == [4]
    assert "行政" in response.context["problems"][0].messages[0]
    assert not Unit.objects.filter(code="2009").exists()

    response = upload(
        client,
        "units",
        xlsx(
            [
                ["单位号", "单位名称", "单位类型", "是否启用"],
                ["2009", "康复学院", "教学单位", "是"],
            ]
        ),
    )
    confirm(client, "units", response)
    assert Unit.objects.get(code="2009").kind == Unit.Kind.TEACHING
    exported = load_workbook(
        io.BytesIO(client.get(reverse("accounts:sheet_export", args=["units"])).content)
    ).active
    assert ("2009", "康复学院", "教学单位", "是") in list(
        exported.iter_rows(min_row=2, values_only=True)
    )


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"<html><body>not excel</body></html>", ".xlsx"),
        (b"PK\x03\x04broken zip", ".xlsx"),
        (xlsx([["名字", "电话"], ["甲", "1"]]), "工号"),
    ],
)
def test_a_bad_file_gets_a_clear_message(client_for, units, content, fragment):
    client = client_for("xia")
    response = upload(client, "people", content, password="Start-2026-pw")
    assert response.status_code == 422
    errors = " ".join(response.context["form"].errors["file"])
    assert fragment in errors


def test_an_expired_preview_imports_nothing(client_for, units):
    client = client_for("xia")
    response = client.post(
        reverse("accounts:sheet_import_confirm", args=["people"]),
        {"token": "deadbeef"},
        follow=True,
    )
    assert "过期" in response.content.decode()


def test_the_initial_password_is_never_kept_in_plain_text(client_for, units):
    client = client_for("xia")
    response = upload(
        client,
        "people",
        xlsx([PEOPLE_HEADER, ["300011", "辛", "2003", "", "", "", "是", "", ""]]),
        password="Start-2026-pw",
    )
    stored = client.session[f"import-{response.context['token']}"]
    assert "Start-2026-pw" not in str(stored)
    confirm(client, "people", response)
    assert User.objects.get(username="300011").check_password("Start-2026-pw")
