"""Who hears about what: every transition notifies the people who act next (review/notifications.py).

The shared world of tests/review/conftest.py: 张老师 collects for 药学院 (assisting), 李老师 and
王老师 review there, 陈院长 heads it; 钱老师 collects for 教务处 (responsible), 孙老师 second-reviews
its merged tables, 郑处长 heads it; 韩老师 is the collection group, 邵老师 the college review group,
夏主任 the office; 赵老师 (护理学院) has nothing to do with 表1-6 and hears nothing of it.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse

from accounts.models import Notification, OutboxMessage, User
from review import workflow
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, deliver, to_head, upload

K = Notification.Kind
pytestmark = pytest.mark.django_db


def inbox(kind=None, **filters):
    """{username: [kind, …]} of the notifications written, optionally of one kind."""
    found: dict[str, list[str]] = {}
    rows = Notification.objects.filter(**filters).order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    for username, k in rows.values_list("recipient__username", "kind"):
        found.setdefault(username, []).append(k)
    return found


def usernames(staff, *keys):
    return {staff[k].username for k in keys}


def test_publication_tells_each_unit_collector_and_head_once(staff, assignment, cycle):
    published = inbox(K.PUBLISHED)
    assert set(published) == usernames(staff, "zhang", "chen", "qian", "zheng")
    assert staff["zhao"].username not in published  # 护理学院 has no table to fill
    note = Notification.objects.get(recipient=staff["zhang"], kind=K.PUBLISHED)
    assert note.link == reverse("home") and note.unit.name == "药学院"
    # Publishing again (nothing new) tells nobody a second time.
    from collection.services.assignments import breakdown_publish

    breakdown_publish(actor=staff["xia"], cycle=cycle)
    assert Notification.objects.filter(kind=K.PUBLISHED).count() == 4


def test_submit_asks_the_units_reviewers(staff, pharmacy):
    s = staff
    upload(pharmacy, s["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
    assert inbox(K.REVIEW_REQUEST) == {"200302": [K.REVIEW_REQUEST], "200303": [K.REVIEW_REQUEST]}
    note = Notification.objects.get(recipient=s["li"], kind=K.REVIEW_REQUEST)
    assert note.link == reverse("review:contribution_detail", args=[pharmacy.pk])
    assert "表1-6" in note.subject and "药学院" in note.subject


def test_second_approval_asks_the_head_to_sign_and_signing_tells_the_responsible_unit(
    staff, pharmacy
):
    s = staff
    upload(pharmacy, s["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
    workflow.contribution_approve(actor=s["li"], contribution=pharmacy)
    assert inbox(K.SIGN_REQUEST) == {}  # one approval is not enough
    workflow.contribution_approve(actor=s["wang"], contribution=pharmacy)
    assert inbox(K.SIGN_REQUEST) == {s["chen"].username: [K.SIGN_REQUEST]}

    workflow.contribution_sign(actor=s["chen"], contribution=pharmacy)
    delivered = inbox(K.OTHER)
    assert set(delivered) == usernames(s, "qian", "sun")  # 教务处's collector and second reviewer


def test_a_return_tells_the_collector_with_the_reason(staff, pharmacy):
    s = staff
    to_head(pharmacy, s["zhang"], [s["li"], s["wang"]], PHARMACY_ROWS)
    workflow.contribution_return(actor=s["chen"], contribution=pharmacy, reason="学号有误")
    assert inbox(K.RETURNED) == {s["zhang"].username: [K.RETURNED]}
    assert "学号有误" in Notification.objects.get(kind=K.RETURNED).body


def test_report_stages_ask_the_group_holding_the_next_stage(staff, report, delivered_all):
    s = staff
    before = Notification.objects.aggregate(last=Max("id"))["last"] or 0  # ids, not a count
    workflow.table_report_start_second_review(actor=s["qian"], report=report)
    assert inbox(K.REVIEW_REQUEST, id__gt=before) == {s["sun"].username: [K.REVIEW_REQUEST]}
    workflow.table_report_approve(actor=s["sun"], report=report)
    assert s["han"].username in inbox(K.REVIEW_REQUEST)
    workflow.table_report_approve(actor=s["han"], report=report)
    assert s["shao"].username in inbox(K.REVIEW_REQUEST)
    workflow.table_report_approve(actor=s["shao"], report=report)
    assert set(inbox(K.APPROVED)) == usernames(s, "qian", "sun", "zheng")

    workflow.table_report_reopen(actor=s["xia"], report=report, reason="平台规则变了")
    assert set(inbox(K.REOPENED)) == usernames(s, "qian", "sun", "zheng", "han")
    note = Notification.objects.get(recipient=s["han"], kind=K.REOPENED)
    assert "平台规则变了" in note.body

    workflow.table_report_return(actor=s["han"], report=report, reason="缺少两名学生")
    assert inbox(K.RETURNED) == {s["sun"].username: [K.RETURNED]}
    assert s["zhao"].username not in inbox()


def test_the_actor_is_not_told_of_their_own_action(staff, report, delivered_all):
    s = staff
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    assert s["sun"].username not in inbox(K.REVIEW_REQUEST)


def test_a_rolled_back_transition_notifies_nobody(
    staff, pharmacy, django_capture_on_commit_callbacks
):
    s = staff
    User.objects.filter(pk__in=[s["li"].pk, s["wang"].pk]).update(email="r@example.edu.cn")
    upload(pharmacy, s["zhang"], PHARMACY_ROWS)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
        raise RuntimeError("the request failed after the transition")
    assert inbox(K.REVIEW_REQUEST) == {}
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_emails_go_out_after_the_commit_once(staff, pharmacy, django_capture_on_commit_callbacks):
    s = staff
    User.objects.filter(pk=s["li"].pk).update(email="li@example.edu.cn")
    upload(pharmacy, s["zhang"], PHARMACY_ROWS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workflow.contribution_submit(actor=s["zhang"], contribution=pharmacy)
        assert mail.outbox == []  # nothing leaves before the commit
    assert callbacks
    assert [m.to for m in mail.outbox] == [["li@example.edu.cn"]]  # 王老师 has no address
    assert reverse("review:contribution_detail", args=[pharmacy.pk]) in mail.outbox[0].body
    assert OutboxMessage.objects.get().state == OutboxMessage.State.SENT


def test_one_robot_message_per_event(staff, cycle, pharmacy, django_capture_on_commit_callbacks):
    s = staff
    cycle.webhook_url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=abc"
    cycle.save(update_fields=["webhook_url"])
    to_head(pharmacy, s["zhang"], [s["li"], s["wang"]], PHARMACY_ROWS)
    OutboxMessage.objects.all().delete()
    workflow.contribution_return(actor=s["li"], contribution=pharmacy, reason="学号有误")
    robot = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WEBHOOK)
    assert robot.address == cycle.webhook_url
    assert robot.payload["msgtype"] == "markdown"
    assert "学号有误" in robot.payload["markdown"]["content"]


def test_delivery_by_every_unit_then_the_report_page_link(staff, report, pharmacy, academic):
    s = staff
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], ACADEMIC_ROWS)
    workflow.table_report_start_second_review(actor=s["qian"], report=report)
    note = Notification.objects.filter(recipient=s["sun"], kind=K.REVIEW_REQUEST).get()
    # The report page when it exists, My work until then.
    try:
        expected = reverse("review:report_detail", args=[report.pk])
    except NoReverseMatch:
        expected = reverse("home")
    assert note.link == expected


def test_with_the_broker_down_the_request_succeeds_and_the_mail_goes_out_later(
    staff, pharmacy, client, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from accounts.notifications import outbox_send
    from accounts.tasks import send_outbox

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(send_outbox, "delay", broker_down)
    s = staff
    User.objects.filter(pk=s["li"].pk).update(email="li@example.edu.cn")
    upload(pharmacy, s["zhang"], PHARMACY_ROWS)
    client.force_login(s["zhang"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review:contribution_submit", args=[pharmacy.pk]))
    assert response.status_code == 302
    pharmacy.refresh_from_db()
    assert pharmacy.state == "source_review"
    box = OutboxMessage.objects.get()
    assert box.state == OutboxMessage.State.PENDING and mail.outbox == []
    # Redis is back: the periodic sweep sends it.
    assert outbox_send() == 1
    assert [m.to for m in mail.outbox] == [["li@example.edu.cn"]]


def test_the_office_sets_the_robot_address_and_pages_never_show_its_key(staff, cycle, client):
    from accounts.models import Event

    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=top-secret"
    fields = ["snapshot_date", "academic_start", "academic_end", "natural_start", "natural_end"]
    dates = {name: getattr(cycle, name).isoformat() for name in fields}
    client.force_login(staff["xia"])
    page = reverse("review:cycle_detail", args=[cycle.year])
    response = client.post(page, {**dates, "dependency_mode": "warn", "webhook_url": url})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.webhook_url == url
    change = Event.objects.filter(action="cycle.update").latest("id").data["changed"]
    assert change["webhook_url"][1].endswith("key=****")
    text = client.get(page).content.decode()
    assert "top-secret" not in text and "key=****" in text
    # Saving the page again with the masked address keeps the address.
    masked = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****"
    client.post(page, {**dates, "dependency_mode": "warn", "webhook_url": masked})
    cycle.refresh_from_db()
    assert cycle.webhook_url == url
    # Emptying it switches the robot off.
    client.post(page, {**dates, "dependency_mode": "warn", "webhook_url": ""})
    cycle.refresh_from_db()
    assert cycle.webhook_url == ""
