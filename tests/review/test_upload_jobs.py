"""Large uploads are checked in an UploadJob (a Celery task; inline without a worker).

张老师 (zhang) collects for 药学院 and uploads; 李老师 (li) reviews 药学院: she sees its jobs
but may not retry one; 赵老师 (zhao) collects for 护理学院 and gets 404 on anything of 药学院.
Every file here is larger than the inline limit the tests set, so it goes through a job.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Event
from collection import tasks
from collection.models import Upload, UploadJob, Version
from collection.services import jobs
from tests.review.conftest import BAD_ROWS, PHARMACY_ROWS, roster

J = UploadJob.State
BROKEN = b"PK\x03\x04 this is not a workbook " * 20


@pytest.fixture(autouse=True)
def _small_inline_limit(settings):
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


def page_url(contribution):
    return reverse("review:contribution_detail", args=[contribution.pk])


def post(client, contribution, content, name="名单.xlsx", **headers):
    return client.post(
        reverse("review:contribution_upload", args=[contribution.pk]),
        {"file": SimpleUploadedFile(name, content)},
        headers=headers,
    )


def status_url(job):
    return reverse("review:upload_job_status", args=[job.contribution_id, job.pk])


@pytest.mark.django_db(transaction=True)
def test_without_a_worker_the_job_runs_inside_the_request_and_the_page_shows_the_version(
    as_, pharmacy
):
    zhang = as_("zhang")
    response = post(zhang, pharmacy, roster(PHARMACY_ROWS), "大文件.xlsx")
    assert response.status_code == 302 and response.url == page_url(pharmacy)
    job = UploadJob.objects.get()
    assert (job.state, job.progress, job.attempts) == (J.DONE, 100, 1)
    assert job.version.number == 1 and job.filename == "大文件.xlsx"
    page = zhang.get(page_url(pharmacy))
    assert page.context["version"] == job.version
    assert page.context["jobs"] == []  # a finished job is no longer listed
    assert "第1版已保存。" in [str(m) for m in get_messages(page.wsgi_request)]
    actions = list(
        Event.objects.filter(object_id=str(pharmacy.pk)).values_list("action", flat=True)
    )
    assert "upload_job.create" in actions and "version.create" in actions


@pytest.mark.django_db(transaction=True)
def test_a_refused_file_is_a_failed_job_with_the_readers_reason_and_no_version(as_, pharmacy):
    zhang = as_("zhang")
    response = post(zhang, pharmacy, BROKEN)
    assert response.status_code == 422
    job = UploadJob.objects.get()
    refused = Upload.objects.get()
    assert refused.status == Upload.Status.REJECTED  # the file is kept as before
    assert job.state == J.FAILED and job.message == refused.reason
    assert response.context["upload_form"].errors["file"] == [refused.reason]
    assert not Version.objects.exists()
    assert job.version is None
    listed = zhang.get(page_url(pharmacy)).context["jobs"]
    assert [(j["state"], j["message"], j["retryable"]) for j in listed] == [
        ("failed", refused.reason, False)  # a refused file is fixed, not retried
    ]


@pytest.mark.django_db(transaction=True)
def test_upload_js_gets_json_the_size_cap_and_errors_are_the_same_as_inline(
    as_, pharmacy, settings
):
    zhang = as_("zhang")
    response = post(zhang, pharmacy, roster(BAD_ROWS), Accept="application/json")
    assert response.json() == {"state": "done", "redirect": page_url(pharmacy)}
    assert Version.objects.get().error_count == 1
    response = post(zhang, pharmacy, BROKEN, Accept="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [Upload.objects.filter(status="rejected").get().reason]
    settings.CAIJI_UPLOAD_MAX_BYTES = 1000
    response = post(zhang, pharmacy, b"x" * 2000)
    assert response.status_code == 422
    assert response.context["upload_form"].errors["file"] == [
        "文件超过 0 MB。请删除图片和其他工作表，只保留本表的工作表后重新上传。"
    ]
    assert UploadJob.objects.count() == 2  # the oversized file made no job


def test_with_a_worker_the_page_shows_the_job_until_it_is_done(
    as_, pharmacy, django_capture_on_commit_callbacks
):
    zhang = as_("zhang")
    # Inside the test's transaction the task is queued, not run: as with a real worker.
    with django_capture_on_commit_callbacks() as queued:
        response = post(zhang, pharmacy, roster(PHARMACY_ROWS), Accept="application/json")
    assert response.status_code == 202
    job = UploadJob.objects.get()
    assert response.json()["status_url"] == status_url(job)
    assert response.json()["state"] == "queued" and len(queued) == 1
    page = zhang.get(page_url(pharmacy))
    assert [j["id"] for j in page.context["jobs"]] == [job.pk] and page.context["jobs_active"]
    assert 'hx-trigger="every 2s"' in page.content.decode()
    queued[0]()  # the worker picks the task up
    data = zhang.get(status_url(job)).json()
    assert (data["state"], data["progress"], data["version"]) == ("done", 100, 1)
    partial = zhang.get(
        reverse("review:contribution_jobs", args=[pharmacy.pk]), headers={"HX-Request": "true"}
    )
    assert partial["HX-Refresh"] == "true"  # nothing runs any more: reload to show the version


def test_a_task_delivered_twice_does_nothing_the_second_time(
    staff, pharmacy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = jobs.upload_job_create(
            actor=staff["zhang"],
            contribution=pharmacy,
            file=SimpleUploadedFile("名单.xlsx", roster(PHARMACY_ROWS)),
        )
    tasks.upload_job_run(job.pk)
    tasks.upload_job_run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (J.DONE, 1)
    assert Version.objects.count() == 1


def test_a_stale_running_job_shows_as_stopped_and_the_uploader_retries_it(
    as_, staff, pharmacy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = jobs.upload_job_create(
            actor=staff["zhang"],
            contribution=pharmacy,
            file=SimpleUploadedFile("名单.xlsx", roster(PHARMACY_ROWS)),
        )
    # The worker died while reading, eleven minutes ago.
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    UploadJob.objects.filter(pk=job.pk).update(
        state=J.RUNNING, stage="reading", attempts=1, updated_at=long_ago
    )
    zhang = as_("zhang")
    data = zhang.get(status_url(job)).json()
    assert (data["state"], data["stage"], data["retryable"]) == ("failed", "stopped", True)
    assert data["message"] and data["stage_label"]  # says it stopped and to retry
    assert 'data-action="retry"' in zhang.get(page_url(pharmacy)).content.decode()
    retry = reverse("review:upload_job_retry", args=[pharmacy.pk, job.pk])
    assert zhang.get(retry).status_code == 405
    assert as_("li").post(retry).status_code == 403  # a reviewer sees it, may not retry
    with django_capture_on_commit_callbacks(execute=True):
        response = as_("zhang").post(retry)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, job.version.number) == (J.DONE, 2, 1)
    assert Event.objects.filter(action="upload_job.retry").count() == 1
    # A finished job is not retried.
    with django_capture_on_commit_callbacks(execute=True):
        as_("zhang").post(retry)
    job.refresh_from_db()
    assert job.attempts == 2 and Version.objects.count() == 1


def test_outsiders_get_404_on_the_jobs_of_another_unit(
    as_, staff, pharmacy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = jobs.upload_job_create(
            actor=staff["zhang"],
            contribution=pharmacy,
            file=SimpleUploadedFile("名单.xlsx", roster(PHARMACY_ROWS)),
        )
    zhao = as_("zhao")
    assert zhao.get(status_url(job)).status_code == 404
    assert zhao.get(reverse("review:contribution_jobs", args=[pharmacy.pk])).status_code == 404
    retry = reverse("review:upload_job_retry", args=[pharmacy.pk, job.pk])
    assert zhao.post(retry).status_code == 404
    assert post(zhao, pharmacy, roster(PHARMACY_ROWS)).status_code == 404
    assert UploadJob.objects.count() == 1
    assert as_("li").get(status_url(job)).status_code == 200
    assert (
        as_("li")
        .post(
            reverse("review:contribution_upload", args=[pharmacy.pk]),
            {"file": SimpleUploadedFile("名单.xlsx", roster(PHARMACY_ROWS))},
        )
        .status_code
        == 403
    )
    assert UploadJob.objects.count() == 1
