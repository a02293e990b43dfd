import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_collector_signs_in_and_sees_my_work_in_chinese(live_server, page, people):
    page.goto(f"{live_server.url}/")
    assert page.locator("h2", has_text="登录").is_visible()
    screenshot(page, "login")
    page.get_by_label("工号").fill("200301")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "我的工作"
    assert page.get_by_text("数据采集员").first.is_visible()
    assert page.get_by_test_id("no-work").is_visible()
    # A collector's navigation has no office pages.
    assert page.get_by_role("link", name="单位", exact=True).count() == 0
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "home-collector")


def test_wrong_password_shows_a_chinese_message(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill("200301")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("工号或密码不正确")


def test_office_sees_units_with_their_staffing(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill("101206")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="单位", exact=True).click()
    assert page.locator("h1").inner_text() == "单位"
    assert page.get_by_role("cell", name="药学院").is_visible()
    screenshot(page, "units-office")
    page.get_by_role("link", name="护理学院").click()
    assert page.get_by_test_id("staffing-warnings").is_visible()
    screenshot(page, "unit-detail")
