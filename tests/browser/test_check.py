import pytest

from collection.services.specs import catalog_load
from tests.browser.conftest import screenshot
from tests.collection.test_check_page import ROWS, roster
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_collector_checks_a_file_and_sees_every_finding(live_server, page, people, tmp_path):
    catalog_load(actor=None, year=2026)
    path = tmp_path / "本科生名单.xlsx"
    path.write_bytes(roster(ROWS))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill("200301")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="校验文件").first.click()
    page.get_by_label("数据表").select_option("表1-6")
    page.get_by_label("填好的模板").set_input_files(str(path))
    screenshot(page, "check-form")
    page.get_by_role("button", name="校验", exact=True).click()
    page.wait_for_selector("[data-testid=findings]")
    assert page.get_by_test_id("rows").inner_text() == "4"
    table = page.get_by_test_id("findings")
    assert table.get_by_role("cell", name="未知", exact=True).is_visible()
    assert int(page.get_by_test_id("errors").inner_text()) >= 4
    screenshot(page, "check-result")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载批注版工作簿").click()
    assert download.value.suggested_filename.endswith("（校验结果）.xlsx")


def test_office_browses_a_cycle_and_a_table(live_server, page, people):
    catalog_load(actor=None, year=2026)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill("101206")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/cycles/2026/")
    screenshot(page, "cycle-detail")
    page.get_by_role("link", name="表5-1-1").click()
    assert "开课情况" in page.locator("h1").inner_text()
    screenshot(page, "table-detail")
