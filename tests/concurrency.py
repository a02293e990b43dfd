"""Running workflow calls in threads at the same moment (the concurrency tests).

Each call runs in its own thread with its own connection (closed at the end), after a barrier
that starts them together. On SQLite the shared-cache in-memory test database answers "table is
locked" at once instead of waiting like the file database's busy_timeout does, so a call that
meets the lock starts its transaction again (nothing of it ran); PostgreSQL waits on its row
locks (select_for_update)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection


def busy_wait(call: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def at_once(calls: list[Callable[[], Any]]) -> list[str]:
    """Run ``calls`` together; return their outcomes, sorted: "ok", or "refused" for a
    ValidationError (any other error fails the test through the thread)."""
    start = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            start.wait()
            busy_wait(call)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)
