"""The outbox and the inbox (accounts/notifications.py, accounts/views/inbox.py).

张老师 (zhang) and 李老师 (li) receive notifications; each sees only their own. 夏主任 (xia) is the
office and may send a failed message again; 张老师 may not.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import notifications
from accounts.models import Notification, OutboxMessage
from accounts.notifications import Message, mask_url, notify, outbox_send, webhook_queue
from tests.concurrency import busy_wait

K = Notification.Kind
S = OutboxMessage.State


class Robot:
    """A group robot on 127.0.0.1: records every POST; answers ``errcode`` 0 unless told to
    fail."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.fail = False
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if robot.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                robot.received.append((self.path, json.loads(body)))
                answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


def message(kind=K.OTHER, subject="表1-6 已报送", link="/contributions/1/"):
    return Message(kind, subject, "药学院已报送。", link)


@pytest.fixture
def with_email(people):
    people["zhang"].email = "zhang@example.edu.cn"
    people["zhang"].save(update_fields=["email"])
    return people


# Notify and the outbox -----------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_writes_an_email_for_people_with_an_address(with_email):
    p = with_email
    created = notify([p["zhang"], p["li"], p["zhang"]], message(), dedupe_key="k1")
    assert sorted(n.recipient.username for n in created) == ["200301", "200302"]
    box = OutboxMessage.objects.get()
    assert (box.channel, box.address, box.state) == ("email", "zhang@example.edu.cn", S.PENDING)
    assert box.payload["subject"] == "表1-6 已报送"
    # The same key again: nothing new for anyone.
    assert notify([p["zhang"], p["li"]], message(), dedupe_key="k1") == []
    assert Notification.objects.count() == 2 and OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_email_goes_out_once_however_often_the_task_runs(with_email, settings):
    settings.CAIJI_SITE_URL = "https://caiji.example.edu.cn"
    notify([with_email["zhang"]], message())
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    assert outbox_send(ids) == 1
    assert outbox_send(ids) == 0
    assert outbox_send() == 0  # the periodic sweep finds nothing due
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["zhang@example.edu.cn"] and sent.subject == "表1-6 已报送"
    assert "https://caiji.example.edu.cn/contributions/1/" in sent.body
    box = OutboxMessage.objects.get()
    assert box.state == S.SENT and box.attempts == 1 and box.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sends_send_once(with_email):
    notify([with_email["zhang"]], message())
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(4)
    sent: list[int] = []

    def run():
        try:
            barrier.wait()
            sent.append(busy_wait(lambda: outbox_send(ids)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [0, 0, 0, 1]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failing_mail_server_leaves_the_message_pending_then_it_goes_out(with_email, monkeypatch):
    notify([with_email["zhang"]], message())
    box = OutboxMessage.objects.get()

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    now = timezone.now()
    assert outbox_send([box.pk], now=now) == 0
    box.refresh_from_db()
    assert box.state == S.PENDING and box.attempts == 1 and "smtp down" in box.last_error
    assert box.next_attempt_at > now
    assert outbox_send(now=now) == 0  # not yet due: backing off
    monkeypatch.undo()
    assert outbox_send(now=now + timedelta(hours=1)) == 1
    box.refresh_from_db()
    assert box.state == S.SENT and box.attempts == 2 and box.last_error == ""
    assert len(mail.outbox) == 1


# The group robot -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_robot_gets_wecom_markdown(robot):
    box = webhook_queue(robot.url, title="表1-6 已审定", text="教务处的表1-6 已审定。")
    assert outbox_send([box.pk]) == 1
    (path, payload) = robot.received[0]
    assert path == "/cgi-bin/webhook/send?key=secret"
    assert payload == {
        "msgtype": "markdown",
        "markdown": {"content": "### 表1-6 已审定\n教务处的表1-6 已审定。"},
    }
    box.refresh_from_db()
    assert box.state == S.SENT
    assert outbox_send([box.pk]) == 0 and len(robot.received) == 1


def test_dingtalk_addresses_get_dingtalk_markdown():
    payload = notifications.webhook_payload(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", "标题", "内容"
    )
    assert payload == {
        "msgtype": "markdown",
        "markdown": {"title": "标题", "text": "### 标题\n\n内容"},
    }


@pytest.mark.django_db
def test_a_failing_robot_is_tried_again_later(robot):
    box = webhook_queue(robot.url, title="t", text="x")
    robot.fail = True
    now = timezone.now()
    assert outbox_send([box.pk], now=now) == 0
    box.refresh_from_db()
    assert box.state == S.PENDING and box.attempts == 1 and "500" in box.last_error
    robot.fail = False
    assert outbox_send(now=now + timedelta(hours=1)) == 1
    box.refresh_from_db()
    assert box.state == S.SENT and len(robot.received) == 1


@pytest.mark.django_db
def test_a_robot_refusing_the_message_counts_as_a_failure(monkeypatch):
    def answer(*args, **kwargs):
        raise notifications.SendError("errcode 93000: invalid webhook url")

    box = webhook_queue("http://127.0.0.1:9/x", title="t", text="x")
    monkeypatch.setattr(notifications, "post_json", answer)
    for _attempt in range(notifications.MAX_ATTEMPTS):
        box.next_attempt_at = None
        box.save(update_fields=["next_attempt_at"])
        outbox_send([box.pk])
    box.refresh_from_db()
    assert box.state == S.FAILED and box.attempts == notifications.MAX_ATTEMPTS
    assert "93000" in box.last_error


def test_robot_addresses_are_masked():
    assert (
        mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123")
        == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****"
    )
    assert mask_url("") == ""


# The inbox -----------------------------------------------------------------------------------


@pytest.fixture
def notes(people):
    older = notify([people["zhang"]], message(subject="较早的通知"))[0]
    newer = notify([people["zhang"]], message(subject="较新的通知", link="/"))[0]
    other = notify([people["li"]], message(subject="李老师的通知"))[0]
    return {"older": older, "newer": newer, "other": other}


@pytest.mark.django_db
def test_the_inbox_shows_my_notifications_newest_first_with_the_unread_count(client_for, notes):
    response = client_for("zhang").get(reverse("accounts:inbox"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index("较新的通知") < text.index("较早的通知")
    assert "李老师的通知" not in text
    assert 'data-testid="inbox-badge">2<' in text
    assert text.count("data-unread") == 2


@pytest.mark.django_db
def test_marking_one_and_all_as_read(client_for, notes):
    client = client_for("zhang")
    url = reverse("accounts:notification_read", args=[notes["older"].pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:inbox")
    notes["older"].refresh_from_db()
    assert notes["older"].read_at is not None
    # Opening one marks it read and goes to its page.
    response = client.post(
        reverse("accounts:notification_read", args=[notes["newer"].pk]), {"open": "1"}
    )
    assert response["Location"] == "/"
    text = client.get(reverse("accounts:inbox")).content.decode()
    assert "data-unread" not in text and 'data-testid="inbox-badge"' not in text

    notify([notes["older"].recipient], message(subject="再一条"))
    client.post(reverse("accounts:notification_read_all"))
    assert not Notification.objects.filter(recipient__username="200301", read_at=None).exists()
    notes["other"].refresh_from_db()
    assert notes["other"].read_at is None  # 李老师's is untouched


@pytest.mark.django_db
def test_another_persons_notification_is_not_found(client_for, notes):
    response = client_for("zhang").post(
        reverse("accounts:notification_read", args=[notes["other"].pk]), {"open": "1"}
    )
    assert response.status_code == 404
    notes["other"].refresh_from_db()
    assert notes["other"].read_at is None


# The office's outbox page --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_office_sees_failed_messages_and_sends_them_again(client_for, robot):
    box = webhook_queue(robot.url, title="t", text="x")
    OutboxMessage.objects.filter(pk=box.pk).update(
        state=S.FAILED, attempts=8, last_error="URLError: timed out"
    )
    client = client_for("xia")
    text = client.get(reverse("accounts:outbox_list")).content.decode()
    assert "timed out" in text
    assert "key=secret" not in text and "key=****" in text
    response = client.post(reverse("accounts:outbox_retry", args=[box.pk]))
    assert response.status_code == 302
    box.refresh_from_db()
    # Sent at the commit; the test's transaction never commits, so it is waiting now.
    assert box.state == S.PENDING and box.next_attempt_at is None
    assert outbox_send() == 1 and len(robot.received) == 1


@pytest.mark.django_db
def test_only_the_office_sees_the_outbox(client_for):
    box = webhook_queue("http://127.0.0.1:9/x", title="t", text="x")
    client = client_for("zhang")
    assert client.get(reverse("accounts:outbox_list")).status_code == 403
    assert client.post(reverse("accounts:outbox_retry", args=[box.pk])).status_code == 403
