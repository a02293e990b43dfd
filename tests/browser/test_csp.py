"""The main pages pass the Content-Security-Policy in Chromium (issue 7, item 4): no inline
script, no inline style (htmx's indicator styles, pygal's chart styles, Bootstrap's dropdowns
and the upload script included), for the people who use them.

The world: 表1-6 published with 药学院 assisting 教务处; 张老师 has uploaded a version with an
error for 药学院; 教务处's rows are delivered and signed by 郑处长; the office has published an
announcement with an attachment. Each persona signs in through the form, walks their pages
and works a little (uploads, checks a file, opens menus); every securitypolicyviolation event
and every "Content Security Policy" console message is collected: there must be none, and each
page must carry the policy header (else the walk would prove nothing).
"""

# ruff: noqa: F811  (the fixtures of tests/review/conftest.py are imported by name)

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collection.models import TableReport
from collection.services import announcements as notices
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.review.conftest import (  # noqa: F401  (fixtures)
    ACADEMIC_ROWS,
    BAD_ROWS,
    PHARMACY_ROWS,
    TABLE,
    academic,
    academic_staff,
    assignment,
    cycle,
    deliver,
    pharmacy,
    roster,
    staff,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page; reports through the console, which survives navigation.
WATCH = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP-VIOLATION ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A signed-in browser context that records policy violations, script errors and the
    policy header of every page."""

    def __init__(self, browser, base_url: str):
        self.base = base_url
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.pages: list[tuple[str, int, str | None]] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text:
            self.violations.append(f"{self.page.url}: {text}")

    def _response(self, response) -> None:
        if response.request.resource_type == "document":
            policy = response.headers.get("content-security-policy")
            self.pages.append((response.url, response.status, policy))

    def sign_in(self, username: str) -> None:
        self.page.goto(f"{self.base}/accounts/login/")
        self.page.get_by_label("工号").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(f"{self.base}/")

    def visit(self, path: str) -> None:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        self.page.wait_for_load_state("load")

    def open_user_menu(self) -> None:
        """Bootstrap's dropdown (Popper positions it through the CSSOM, which CSP allows)."""
        self.page.get_by_test_id("user-menu").click()
        self.page.locator(".dropdown-menu.show").first.wait_for(state="visible")

    def settle(self) -> None:
        time.sleep(0.3)  # violation events are queued as tasks: let the last ones arrive

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def world(staff, pharmacy, academic, units):
    upload(pharmacy, staff["zhang"], BAD_ROWS)  # a version with an error: findings are listed
    deliver(academic, staff["qian"], [staff["zhou"], staff["wu"]], staff["zheng"], ACADEMIC_ROWS)
    notice = notices.announcement_save(actor=staff["xia"], title="2026年数据采集工作方案")
    notices.attachment_add(
        actor=staff["xia"], announcement=notice, file=SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x")
    )
    notices.announcement_publish(actor=staff["xia"], announcement=notice)
    return {
        "pharmacy": pharmacy,
        "academic": academic,
        "notice": notice,
        "report": TableReport.objects.get(assignment=pharmacy.assignment),
        "year": pharmacy.assignment.cycle.year,
    }


def walk_collector(w: Watched, world, tmp_path) -> None:
    """张老师: my work, his contribution (upload through static/js/upload.js), its rows, the
    check page with a result, the announcements."""
    w.sign_in("200301")
    w.visit("/")
    w.open_user_menu()
    pk = world["pharmacy"].pk
    w.visit(f"/contributions/{pk}/")
    fixed = tmp_path / "药学院名单.xlsx"
    fixed.write_bytes(roster(PHARMACY_ROWS))
    w.page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(fixed)
    w.page.get_by_test_id("upload-form").locator("button[type=submit]").click()
    w.page.wait_for_selector("[data-testid=current-version]:has-text('药学院名单.xlsx')")
    w.visit(f"/contributions/{pk}/rows/")
    w.visit("/check/")
    w.page.locator("select[name=table]").select_option(TABLE)
    w.page.locator("input[name=file]").set_input_files(fixed)
    w.page.get_by_role("button", name="校验", exact=True).click()
    w.page.wait_for_selector("[data-testid=rows]")  # the result, on the same address
    w.visit("/announcements/")
    w.visit(f"/announcements/{world['notice'].pk}/")
    screenshot(w.page, "csp-collector")


def walk_reviewer(w: Watched, world) -> None:
    """李老师 reviews 药学院's contribution (the return form with remarks.js)."""
    w.sign_in("200302")
    w.visit(f"/contributions/{world['pharmacy'].pk}/")
    w.visit(f"/reports/{world['report'].pk}/")


def walk_head(w: Watched, world) -> None:
    """郑处长 prints 教务处's sign-off sheet (print.js, the QR code's SVG)."""
    w.sign_in("100204")
    w.visit(f"/contributions/{world['academic'].pk}/signoff/")
    assert w.page.get_by_test_id("signoff-qr").is_visible()


def walk_office(w: Watched, world) -> None:
    """夏主任: the dashboard (pygal's SVG chart), the cycle, a table report, the tables, units
    and people, the audit trail, the announcements."""
    year = world["year"]
    w.sign_in("101206")
    w.visit(f"/cycles/{year}/dashboard/")
    assert w.page.get_by_test_id("chart").locator("svg").is_visible()
    screenshot(w.page, "csp-dashboard")
    w.visit(f"/cycles/{year}/")
    w.visit(f"/reports/{world['report'].pk}/")
    w.visit("/cycles/")
    w.visit(f"/cycles/{year}/tables/{TABLE}/")
    w.visit(f"/cycles/{year}/completeness/")
    w.visit("/office/units/")
    w.visit("/office/people/")
    w.visit("/office/audit/")
    w.visit("/announcements/")
    w.visit("/inbox/")
    w.open_user_menu()


def walk_leadership(w: Watched, world) -> None:
    """孔院长 watches progress and reads the audit trail."""
    w.sign_in("000001")
    w.visit("/dashboard/")
    w.visit("/office/audit/")


def test_the_main_pages_break_no_rule_of_the_policy(browser, live_server, world, tmp_path):
    walks = [
        lambda w: walk_collector(w, world, tmp_path),
        lambda w: walk_reviewer(w, world),
        lambda w: walk_head(w, world),
        lambda w: walk_office(w, world),
        lambda w: walk_leadership(w, world),
    ]
    violations, errors, unprotected, seen = [], [], [], 0
    for walk in walks:
        w = Watched(browser, live_server.url)
        try:
            walk(w)
            w.settle()
        finally:
            w.close()
        violations += w.violations
        errors += w.errors
        unprotected += [url for url, status, policy in w.pages if status == 200 and not policy]
        seen += len(w.pages)
    assert seen >= 25
    assert unprotected == []
    assert violations == []
    assert errors == []


def test_the_watch_does_see_a_violation(browser, live_server, people):
    """The walk above proves something only if an inline style would be reported."""
    w = Watched(browser, live_server.url)
    try:
        w.sign_in("200301")
        w.page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')"
        )
        w.page.wait_for_function("true")
        deadline = time.monotonic() + 5
        while not w.violations and time.monotonic() < deadline:
            w.page.wait_for_timeout(100)
    finally:
        w.close()
    assert any("style-src" in v for v in w.violations), w.violations
