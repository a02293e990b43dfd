"""Rate limits on uploads (per person) and on failed sign-ins (per client address).

django-ratelimit counts in the default cache (Redis in production, shared by every gunicorn
worker). Going over a limit answers 429 with a page saying to wait (JSON for static/js/upload.js)
before the view runs, so nothing is read or stored. A cache that cannot be reached never blocks
anybody: the limit is skipped and a warning logged (uploads must still be accepted while Redis
restarts). The rates are the settings CAIJI_UPLOAD_RATE and CAIJI_LOGIN_RATE, read on every
request; see docs/security.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from accounts.audit import client_ip

logger = logging.getLogger(__name__)

UPLOAD_GROUP = "caiji.upload"
SIGN_IN_GROUP = "caiji.sign-in"

View = Callable[..., HttpResponse]


def _person(group: str, request: HttpRequest) -> str:
    return str(request.user.pk)


def _address(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _usage(
    request: HttpRequest, *, group: str, setting: str, increment: bool
) -> dict[str, Any] | None:
    """The count of ``group`` in the current window, or None when the limit is off or the
    cache cannot be reached."""
    rate = getattr(settings, setting, "off")
    if not rate or rate == "off":
        return None
    key = _person if group == UPLOAD_GROUP else _address
    try:
        return get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except Exception as exc:  # the cache (Redis) is down: let the request through
        logger.warning("rate limit %s skipped: the cache cannot be reached (%r)", group, exc)
        return None


def too_many_requests(
    request: HttpRequest, usage: dict[str, Any], *, sign_in: bool
) -> HttpResponse:
    seconds = max(1, int(usage.get("time_left") or 60))
    if sign_in:
        message = _(
            "Too many failed sign-ins from your network in a short time. Wait a minute, "
            "then sign in again."
        )
    else:
        message = _(
            "You have sent too many files in a short time. Nothing of the last one was saved: "
            "wait a minute, then upload it again."
        )
    if request.headers.get("Accept", "").startswith("application/json"):
        response: HttpResponse = JsonResponse({"errors": [message]}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def upload_limit(view: View) -> View:
    """Every POST to ``view`` counts towards the person's CAIJI_UPLOAD_RATE, shared by all the
    views that take uploads."""

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            usage = _usage(request, group=UPLOAD_GROUP, setting="CAIJI_UPLOAD_RATE", increment=True)
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, usage, sign_in=False)
        return view(request, *args, **kwargs)

    return limited


def sign_in_limit(view: View) -> View:
    """Failed sign-ins count towards the client address's CAIJI_LOGIN_RATE; once it is reached
    the address may not try again until the window ends. Successful sign-ins do not count: a
    college's staff share one NAT address (axes locks the 工号 itself after five failures)."""

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = _usage(request, group=SIGN_IN_GROUP, setting="CAIJI_LOGIN_RATE", increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            return too_many_requests(request, usage, sign_in=True)
        response = view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            _usage(request, group=SIGN_IN_GROUP, setting="CAIJI_LOGIN_RATE", increment=True)
        return response

    return limited
