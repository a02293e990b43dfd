"""Celery tasks: ids in, one service call (STYLE.md). Eager (inline) when REDIS_URL is unset."""

from __future__ import annotations

from celery import shared_task

from accounts import notifications


@shared_task(acks_late=True, ignore_result=True)
def send_outbox(ids: list[int] | None = None) -> int:
    """Send these outbox messages, or every due pending one (Celery beat, every minute).
    Safe to run twice or side by side: a message is sent once."""
    return notifications.outbox_send(ids)
