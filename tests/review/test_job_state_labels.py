"""One English word, several meanings: an upload job's “Failed” is not an e-mail's “Failed”.

张老师 (zhang) collects for 药学院 and sees its upload jobs; 夏主任 (xia) is the office and
sees the outbox and the export packages.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import OutboxMessage
from collection.models import ExportJob, UploadJob

pytestmark = pytest.mark.django_db

J = UploadJob.State


def _job(contribution, actor, **fields) -> UploadJob:
    return UploadJob.objects.create(
        contribution=contribution,
        filename="名单.xlsx",
        size=1,
        sha256="0" * 64,
        file="jobs/none",
        created_by=actor,
        **fields,
    )


def test_a_refused_or_stopped_upload_job_is_not_shown_as_a_failed_sending(
    client_for, staff, pharmacy
):
    _job(pharmacy, staff["zhang"], state=J.FAILED, stage="refused", message="文件无法读取。")
    stopped = _job(pharmacy, staff["zhang"], state=J.RUNNING, stage="reading")
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    UploadJob.objects.filter(pk=stopped.pk).update(updated_at=long_ago)
    waiting = _job(pharmacy, staff["zhang"], state=J.QUEUED)
    page = client_for("zhang").get(reverse("review:contribution_jobs", args=[pharmacy.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("校验失败") == 2  # the refused file and the stopped check
    assert "校验已中断" in text
    assert "等待校验" in text and waiting.filename in text
    assert "发送失败" not in text and "等待发送" not in text


def test_the_outbox_still_says_sending_failed(client_for, staff):
    OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        address="zhang@example.edu.cn",
        state=OutboxMessage.State.FAILED,
    )
    OutboxMessage.objects.create(channel=OutboxMessage.Channel.EMAIL, address="li@example.edu.cn")
    text = client_for("xia").get(reverse("accounts:outbox_list")).content.decode()
    assert "发送失败" in text and "等待发送" in text


def test_each_kind_of_job_says_failed_in_its_own_words():
    with translation.override("zh-hans"):
        assert str(ExportJob.State.FAILED.label) == "生成失败"
        assert str(ExportJob.State.QUEUED.label) == "等待生成"
        assert (str(J.FAILED.label), str(J.QUEUED.label)) == ("校验失败", "等待校验")
        assert str(OutboxMessage.State.FAILED.label) == "发送失败"
        assert str(OutboxMessage.State.PENDING.label) == "等待发送"
