"""Notifications (收件箱) and the outbox of outgoing messages (e-mail, group robot).

Everything is written to the database first, in the transaction of the change it tells about;
``accounts.tasks.send_outbox`` sends the outbox after the commit. A message is sent while its row
is locked and marked sent in the same transaction, so a retried or duplicated task sends nothing
twice; with the broker or the worker down the messages stay pending and the periodic
``send_outbox`` (Celery beat, every minute) sends them later.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import event_record
from accounts.models import Notification, OutboxMessage, Unit, User

log = logging.getLogger(__name__)

Kind = Notification.Kind
O = OutboxMessage  # noqa: E741
MAX_ATTEMPTS = 8
WEBHOOK_TIMEOUT = 5  # seconds
DINGTALK_HOSTS = ("oapi.dingtalk.com",)


@dataclass(frozen=True)
class Message:
    """What one notification says: the same for every recipient of one event."""

    kind: str
    subject: str
    body: str = ""
    link: str = ""


# Writing ------------------------------------------------------------------------------------


def notify(
    recipients: Iterable[User],
    message: Message,
    *,
    unit: Unit | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """One notification per distinct active recipient, and an e-mail in the outbox for those
    with an address. With ``dedupe_key``, a person who already has a notification under that key
    gets nothing new (reminders run twice a day, a dispatcher run twice). Returns the new ones;
    the caller enqueues their outbox with ``outbox_enqueue``."""
    people = {p.pk: p for p in recipients if p is not None and p.is_active}
    if dedupe_key and people:
        seen = Notification.objects.filter(recipient_id__in=people, dedupe_key=dedupe_key)
        for pk in seen.values_list("recipient_id", flat=True):
            people.pop(pk, None)
    if not people:
        return []
    fresh = [
        Notification(
            recipient=person,
            kind=message.kind,
            subject=message.subject[:200],
            body=message.body,
            link=message.link[:300],
            unit=unit,
            dedupe_key=dedupe_key[:200],
        )
        for person in people.values()
    ]
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(fresh)
    except IntegrityError:  # a concurrent run wrote some of them meanwhile: one by one
        created = []
        for n in fresh:
            try:
                with transaction.atomic():
                    n.save()
            except IntegrityError:
                continue
            created.append(n)
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=O.Channel.EMAIL,
                notification=n,
                address=n.recipient.email,
                payload={"subject": n.subject, "body": email_text(n.body, n.link)},
            )
            for n in created
            if n.recipient.email
        ]
    )
    return created


def webhook_queue(url: str, *, title: str, text: str) -> OutboxMessage | None:
    """One group-robot message (WeCom or DingTalk markdown, chosen by the address's host)."""
    if not url:
        return None
    return OutboxMessage.objects.create(
        channel=O.Channel.WEBHOOK, address=url, payload=webhook_payload(url, title, text)
    )


def webhook_payload(url: str, title: str, text: str) -> dict[str, Any]:
    host = (urlsplit(url).hostname or "").lower()
    if host in DINGTALK_HOSTS:
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": f"### {title}\n\n{text}"},
        }
    return {"msgtype": "markdown", "markdown": {"content": f"### {title}\n{text}"}}


def absolute(link: str) -> str:
    """The link as an address outside the site (e-mail, group robot): CAIJI_SITE_URL + path."""
    base = getattr(settings, "CAIJI_SITE_URL", "").rstrip("/")
    return f"{base}{link}" if link.startswith("/") and base else link


def email_text(body: str, link: str) -> str:
    return f"{body}\n\n{absolute(link)}".strip() if link else body


def mask_url(url: str) -> str:
    """A robot address with its secret (the query, e.g. ``key=…``) hidden, for pages and the
    audit trail."""
    if not url:
        return ""
    parts = urlsplit(url)
    query = "&".join(
        f"{pair.split('=', 1)[0]}=****" if "=" in pair else "****"
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def outbox_subject(message: OutboxMessage) -> str:
    """What a message is about, for the office's page."""
    payload = message.payload or {}
    markdown = payload.get("markdown") or {}
    text = payload.get("subject") or markdown.get("title") or markdown.get("content") or ""
    return str(text).removeprefix("### ").split("\n", 1)[0]


def outbox_enqueue(ids: Iterable[int]) -> None:
    """Send these outbox messages after the commit. Never breaks the caller: with the broker
    down the messages stay pending for the periodic task."""
    ids = [int(i) for i in ids]
    if not ids:
        return

    def enqueue() -> None:
        from accounts.tasks import send_outbox

        try:
            send_outbox.delay(ids)
        except Exception:  # kombu OperationalError (Redis down) or anything in an eager run
            log.exception("outbox %s: could not queue sending; the periodic task will", ids)

    transaction.on_commit(enqueue)


def outbox_ids(notifications: Iterable[Notification]) -> list[int]:
    return list(
        OutboxMessage.objects.filter(notification__in=list(notifications)).values_list(
            "pk", flat=True
        )
    )


# Sending ------------------------------------------------------------------------------------


class SendError(Exception):
    pass


def _due(now: datetime) -> Q:
    return Q(state=O.State.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def outbox_send(message_ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Send the given pending messages (or every due one); returns how many went out.

    Each message is locked (``skip_locked``: another worker sending it is left alone) and sent
    inside its own transaction, then marked sent or given its error and the next attempt's
    time; a message already sent is never sent again."""
    now = now or timezone.now()
    if message_ids is None:
        ids = list(OutboxMessage.objects.filter(_due(now)).values_list("pk", flat=True)[:500])
    else:
        ids = [int(i) for i in message_ids]
    return sum(_send_one(pk, now) for pk in ids)


def _send_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due(now), pk=pk)
        message = msg.first()
        if message is None:  # sent, failed for good, not yet due, or being sent elsewhere
            return False
        try:
            deliver(message)
        except Exception as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.state, message.next_attempt_at = O.State.FAILED, None
            else:
                message.next_attempt_at = now + backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            log.warning("outbox %s (%s) failed: %s", pk, message.channel, message.last_error)
            return False
        message.attempts += 1
        message.state, message.sent_at, message.last_error = O.State.SENT, timezone.now(), ""
        message.save(update_fields=["attempts", "state", "sent_at", "last_error"])
        return True


def deliver(message: OutboxMessage) -> None:
    if message.channel == O.Channel.EMAIL:
        send_mail(
            message.payload.get("subject", ""),
            message.payload.get("body", ""),
            None,
            [message.address],
            fail_silently=False,
        )
    elif message.channel == O.Channel.WEBHOOK:
        post_json(message.address, message.payload)
    else:
        raise SendError(f"unknown channel {message.channel}")


def post_json(url: str, payload: dict[str, Any]) -> None:
    """POST the payload; WeCom and DingTalk answer 200 with ``errcode`` 0 when they took it."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SendError("the robot address must start with http:// or https://")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
        raw = response.read(65536)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise SendError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


# The inbox ----------------------------------------------------------------------------------


def notification_mark_read(*, user: User, notification: Notification) -> None:
    if notification.recipient_id == user.pk and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def outbox_retry(*, actor: User, message: OutboxMessage) -> OutboxMessage:
    """The office sends a failed or waiting message again now (audited)."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state == O.State.SENT:
        return message
    before = message.state
    message.state, message.next_attempt_at = O.State.PENDING, None
    message.save(update_fields=["state", "next_attempt_at"])
    event_record(
        actor=actor,
        action="outbox.retry",
        obj=message,
        from_state=before,
        to_state=message.state,
        data={"channel": message.channel, "attempts": message.attempts},
    )
    outbox_enqueue([message.pk])
    return message
