"""张老师 drops his filled 表1-6 on the contribution page: he sees the progress bar, then the
saved version, without leaving the page (static/js/upload.js)."""

# ruff: noqa: F811  (the fixtures of tests/review/conftest.py are imported by name)

import base64
import time

import pytest

from collection.models import UploadJob
from collection.services import jobs
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.review.conftest import (  # noqa: F401  (fixtures)
    PHARMACY_ROWS,
    academic_staff,
    assignment,
    cycle,
    pharmacy,
    roster,
    staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name));
  const zone = document.querySelector("[data-dropzone]");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
  }
}"""


def sign_in(page, live_server, contribution):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号").fill("200301")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/contributions/{contribution.pk}/")


def wait_for_job(seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = UploadJob.objects.first()
        if job is not None:
            return job
        time.sleep(0.1)
    raise AssertionError("no upload job was created")


def test_a_dropped_large_file_shows_its_progress_then_the_version(
    live_server, page, pharmacy, settings, monkeypatch
):
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100  # every file here is "large"
    # As with a busy worker: the job waits in the queue until the test runs it below.
    monkeypatch.setattr(jobs, "_enqueue_on_commit", lambda job_id: None)
    sign_in(page, live_server, pharmacy)
    assert page.get_by_test_id("drop-zone").is_visible()
    content = base64.b64encode(roster(PHARMACY_ROWS)).decode()
    page.evaluate(DROP, [content, "药学院名单.xlsx"])
    progress = page.get_by_test_id("upload-progress")
    progress.wait_for(state="visible")
    job = wait_for_job()
    assert job.filename == "药学院名单.xlsx" and job.state == UploadJob.State.QUEUED
    page.wait_for_function(
        "document.querySelector('[data-upload-stage]').textContent.includes('%')"
    )
    assert page.locator("[data-upload-bar]").is_visible()
    screenshot(page, "upload-progress")

    jobs.upload_job_run(job_id=job.pk)  # the worker checks the file; upload.js then reloads
    page.wait_for_selector("[data-testid=current-version]")
    assert "药学院名单.xlsx" in page.get_by_test_id("current-version").inner_text()
    assert page.get_by_test_id("rows").inner_text() == "2"
    assert page.get_by_test_id("versions").get_by_role("link", name="药学院名单.xlsx").is_visible()
    screenshot(page, "upload-done")


def test_a_small_file_is_sent_with_the_button_and_checked_at_once(
    live_server, page, pharmacy, tmp_path
):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(roster(PHARMACY_ROWS))
    sign_in(page, live_server, pharmacy)
    page.get_by_label("填好的模板").set_input_files(str(path))
    page.get_by_role("button", name="上传并校验").click()
    page.wait_for_selector("[data-testid=current-version]")
    assert "名单.xlsx" in page.get_by_test_id("current-version").inner_text()
    assert not UploadJob.objects.exists()
