"""The table-report page (表汇总), its actions, conflicts and remarks, driven as the personas would.

Personas (tests/conftest.py, tests/review/conftest.py): 教务处 is responsible for 表1-6 and
药学院 assists. 钱老师 (qian) collects for 教务处 and may start the second review and settle
conflicts; 孙老师 (sun) second-reviews; 韩老师 (han) is the collection group; 邵老师 (shao) the
college review group; 夏主任 (xia) the office; 张老师 (zhang) collects for 药学院 (sees the page,
may do nothing on it); 孔院长 (kong) is leadership (sees, acts on nothing); 赵老师 (zhao)
collects for 护理学院 and gets 404 on everything here.
"""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Event, Unit
from collection.models import ContributionState, TableReportState
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.merge import merged_rows
from review import workflow
from review.models import Review
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, deliver, student

R = TableReportState
S = ContributionState
pytestmark = pytest.mark.django_db
ACTIONS = [
    "start_second_review",
    "approve",
    "return",
    "return_to_contribution",
    "reopen",
    "mark_uploaded",
    "conflict_keep",
    "conflict_return",
]


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


def url(report, action=""):
    name = f"review:report_{action}" if action else "review:report_detail"
    return reverse(name, args=[report.pk])


def actions_on_page(response):
    return set(response.context["actions"])


def errors_of(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def state_of(obj):
    obj.refresh_from_db()
    return obj.state


def report_events(report):
    return list(
        Event.objects.filter(object_type="collection.tablereport", object_id=str(report.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def remarks(*lines):
    """POST data for remark lines [(row, column, text)] plus a blank line, as the page sends."""
    lines = [*lines, ("", "", "")]
    return {
        "remark_row": [str(r) for r, _c, _t in lines],
        "remark_column": [c for _r, c, _t in lines],
        "remark_text": [t for _r, _c, t in lines],
    }


@pytest.fixture
def conflicting(staff, pharmacy, academic):
    """Both units deliver the student 2023000001: a key conflict in the merged table."""
    s = staff
    shared = student("2023000001", "李明")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], [shared, *PHARMACY_ROWS[1:]])
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], [shared, *ACADEMIC_ROWS])


# Access -----------------------------------------------------------------------------------------


def test_outsiders_get_404_on_the_page_and_every_action(as_, report, pharmacy, delivered_all):
    zhao = as_("zhao")
    assert zhao.get(url(report)).status_code == 404
    for action in ACTIONS:
        data = {
            "reason": "x",
            "confirm": "1",
            "contribution": pharmacy.pk,
            "key": "k",
            "unit": "2003",
        }
        assert zhao.post(url(report, action), data).status_code == 404, action
    missing = reverse("review:report_detail", args=[report.pk + 999])
    assert as_("xia").get(missing).status_code == 404
    assert state_of(report) == R.COLLECTING and state_of(pharmacy) == S.DELIVERED
    assert report_events(report) == []


def test_assisting_units_and_college_roles_see_the_page(as_, report, delivered_all):
    for key in ("zhang", "qian", "sun", "han", "shao", "xia", "kong"):
        page = as_(key).get(url(report))
        assert page.status_code == 200, key
    page = as_("zhang").get(url(report))
    assert actions_on_page(page) == set()
    assert page.context["merged"].rows[0][-1] == "教务处"


def test_an_assisting_unit_reads_only_its_own_rows(as_, report, delivered_all):
    zhang = as_("zhang").get(url(report))
    shown = [row for _n, row, _source, _c in zhang.context["page_rows"]]
    assert shown and {row[-1] for row in shown} == {"药学院"}
    assert ACADEMIC_ROWS[0][0] not in zhang.content.decode()  # 教务处's student number
    assert 'data-testid="own-rows-only"' in zhang.content.decode()
    qian = as_("qian").get(url(report))
    assert {row[-1] for _n, row, _s, _c in qian.context["page_rows"]} == {"教务处", "药学院"}


def test_a_role_without_the_right_gets_403_and_nothing_changes(as_, staff, report, delivered_all):
    zhang = as_("zhang")
    assert zhang.post(url(report, "start_second_review")).status_code == 403
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    for key in ("zhang", "qian", "han", "kong"):
        client = as_(key)
        assert client.post(url(report, "approve"), {"confirm": "1"}).status_code == 403, key
        assert client.post(url(report, "approve")).status_code == 403, key
        assert client.post(url(report, "return"), {"reason": "x"}).status_code == 403, key
    assert as_("sun").post(url(report, "reopen"), {"reason": "x"}).status_code == 403
    assert state_of(report) == R.SECOND_REVIEW
    assert not Review.objects.filter(table_report=report).exists()


def test_actions_refuse_get(as_, report):
    client = as_("xia")
    for action in ACTIONS:
        assert client.get(url(report, action)).status_code == 405, action


# The path through the page ----------------------------------------------------------------------


def test_the_whole_path_through_the_page(as_, staff, report, pharmacy, delivered_all):
    qian = as_("qian")
    page = qian.get(url(report))
    assert actions_on_page(page) == {"start_second_review"}
    assert [row.contribution.unit.name for row in page.context["contributions"]] == [
        "教务处",
        "药学院",
    ]
    assert qian.post(url(report, "start_second_review")).status_code == 302
    assert state_of(report) == R.SECOND_REVIEW

    sun = as_("sun")
    assert actions_on_page(sun.get(url(report))) == {"approve", "return", "return_to_contribution"}
    response = sun.post(url(report, "approve"))  # the confirmation box not ticked
    assert errors_of(response) and state_of(report) == R.SECOND_REVIEW
    sun.post(url(report, "approve"), {"confirm": "1"})
    assert state_of(report) == R.COLLECTION_CHECK

    # 韩老师 returns it one level with a remark on a cell.
    han = as_("han")
    data = {"reason": "请核对学号", **remarks((3, "学号", "学号与学籍系统不一致"))}
    assert han.post(url(report, "return"), data).status_code == 302
    assert state_of(report) == R.SECOND_REVIEW
    review = Review.objects.get(table_report=report, decision="return")
    assert review.remarks == [{"row": 3, "column": "学号", "text": "学号与学籍系统不一致"}]
    page = as_("sun").get(url(report))
    assert "学号与学籍系统不一致" in page.content.decode()

    as_("sun").post(url(report, "approve"), {"confirm": "1"})
    as_("han").post(url(report, "approve"), {"confirm": "1"})
    as_("shao").post(url(report, "approve"), {"confirm": "1"})
    assert state_of(report) == R.APPROVED
    page = as_("xia").get(url(report))
    assert actions_on_page(page) == {"reopen", "mark_uploaded"}
    assert report.merged_hash in page.content.decode()
    assert [row[-1] for row in page.context["merged"].rows] == ["教务处", "药学院", "药学院"]

    xia = as_("xia")
    response = xia.post(url(report, "reopen"), {"reason": " "})
    assert errors_of(response) and state_of(report) == R.APPROVED
    xia.post(url(report, "reopen"), {"reason": "平台口径变更"})
    assert state_of(report) == R.COLLECTION_CHECK
    as_("han").post(url(report, "approve"), {"confirm": "1"})
    as_("shao").post(url(report, "approve"), {"confirm": "1"})
    as_("xia").post(url(report, "mark_uploaded"))
    assert state_of(report) == R.UPLOADED
    assert report_events(report) == [
        "table_report.start_second_review",
        "table_report.approve",
        "table_report.return",
        "table_report.approve",
        "table_report.approve",
        "table_report.approve",
        "table_report.reopen",
        "table_report.approve",
        "table_report.approve",
        "table_report.mark_uploaded",
    ]
    timeline = as_("kong").get(url(report)).context["events"]
    assert len(timeline) == 10


def test_return_to_a_unit_carries_the_remarks(as_, staff, report, pharmacy, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    han = as_("han")
    data = {
        "reason": "药学院人数有误",
        "contribution": pharmacy.pk,
        **remarks((4, "学生姓名", "姓名与学籍不符"), ("", "", "整表人数偏少")),
    }
    assert han.post(url(report, "return_to_contribution"), data).status_code == 302
    assert state_of(report) == R.COLLECTING and state_of(pharmacy) == S.DRAFTING
    expected = [
        {"row": 4, "column": "学生姓名", "text": "姓名与学籍不符"},
        {"row": None, "column": None, "text": "整表人数偏少"},
    ]
    assert Review.objects.get(table_report=report, decision="return").remarks == expected
    assert Review.objects.get(contribution=pharmacy, decision="return").remarks == expected


def test_a_bad_return_changes_nothing_and_says_why(as_, staff, report, pharmacy, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    han = as_("han")
    for data in (
        {"reason": ""},
        {"reason": "x", **remarks(("abc", "学号", "错"))},
        {"reason": "x", **remarks((2, "没有这一列", "错"))},
        {"reason": "x", **remarks((2, "学号", ""))},
    ):
        response = han.post(url(report, "return"), data)
        assert response.status_code == 302 and errors_of(response), data
    other = han.post(url(report, "return_to_contribution"), {"reason": "x", "contribution": 0})
    assert other.status_code == 404
    assert state_of(report) == R.COLLECTION_CHECK and state_of(pharmacy) == S.DELIVERED
    assert not Review.objects.filter(table_report=report, decision="return").exists()


# Contributions: missing and late ------------------------------------------------------------------


def test_the_page_shows_who_is_missing_and_late(as_, staff, report, pharmacy, assignment):
    import datetime

    assignment.assisting_deadline = datetime.date(2020, 1, 1)
    assignment.save(update_fields=["assisting_deadline"])
    page = as_("qian").get(url(report))
    rows = {row.contribution.unit.name: row for row in page.context["contributions"]}
    assert rows["药学院"].late and not rows["教务处"].late
    assert len(page.context["missing"]) == 2
    assert 'data-testid="late"' in page.content.decode()
    deliver(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], staff["chen"], PHARMACY_ROWS)
    page = as_("qian").get(url(report))
    rows = {row.contribution.unit.name: row for row in page.context["contributions"]}
    assert not rows["药学院"].late and len(page.context["missing"]) == 1


# Conflicts ----------------------------------------------------------------------------------------


def test_keep_one_settles_a_conflict(as_, staff, report, conflicting):
    page = as_("qian").get(url(report))
    (item,) = page.context["conflicts"]
    assert item.conflict.what == "2023000001"
    assert [(side.name, side.rows) for side in item.sides] == [("教务处", (3,)), ("药学院", (3,))]
    assert page.context["can_keep"] and len(page.context["merged"].conflicting) == 2
    assert (
        as_("han")
        .post(url(report, "conflict_keep"), {"key": "2023000001", "unit": "2003"})
        .status_code
        == 403
    )
    assert (
        as_("zhang")
        .post(url(report, "conflict_keep"), {"key": "2023000001", "unit": "2003"})
        .status_code
        == 403
    )
    wrong = as_("qian").post(url(report, "conflict_keep"), {"key": "2023000001", "unit": "2002"})
    assert errors_of(wrong)
    gone = as_("qian").post(url(report, "conflict_keep"), {"key": "1999", "unit": "2003"})
    assert errors_of(gone)
    report.refresh_from_db()
    assert report.resolutions == {}

    as_("qian").post(url(report, "conflict_keep"), {"key": "2023000001", "unit": "2003"})
    report.refresh_from_db()
    assert report.resolutions == {"2023000001": "2003"}
    event = Event.objects.get(action="table_report.resolve_conflict")
    assert event.data["kept"] == "2003" and event.data["dropped"] == ["1002"]
    merged = merged_rows(report)
    assert merged.conflicts == []
    assert [(row[0], row[-1]) for row in merged.rows] == [
        ("2023100001", "教务处"),
        ("2023000001", "药学院"),
        ("2023000002", "药学院"),
    ]
    page = as_("qian").get(url(report))
    assert page.context["conflicts"] == [] and page.context["resolved"] == [
        ("2023000001", "药学院")
    ]

    s = staff
    workflow.table_report_start_second_review(actor=s["qian"], report=report)
    for key in ("sun", "han", "shao"):
        as_(key).post(url(report, "approve"), {"confirm": "1"})
    assert state_of(report) == R.APPROVED
    assert report.merged_hash == merged.content_hash


def test_return_one_side_of_a_conflict(as_, staff, report, pharmacy, conflicting):
    qian = as_("qian")
    page = qian.get(url(report))
    assert page.context["can_return_side"]
    data = {
        "reason": "学号 2023000001 由教务处报送，请删除",
        "contribution": pharmacy.pk,
        **remarks((3, "学号", "重复的学生")),
    }
    assert as_("zhang").post(url(report, "conflict_return"), data).status_code == 403
    assert state_of(pharmacy) == S.DELIVERED
    as_("qian").post(url(report, "conflict_return"), data)
    assert state_of(pharmacy) == S.DRAFTING and state_of(report) == R.COLLECTING
    review = Review.objects.get(contribution=pharmacy, decision="return")
    assert review.remarks == [{"row": 3, "column": "学号", "text": "重复的学生"}]


def test_after_second_review_the_stage_holder_returns_one_side(
    as_, staff, report, pharmacy, conflicting
):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    workflow.table_report_approve(actor=s["sun"], report=report)
    assert not as_("qian").get(url(report)).context["can_return_side"]
    assert not as_("qian").get(url(report)).context["can_keep"]
    data = {"reason": "重复学号", "contribution": pharmacy.pk}
    assert as_("qian").post(url(report, "conflict_return"), data).status_code == 403
    assert as_("han").get(url(report)).context["can_return_side"]
    as_("han").post(url(report, "conflict_return"), data)
    assert state_of(pharmacy) == S.DRAFTING and state_of(report) == R.COLLECTING
    assert Review.objects.get(table_report=report, decision="return").stage == R.COLLECTION_CHECK


# Contribution page: returns carry remarks ----------------------------------------------------------


def test_contribution_returns_carry_remarks(as_, staff, pharmacy, report):
    from tests.review.conftest import to_head

    s = staff
    to_head(pharmacy, s["zhang"], [s["li"], s["wang"]], PHARMACY_ROWS)
    chen = as_("chen")
    page = chen.get(reverse("review:contribution_detail", args=[pharmacy.pk]))
    assert "学号" in page.context["return_form"].columns
    bad = chen.post(
        reverse("review:contribution_return", args=[pharmacy.pk]),
        {"reason": "x", **remarks((2, "没有这一列", "错"))},
    )
    assert errors_of(bad) and state_of(pharmacy) == S.HEAD_SIGNOFF
    chen.post(
        reverse("review:contribution_return", args=[pharmacy.pk]),
        {"reason": "请改正姓名", **remarks((4, "学生姓名", "应为王芳"))},
    )
    assert state_of(pharmacy) == S.DRAFTING
    review = Review.objects.get(contribution=pharmacy, decision="return")
    assert review.remarks == [{"row": 4, "column": "学生姓名", "text": "应为王芳"}]


# My work, the list ------------------------------------------------------------------------------


def test_my_work_lists_the_reports_waiting(as_, staff, report, delivered_all):
    def items(key):
        return [r.pk for r in as_(key).get("/").context["report_items"]]

    assert items("qian") == items("sun") == [report.pk]
    assert items("han") == items("zhang") == []
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    assert items("sun") == [report.pk] and items("qian") == []
    workflow.table_report_approve(actor=staff["sun"], report=report)
    assert items("han") == [report.pk] and items("sun") == items("shao") == []
    workflow.table_report_approve(actor=staff["han"], report=report)
    assert items("shao") == [report.pk] and items("han") == []
    assert url(report) in as_("shao").get("/").content.decode()


def test_collecting_reports_wait_only_once_everyone_delivered(as_, staff, report, pharmacy):
    deliver(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], staff["chen"], PHARMACY_ROWS)
    assert list(as_("qian").get("/").context["report_items"]) == []


def test_the_report_list_per_cycle(as_, staff, units, cycle, report, delivered_all):
    list_url = reverse("review:report_list", args=[cycle.year])
    page = as_("han").get(list_url)
    assert [r.pk for r in page.context["reports"]] == [report.pk]
    assert page.context["reports"][0].delivered_count == 2
    assert url(report) in page.content.decode()
    assert [r.pk for r in as_("zhang").get(list_url).context["reports"]] == [report.pk]
    assert list(as_("zhao").get(list_url).context["reports"]) == []
    assert list(as_("han").get(list_url, {"state": "approved"}).context["reports"]) == []
    filtered = as_("kong").get(list_url, {"unit": units["academic"].pk, "state": "collecting"})
    assert [r.pk for r in filtered.context["reports"]] == [report.pk]
    assert as_("kong").get(list_url, {"unit": "x", "state": "nonsense"}).status_code == 200


# Queries ------------------------------------------------------------------------------------------


def test_the_page_queries_do_not_grow_with_contributions(
    as_, staff, cycle, units, assignment, report, pharmacy, django_assert_max_num_queries
):
    deliver(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], staff["chen"], PHARMACY_ROWS)
    client = as_("sun")
    client.get(url(report))  # warm the schema cache
    with CaptureQueriesContext(connection) as few:
        client.get(url(report))
    extra = [
        accounts_services.unit_create(
            actor=None, code=f"20{n:02d}", name=f"学院{n}", kind=Unit.Kind.TEACHING
        )
        for n in range(10, 16)
    ]
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=assignment.table,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"], *extra],
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url(report))
    assert len(page.context["contributions"]) == 8
