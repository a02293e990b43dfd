"""One table with an assisting unit, from the published 分工表 to an approved, locked table,
done in Chromium as the people of the college would do it (issue 4, item 9).

表1-6 (本科生名单): 教务处 is responsible, 药学院 assists. Off stage the office has loaded the
catalog and filled the breakdown row; everything after that happens in the browser, each step
in a fresh browser context signed in as the right person:

1. 夏主任 (office) publishes the breakdown.
2. 张老师 uploads 药学院's roster with a duplicate 学号, sees the error and no submit button,
   uploads the corrected file; 李老师 (a reviewer who also holds 药学院's collector role)
   uploads a last version; 张老师 submits. 钱老师 uploads and submits 教务处's rows.
3. 李老师 has no approve button for the version he uploaded, and a stale-page approval is refused;
   王老师 and 刘老师 approve 药学院's version, 周老师 and 吴老师 教务处's.
4. 陈院长 signs on a phone; 郑处长 signs for 教务处.
5. 钱老师 sees the merged rows with their 来源单位 and starts the second review; 孙老师 approves.
6. 韩老师 (collection group) returns the table to 药学院 with a remark on one cell.
7. 张老师 sees the remark in the findings list, uploads a fixed file and submits; 李老师 and
   王老师 approve, 陈院长 signs, 钱老师 starts the second review again, 孙老师 approves,
   韩老师 approves, 邵老师 (college review group) approves through bulk approve.
8. The table is 已审定 and locked: nobody is offered an action that changes it, and posts from
   stale pages are refused.
"""

# ruff: noqa: F811  (the fixtures of tests/review/conftest.py are imported by name)

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from accounts import services as accounts_services
from accounts.roles import UnitRole
from collection.models import Contribution, ContributionState, TableReport, TableReportState
from collection.services.assignments import assignment_set
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.conftest import PASSWORD, make_person
from tests.review.conftest import (  # noqa: F401  (fixtures)
    ACADEMIC_ROWS,
    BAD_ROWS,
    PHARMACY_ROWS,
    TABLE,
    academic_staff,
    cycle,
    roster,
    staff,
    student,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The remark 韩老师 puts on 王芳's name: row 4 of 药学院's file (title, headers, then the rows).
REMARK_ROW, REMARK_COLUMN = 4, "学生姓名"
REMARK_TEXT = "姓名与学籍系统不一致，应为王芳芳"
FIXED_ROWS = [student("2023000001"), student("2023000002", "王芳芳")]

# A post from a page that is out of date (the button was there when the page was loaded).
STALE_POST = """([action, token]) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  const input = document.createElement("input");
  input.type = "hidden"; input.name = "csrfmiddlewaretoken"; input.value = token;
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
}"""


@pytest.fixture
def office_setup(cycle, units, staff):
    """What the office did before opening the browser: 表1-6 assigned to 教务处 with 药学院
    assisting (not yet published). 李老师 also collects for 药学院, and 刘老师 is its third
    source reviewer (the regulation asks for at least two)."""
    table = cycle.tables.get(code=TABLE)
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=table,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
    )
    accounts_services.role_assign(
        actor=None, user=staff["li"], role=UnitRole.COLLECTOR, unit=units["pharmacy"]
    )
    liu = make_person("200305", "刘老师", units["pharmacy"])
    accounts_services.role_assign(
        actor=None, user=liu, role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    return {**staff, "liu": liu}


class College:
    """Signs people in, each in a fresh browser context, and writes their files."""

    def __init__(self, browser, live_server, people, tmp_path):
        self.browser, self.url, self.people, self.tmp = browser, live_server.url, people, tmp_path

    @contextmanager
    def as_(self, key, **context):
        options = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 800}, **context}
        ctx = self.browser.new_context(**options)
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        crashes = []  # a page that answers 500 fails the test with its address
        page.on(
            "response",
            lambda r: r.status >= 500 and crashes.append(f"{r.status} {r.request.method} {r.url}"),
        )
        try:
            page.goto(f"{self.url}/accounts/login/")
            page.get_by_label("工号").fill(self.people[key].username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{self.url}/")
            yield page
        except Exception as exc:
            if crashes:
                raise AssertionError(f"server error for {key}: {crashes}") from exc
            raise
        finally:
            ctx.close()
        assert not crashes, f"server error for {key}: {crashes}"

    def file(self, name, rows):
        path = self.tmp / name
        path.write_bytes(roster(rows))
        return str(path)

    # Ways into the pages, as from My work.

    def open_work_item(self, page, unit_name):
        page.get_by_test_id("work-item").filter(has_text=unit_name).get_by_role("link").click()
        page.wait_for_url("**/contributions/*/")

    def open_report_item(self, page):
        page.get_by_test_id("report-item").filter(has_text=TABLE).get_by_role("link").click()
        page.wait_for_url("**/reports/*/")

    # Actions on the contribution page.

    def upload(self, page, path, name):
        page.get_by_label("填好的模板").set_input_files(path)
        page.get_by_role("button", name="上传并校验").click()
        expect(page.get_by_test_id("current-version")).to_contain_text(name)

    def act(self, page, action):
        with page.expect_navigation():
            page.locator(f"[data-testid=actions] [data-action={action}]").click()

    def stale_post(self, page, action):
        token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
        with page.expect_navigation():
            page.evaluate(STALE_POST, [action, token])


def state_of(obj):
    obj.refresh_from_db()
    return obj.state


def test_one_table_from_publishing_to_approved_and_locked(
    browser, live_server, office_setup, units, cycle, tmp_path
):
    college = College(browser, live_server, office_setup, tmp_path)
    S, R = ContributionState, TableReportState

    # 1. The office publishes the breakdown.
    with college.as_("xia") as page:
        page.goto(f"{college.url}/cycles/{cycle.year}/breakdown/")
        row = page.locator("tr", has=page.get_by_role("link", name=TABLE, exact=True))
        expect(row).to_contain_text("教务处")
        expect(row).to_contain_text("药学院")
        page.get_by_role("button", name="发布到各单位").click()
        expect(page.get_by_test_id("published")).to_be_visible()
        screenshot(page, "e2e-01-published")
    pharmacy = Contribution.objects.get(unit=units["pharmacy"], assignment__table__code=TABLE)
    academic = Contribution.objects.get(unit=units["academic"], assignment__table__code=TABLE)
    report = TableReport.objects.get(assignment__table__code=TABLE)
    contribution_url = f"{college.url}/contributions/{pharmacy.pk}/"
    report_url = f"{college.url}/reports/{report.pk}/"

    # 2. 药学院's collector: a file with a duplicate 学号, then the corrected one.
    with college.as_("zhang") as page:
        college.open_work_item(page, "药学院")
        college.upload(page, college.file("药学院名单-初稿.xlsx", BAD_ROWS), "药学院名单-初稿.xlsx")
        expect(page.get_by_test_id("errors")).not_to_have_text("0")
        expect(page.get_by_test_id("findings")).to_contain_text("2023000001")
        expect(page.get_by_test_id("findings").locator(".badge.text-bg-danger")).not_to_have_count(
            0
        )
        expect(page.locator("[data-action=submit]")).to_have_count(0)  # errors: no submit
        screenshot(page, "e2e-02-upload-errors")
        college.upload(page, college.file("药学院名单.xlsx", PHARMACY_ROWS), "药学院名单.xlsx")
        expect(page.get_by_test_id("errors")).to_have_text("0")
        expect(page.get_by_test_id("versions").locator("tbody tr")).to_have_count(2)
    # 李老师, who also collects for 药学院, uploads the last version before submission.
    with college.as_("li") as page:
        page.goto(contribution_url)
        college.upload(
            page, college.file("药学院名单-李.xlsx", PHARMACY_ROWS), "药学院名单-李.xlsx"
        )
    with college.as_("zhang") as page:
        page.goto(contribution_url)
        college.act(page, "submit")
        expect(page.get_by_test_id("state")).to_have_text("来源审核")
    assert state_of(pharmacy) == S.SOURCE_REVIEW
    with college.as_("qian") as page:
        college.open_work_item(page, "教务处")
        college.upload(page, college.file("教务处名单.xlsx", ACADEMIC_ROWS), "教务处名单.xlsx")
        college.act(page, "submit")
        expect(page.get_by_test_id("state")).to_have_text("来源审核")

    # 3. The reviewer who uploaded the version may not approve it; two others do.
    with college.as_("li") as page:
        # My work does not list a version he uploaded; he opens it from the table's page.
        expect(page.get_by_test_id("work-item").filter(has_text="药学院")).to_have_count(0)
        page.goto(contribution_url)
        actions = page.get_by_test_id("actions")
        expect(actions.locator("[data-action=return]")).to_have_count(1)
        expect(actions.locator("[data-action=approve]")).to_have_count(0)
        college.stale_post(page, f"/contributions/{pharmacy.pk}/approve/")
        expect(page.locator(".caiji-messages .alert-danger")).to_contain_text(
            "3"
        )  # "you uploaded version 3"
        screenshot(page, "e2e-03-uploader-refused")
    assert state_of(pharmacy) == S.SOURCE_REVIEW and not pharmacy.reviews.exists()
    for reviewer in ("wang", "liu"):
        with college.as_(reviewer) as page:
            college.open_work_item(page, "药学院")
            college.act(page, "approve")
            expect(page.locator(".caiji-messages .alert-success")).to_be_visible()
    assert state_of(pharmacy) == S.HEAD_SIGNOFF
    for reviewer in ("zhou", "wu"):
        with college.as_(reviewer) as page:
            college.open_work_item(page, "教务处")
            college.act(page, "approve")
    assert state_of(academic) == S.HEAD_SIGNOFF

    # 4. 陈院长 signs on his phone; 郑处长 at his desk.
    with college.as_("chen", **PHONE) as page:
        college.open_work_item(page, "药学院")
        sign = page.locator("[data-testid=actions] [data-action=sign]")
        expect(sign).to_be_visible()
        box = sign.bounding_box()
        # On the first screen: no scrolling, sideways or down, to find it.
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] + box["height"] <= 844
        screenshot(page, "e2e-04-head-signs-phone")
        page.screenshot(path=str(ARTIFACTS / "e2e-04-head-signs-phone-screen.png"))
        sign.tap()
        page.wait_for_load_state()
        expect(page.get_by_test_id("state")).to_have_text("已报送责任单位")
        screenshot(page, "e2e-04-head-signed-phone")
    with college.as_("zheng") as page:
        college.open_work_item(page, "教务处")
        college.act(page, "sign")
    assert state_of(pharmacy) == state_of(academic) == S.DELIVERED

    # 5. The responsible unit sees the merged rows with their 来源单位, starts the second review.
    with college.as_("qian") as page:
        college.open_report_item(page)
        merged = page.get_by_test_id("merged")
        expect(merged.locator("thead")).to_contain_text("来源单位")
        expect(merged.locator("tbody tr")).to_have_count(3)
        expect(merged.locator("tbody tr", has_text="2023100001")).to_contain_text("教务处")
        expect(merged.locator("tbody tr", has_text="2023000002")).to_contain_text("药学院")
        expect(page.get_by_test_id("missing")).to_have_count(0)
        screenshot(page, "e2e-05-merged")
        page.locator("[data-action=start_second_review]").click()
        expect(page.get_by_test_id("state")).to_have_text("责任单位二审")
    with college.as_("sun") as page:
        college.open_report_item(page)
        page.locator("#approve-confirm").check()
        page.locator("[data-action=approve]").click()
        expect(page.get_by_test_id("state")).to_have_text("采集小组审核")
    assert state_of(report) == R.COLLECTION_CHECK

    # 6. The collection group returns the table to 药学院 with a remark on a cell.
    with college.as_("han") as page:
        page.goto(report_url)
        form = page.get_by_test_id("return-to-unit-form")
        form.locator("select[name=contribution]").select_option(label="药学院")
        form.locator("textarea[name=reason]").fill(
            "药学院的学生姓名与学籍系统不一致，请核对后重新报送。"
        )
        form.locator("summary").click()
        form.locator("input[name=remark_row]").first.fill(str(REMARK_ROW))
        form.locator("select[name=remark_column]").first.select_option(REMARK_COLUMN)
        form.locator("input[name=remark_text]").first.fill(REMARK_TEXT)
        screenshot(page, "e2e-06-return-to-unit")
        form.locator("[data-action=return_to_contribution]").click()
        expect(page.get_by_test_id("state")).to_have_text("汇总中")
        expect(page.get_by_test_id("reviews")).to_contain_text(REMARK_TEXT)
    assert state_of(report) == R.COLLECTING and state_of(pharmacy) == S.DRAFTING
    assert state_of(academic) == S.DELIVERED

    # 7. 张老师 sees the remark where the findings are, fixes the file and submits again.
    with college.as_("zhang") as page:
        college.open_work_item(page, "药学院")
        expect(page.get_by_test_id("remarks")).to_contain_text(REMARK_TEXT)
        remark = page.get_by_test_id("findings").get_by_test_id("remark")
        expect(remark).to_have_count(1)
        expect(remark.locator("td").nth(0)).to_have_text(str(REMARK_ROW))
        expect(remark.locator("td").nth(1)).to_contain_text(REMARK_COLUMN)
        expect(remark.locator("td").nth(2)).to_have_text("王芳")
        expect(remark).to_contain_text(REMARK_TEXT)
        screenshot(page, "e2e-07-remark-in-findings")
        college.upload(page, college.file("药学院名单-改.xlsx", FIXED_ROWS), "药学院名单-改.xlsx")
        college.act(page, "submit")
        expect(page.get_by_test_id("state")).to_have_text("来源审核")
    for reviewer in ("li", "wang"):  # 李老师 did not upload this version: he may approve it
        with college.as_(reviewer) as page:
            college.open_work_item(page, "药学院")
            college.act(page, "approve")
    with college.as_("chen", **PHONE) as page:
        college.open_work_item(page, "药学院")
        page.locator("[data-testid=actions] [data-action=sign]").tap()
        page.wait_for_load_state()
        expect(page.get_by_test_id("state")).to_have_text("已报送责任单位")
    with college.as_("qian") as page:
        college.open_report_item(page)
        expect(page.get_by_test_id("merged").locator("tbody")).to_contain_text("王芳芳")
        page.locator("[data-action=start_second_review]").click()
        expect(page.get_by_test_id("state")).to_have_text("责任单位二审")
    for person, after in (("sun", "采集小组审核"), ("han", "学院审核")):
        with college.as_(person) as page:
            if person == "sun":
                college.open_report_item(page)
            else:
                page.goto(report_url)
            page.locator("#approve-confirm").check()
            page.locator("[data-action=approve]").click()
            expect(page.get_by_test_id("state")).to_have_text(after)
    # The college review group approves through bulk approve, after a preview.
    with college.as_("shao") as page:
        page.goto(f"{college.url}/cycles/{cycle.year}/bulk-approve/?stage=college_review")
        item = page.get_by_test_id("bulk-item").filter(has_text=TABLE)
        expect(item.get_by_role("checkbox")).to_be_checked()
        page.get_by_test_id("bulk-items").locator("xpath=..").locator("button[type=submit]").click()
        expect(page.get_by_test_id("ready")).to_contain_text(TABLE)
        with page.expect_navigation():
            page.locator("[data-action=confirm]").click()
        page.goto(report_url)
        expect(page.get_by_test_id("state")).to_have_text("已审定")
        expect(page.get_by_test_id("merged-hash")).to_be_visible()
        screenshot(page, "e2e-08-approved")
    assert state_of(report) == R.APPROVED and report.merged_hash

    # 8. Locked: no upload form and no action for the collector; stale posts are refused.
    with college.as_("zhang") as page:
        page.goto(contribution_url)
        expect(page.get_by_test_id("state")).to_have_text("已报送责任单位")
        expect(page.get_by_test_id("upload-form")).to_have_count(0)
        expect(page.locator("[data-testid=actions] [data-action]")).to_have_count(0)
        token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
        refused = page.request.post(
            f"{contribution_url}upload/",
            multipart={
                "csrfmiddlewaretoken": token,
                "file": {
                    "name": "晚到.xlsx",
                    "mimeType": "application/octet-stream",
                    "buffer": roster(ACADEMIC_ROWS),
                },
            },
        )
        assert refused.status == 422
        college.stale_post(page, f"/contributions/{pharmacy.pk}/submit/")
        expect(page.locator(".caiji-messages .alert-danger")).to_be_visible()
        screenshot(page, "e2e-08-locked-collector")
    with college.as_("qian") as page:
        page.goto(report_url)
        expect(page.get_by_test_id("actions")).to_have_count(0)
        college.stale_post(page, f"/reports/{report.pk}/start-second-review/")
        expect(page.locator(".caiji-messages .alert-danger")).to_be_visible()
        expect(page.get_by_test_id("state")).to_have_text("已审定")
    with college.as_("han") as page:
        page.goto(report_url)
        expect(page.get_by_test_id("actions")).to_have_count(0)
    assert state_of(report) == R.APPROVED and state_of(pharmacy) == S.DELIVERED
    assert pharmacy.versions.count() == 4
