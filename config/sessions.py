"""Idle expiry of sessions: a session ends CAIJI_SESSION_IDLE_MINUTES after the last request.

Django keeps the end of a session with the session (``SESSION_COOKIE_AGE`` from its last
save; the database backend refuses an expired one and the person is sent to sign in). Saving
the session on every request (``SESSION_SAVE_EVERY_REQUEST``) would move the end forward, but
it writes on every page view: with the embedded SQLite every page would wait for the write lock
behind a running upload. Here a signed-in session is saved at most once a minute (a tenth of
the idle time when that is shorter), so the end is exact to within that interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SEEN = "_caiji_seen"  # when the session was last saved by this module (epoch seconds)


def refresh_seconds() -> int:
    return max(1, min(60, settings.SESSION_COOKIE_AGE // 10))


def note_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Signing in saves the session anyway: start the interval there (``user_logged_in``)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = int(time.time())


class SessionIdleMiddleware:
    """After AuthenticationMiddleware: keeps an active person's session alive."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN)
            if not isinstance(seen, int) or now - seen >= refresh_seconds():
                request.session[SEEN] = now  # modified: saved, with a new end, after the view
        return self.get_response(request)
