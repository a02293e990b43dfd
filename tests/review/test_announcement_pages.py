"""Announcement pages: the office writes, attaches and publishes and sees who has read; the
collector and head of a target unit see it on My work and in the navigation and confirm.

Personas: 夏主任 (xia) the office; 张老师 (zhang) collects for 药学院, 陈院长 (chen) heads it,
李老师 (li) reviews for it; 赵老师 (zhao) collects for 护理学院 and must get 404 on anything for
药学院 only.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Event, Notification
from collection.models import Announcement, AnnouncementReceipt
from collection.services import announcements as notices

PDF = b"%PDF-1.4 training"


@pytest.fixture
def published(people, units):
    a = notices.announcement_save(
        actor=people["xia"],
        title="数据采集培训材料",
        body="请阅读附件。",
        all_units=False,
        units=[units["pharmacy"]],
    )
    notices.attachment_add(
        actor=people["xia"], announcement=a, file=SimpleUploadedFile("培训.pdf", PDF)
    )
    return notices.announcement_publish(actor=people["xia"], announcement=a)


def test_the_office_writes_attaches_and_publishes(client_for, units):
    client = client_for("xia")
    response = client.post(
        reverse("collection:announcement_create"),
        {"title": "2026年工作方案", "body": "方案见附件", "units": [units["pharmacy"].pk]},
    )
    a = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:announcement_edit", args=[a.pk])
    assert not a.all_units and list(a.units.all()) == [units["pharmacy"]]
    response = client.post(
        reverse("collection:announcement_attach", args=[a.pk]),
        {"file": SimpleUploadedFile("分工表.xlsx", b"PK\x03\x04 sheet")},
    )
    assert response.status_code == 302
    assert a.attachments.get().filename == "分工表.xlsx"
    page = client.get(reverse("collection:announcement_edit", args=[a.pk])).content.decode()
    assert "分工表.xlsx" in page
    response = client.post(reverse("collection:announcement_publish", args=[a.pk]))
    assert response["Location"] == reverse("collection:announcement_detail", args=[a.pk])
    a.refresh_from_db()
    assert a.published_at is not None
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "200301",
        "200304",
    }


def test_an_executable_attachment_is_refused_on_the_page(client_for, people):
    a = notices.announcement_save(actor=people["xia"], title="x")
    client = client_for("xia")
    response = client.post(
        reverse("collection:announcement_attach", args=[a.pk]),
        {"file": SimpleUploadedFile("工具.exe", b"MZ\x90\x00")},
        follow=True,
    )
    assert response.status_code == 200
    assert not a.attachments.exists()
    assert "工具.exe" in response.content.decode()  # the message names the file


def test_only_the_office_writes(client_for, published):
    client = client_for("zhang")
    assert client.get(reverse("collection:announcement_create")).status_code == 403
    response = client.post(reverse("collection:announcement_remind", args=[published.pk]))
    assert response.status_code == 403


def test_the_collector_sees_it_on_my_work_and_confirms(client_for, published):
    client = client_for("zhang")
    home = client.get(reverse("home")).content.decode()
    detail = reverse("collection:announcement_detail", args=[published.pk])
    assert 'data-testid="unread-announcements"' in home and detail in home
    assert re.search(r'data-testid="announcements-badge">1<', home)
    page = client.get(detail).content.decode()
    assert 'data-testid="confirm-read"' in page
    assert (
        client.get(reverse("collection:announcement_read", args=[published.pk])).status_code == 405
    )
    response = client.post(reverse("collection:announcement_read", args=[published.pk]))
    assert response.status_code == 302
    assert AnnouncementReceipt.objects.filter(user__username="200301").count() == 1
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-announcements"' not in home
    assert 'data-testid="announcements-badge"' not in home
    assert 'data-testid="confirmed"' in client.get(detail).content.decode()


def test_the_office_sees_who_has_not_read_and_reminds_them(client_for, people, published):
    notices.announcement_confirm_read(actor=people["zhang"], announcement=published)
    client = client_for("xia")
    page = client.get(reverse("collection:announcement_detail", args=[published.pk]))
    html = page.content.decode()
    assert 'data-person="200301" data-read="1"' in html
    assert 'data-person="200304" data-read="0"' in html
    assert 'data-unit="2003" data-unread="1"' in html
    response = client.post(reverse("collection:announcement_remind", args=[published.pk]))
    assert response.status_code == 302
    reminded = Notification.objects.filter(dedupe_key__contains=":remind:")
    assert list(reminded.values_list("recipient__username", flat=True)) == ["200304"]
    assert Event.objects.filter(action="announcement.remind", actor=people["xia"]).exists()


def test_a_reviewer_reads_and_downloads_but_does_not_confirm(client_for, published):
    client = client_for("li")
    attachment = published.attachments.get()
    page = client.get(reverse("collection:announcement_detail", args=[published.pk]))
    assert page.status_code == 200
    assert 'data-testid="confirm-read"' not in page.content.decode()
    response = client.get(
        reverse("collection:announcement_file", args=[published.pk, attachment.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    response = client.post(reverse("collection:announcement_read", args=[published.pk]))
    assert response.status_code == 403


def test_an_outsider_gets_404_on_the_announcement_and_its_attachment(client_for, published):
    client = client_for("zhao")
    attachment = published.attachments.get()
    assert (
        client.get(reverse("collection:announcement_detail", args=[published.pk])).status_code
        == 404
    )
    response = client.get(
        reverse("collection:announcement_file", args=[published.pk, attachment.pk])
    )
    assert response.status_code == 404
    assert (
        client.post(reverse("collection:announcement_read", args=[published.pk])).status_code == 404
    )
    listing = client.get(reverse("collection:announcement_list")).content.decode()
    assert published.title not in listing


def test_a_draft_is_the_offices_only(client_for, people):
    draft = notices.announcement_save(actor=people["xia"], title="草稿通知")
    assert (
        client_for("zhang")
        .get(reverse("collection:announcement_detail", args=[draft.pk]))
        .status_code
        == 404
    )
    listing = client_for("xia").get(reverse("collection:announcement_list")).content.decode()
    assert "草稿通知" in listing


def test_attachments_have_no_public_address(client_for, published, settings):
    """The file lives under MEDIA_ROOT, which no URL serves; only the checked view does."""
    attachment = published.attachments.get()
    client = client_for("zhang")
    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert client.get(f"/{attachment.file.name}").status_code == 404
