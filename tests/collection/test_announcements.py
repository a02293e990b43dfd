"""Announcements (通知公告), the services: the office writes and publishes; the collectors and
heads of the target units are notified once each and confirm they have read it.

Personas (tests/conftest.py): 夏主任 (xia) is the office; 张老师 (zhang) collects for 药学院 and
陈院长 (chen) heads it; 李老师 (li) reviews for it (not asked to confirm); 赵老师 (zhao) collects
for 护理学院.
"""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts_services
from accounts.models import Event, Notification, OutboxMessage
from accounts.roles import UnitRole
from collection.models import AnnouncementReceipt
from collection.services import announcements as notices

PDF = b"%PDF-1.4 work plan"


@pytest.fixture
def draft(people, units):
    return notices.announcement_save(
        actor=people["xia"],
        title="2026年数据采集工作方案",
        body="请各单位阅读工作方案和分工表。",
        all_units=False,
        units=[units["pharmacy"]],
    )


def publish(people, announcement):
    return notices.announcement_publish(actor=people["xia"], announcement=announcement)


def test_publish_notifies_the_collectors_and_heads_of_the_target_units_once_each(
    people, units, draft
):
    # 张老师 also collects for 教务处: still one notification.
    accounts_services.role_assign(
        actor=None, user=people["zhang"], role=UnitRole.COLLECTOR, unit=units["academic"]
    )
    accounts_services.person_update(
        actor=None,
        person=people["chen"],
        name="陈院长",
        unit=units["pharmacy"],
        email="chen@example.edu.cn",
    )
    draft.units.add(units["academic"])
    announcement = publish(people, draft)
    assert announcement.published_at is not None
    told = Notification.objects.filter(kind=Notification.Kind.ANNOUNCEMENT)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["200301", "200304"]
    assert all(n.link == f"/announcements/{announcement.pk}/" for n in told)
    assert OutboxMessage.objects.filter(address="chen@example.edu.cn").count() == 1
    event = Event.objects.get(action="announcement.publish")
    assert event.actor == people["xia"] and event.data["notified"] == 2


def test_to_every_unit_reaches_every_units_collector_and_head(people, units):
    a = notices.announcement_save(actor=people["xia"], title="培训材料", all_units=True)
    publish(people, a)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"200301", "200304", "200201"}  # 张老师, 陈院长, 赵老师


def test_only_the_office_writes_and_publishes(people, units, draft):
    with pytest.raises(PermissionDenied):
        notices.announcement_save(actor=people["zhang"], title="x")
    with pytest.raises(PermissionDenied):
        notices.announcement_publish(actor=people["chen"], announcement=draft)
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_published_announcement_never_changes(people, draft):
    publish(people, draft)
    with pytest.raises(ValidationError):
        notices.announcement_save(actor=people["xia"], announcement=draft, title="改")
    with pytest.raises(ValidationError):
        publish(people, draft)
    with pytest.raises(ValidationError):
        notices.attachment_add(
            actor=people["xia"], announcement=draft, file=SimpleUploadedFile("a.pdf", PDF)
        )
    assert Notification.objects.count() == 2  # the first publication only


def test_chosen_units_must_be_given(people):
    with pytest.raises(ValidationError):
        notices.announcement_save(actor=people["xia"], title="x", all_units=False, units=[])


def test_an_attachment_is_kept_as_it_came(people, draft):
    f = notices.attachment_add(
        actor=people["xia"],
        announcement=draft,
        file=SimpleUploadedFile("数据填报分工表.xlsx", b"PK\x03\x04 sheet"),
    )
    assert f.filename == "数据填报分工表.xlsx"
    assert f.size == len(b"PK\x03\x04 sheet")
    assert f.sha256 == hashlib.sha256(b"PK\x03\x04 sheet").hexdigest()
    assert f.file.read() == b"PK\x03\x04 sheet"
    assert Event.objects.filter(action="announcement.attach").get().data["sha256"] == f.sha256


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00"),
        ("工作方案.pdf", b"MZ\x90\x00 a program named like a pdf"),
        ("run.sh", b"echo hi"),
        ("page.html", b"<script>alert(1)</script>"),
        ("macro.xlsm", b"PK\x03\x04"),
        ("..\\..\\windows\\win.pdf", PDF),
        ("report\u202efdp.exe", PDF),  # a right-to-left override hides .exe
        (".hidden.pdf", PDF),
        ("noextension", PDF),
    ],
)
def test_programs_and_hostile_names_are_refused(people, draft, name, content):
    with pytest.raises(ValidationError):
        notices.attachment_add(
            actor=people["xia"], announcement=draft, file=SimpleUploadedFile(name, content)
        )
    assert not draft.attachments.exists()


def test_a_path_in_the_name_is_dropped(people, draft):
    f = notices.attachment_add(
        actor=people["xia"],
        announcement=draft,
        file=SimpleUploadedFile("../../etc/passwd.pdf", PDF),
    )
    assert f.filename == "passwd.pdf"
    assert f.file.name.startswith("announcements/") and ".." not in f.file.name


def test_the_size_is_capped(people, draft, settings):
    settings.CAIJI_ANNOUNCEMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        notices.attachment_add(
            actor=people["xia"],
            announcement=draft,
            file=SimpleUploadedFile("big.pdf", PDF),
        )
    assert not draft.attachments.exists()


def test_collector_and_head_confirm_once_and_the_office_sees_who_has_not(people, draft):
    publish(people, draft)
    [row] = notices.read_status(draft)
    assert {p.username for p in row.unread} == {"200301", "200304"}

    assert notices.announcement_confirm_read(actor=people["zhang"], announcement=draft) == 1
    assert notices.announcement_confirm_read(actor=people["zhang"], announcement=draft) == 0
    assert AnnouncementReceipt.objects.filter(user=people["zhang"]).count() == 1
    assert Event.objects.filter(action="announcement.read").count() == 1
    [row] = notices.read_status(draft)
    assert [p.username for p in row.unread] == ["200304"]
    assert row.collectors == [(people["zhang"], True)]
    assert row.heads == [(people["chen"], False)]


def test_only_a_target_units_collector_or_head_confirms(people, draft):
    publish(people, draft)
    for key in ("li", "zhao", "xia"):
        with pytest.raises(PermissionDenied):
            notices.announcement_confirm_read(actor=people[key], announcement=draft)
    assert not AnnouncementReceipt.objects.exists()


def test_a_draft_cannot_be_confirmed(people, draft):
    with pytest.raises(ValidationError):
        notices.announcement_confirm_read(actor=people["zhang"], announcement=draft)


def test_the_reminder_goes_to_those_who_have_not_read_once_a_day(people, draft):
    publish(people, draft)
    notices.announcement_confirm_read(actor=people["zhang"], announcement=draft)
    assert notices.announcement_remind(actor=people["xia"], announcement=draft) == 1
    assert notices.announcement_remind(actor=people["xia"], announcement=draft) == 0
    reminders = Notification.objects.filter(dedupe_key__contains=":remind:")
    assert list(reminders.values_list("recipient__username", flat=True)) == ["200304"]
    with pytest.raises(PermissionDenied):
        notices.announcement_remind(actor=people["zhang"], announcement=draft)


def test_unread_for_user_until_confirmed(people, draft):
    assert not notices.unread_for_user(people["zhang"]).exists()  # a draft is not shown
    publish(people, draft)
    assert list(notices.unread_for_user(people["zhang"])) == [draft]
    assert not notices.unread_for_user(people["li"]).exists()  # reviewers do not confirm
    assert not notices.unread_for_user(people["zhao"]).exists()  # not for 护理学院
    notices.announcement_confirm_read(actor=people["zhang"], announcement=draft)
    assert not notices.unread_for_user(people["zhang"]).exists()
    assert list(notices.unread_for_user(people["chen"])) == [draft]


def test_who_may_see_an_announcement(people, draft):
    assert notices.may_see(people["xia"], draft)
    assert not notices.may_see(people["zhang"], draft)  # a draft: the office only
    publish(people, draft)
    draft.refresh_from_db()
    for key in ("zhang", "li", "chen", "han", "kong"):
        assert notices.may_see(people[key], draft), key
    assert not notices.may_see(people["zhao"], draft)
    assert not notices.may_see(people["sun"], draft)
