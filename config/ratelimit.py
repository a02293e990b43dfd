"""Rate limits on uploads (per person) and on failed sign-ins (per client address).

django-ratelimit counts in the default cache (Redis in production, shared by every gunicorn
worker). An upload over its limit is answered 429 with a page saying to wait (JSON for
static/js/upload.js) before the view runs, so nothing is read or stored. A failed sign-in is
counted after the password was checked, and only a wrong one is refused past the limit: the
right password always signs in, since a college's staff share one address (the NAT, or the
proxy when CAIJI_PROXY_COUNT is wrong). A cache that cannot be reached never blocks anybody: the
limit is skipped and a warning logged (uploads must still be accepted while Redis restarts). The
rates are the settings CAIJI_UPLOAD_RATE and CAIJI_LOGIN_RATE, read on every request; see
docs/security.md.
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


def too_many_requests(request: HttpRequest, usage: dict[str, Any]) -> HttpResponse:
    message = _(
        "You have sent too many files in a short time. Nothing of the last one was saved: "
        "wait a minute, then upload it again."
    )
    if request.headers.get("Accept", "").startswith("application/json"):
        response: HttpResponse = JsonResponse({"errors": [message]}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after(usage))
    return response


def retry_after(usage: dict[str, Any]) -> int:
    """Seconds until the current window of ``usage`` ends (for the Retry-After header)."""
    return max(1, int(usage.get("time_left") or 60))


def upload_limit(view: View) -> View:
    """Every POST to ``view`` counts towards the person's CAIJI_UPLOAD_RATE, shared by all the
    views that take uploads."""

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            usage = _usage(request, group=UPLOAD_GROUP, setting="CAIJI_UPLOAD_RATE", increment=True)
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, usage)
        return view(request, *args, **kwargs)

    return limited


def sign_in_failed(request: HttpRequest) -> dict[str, Any] | None:
    """Count a failed sign-in against the client's address. Returns the usage when the address
    is now past CAIJI_LOGIN_RATE (the caller answers 429), else None.

    Called only once the password has been found wrong (``SignInView.form_invalid``), so a
    correct sign-in is never refused, whoever failed from the same address before: a whole
    college signs in from behind one NAT address, and 20 typos must not keep it out. Guessing
    stays bounded per 工号 by axes, which counts every failure, past this limit too. The first
    refusal in a window is logged with the address, for the operators."""
    usage = _usage(request, group=SIGN_IN_GROUP, setting="CAIJI_LOGIN_RATE", increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    if usage["count"] == usage["limit"] + 1:
        logger.warning(
            "failed sign-ins from %s passed CAIJI_LOGIN_RATE (%s): wrong passwords from there are "
            "answered 429 for %s s",
            _address(SIGN_IN_GROUP, request),
            settings.CAIJI_LOGIN_RATE,
            retry_after(usage),
        )
    return usage
