"""One guard for every request's input: control characters never reach a view.

A NUL byte in a form field, a query string, a path or an uploaded file's name made PostgreSQL
refuse the query (a 500 page); other control characters (ESC, backspace …) are never typed by a
person and only come from copying out of other software or from an attack. Rather than trusting
each of ~100 views to clean each parameter, this middleware refuses such a request before any
view runs, with a page in Chinese saying what was wrong and that nothing was saved. Tab, line
feed and carriage return are ordinary in text (a remark of several lines) and pass.

Cookies are not the person's input: a cookie with control characters is dropped (a tampered
session cookie simply means signed out), so the refusal page itself can still be rendered.

Length caps of free text (reasons, remarks) are the forms' job (``review.forms``); this module
only gives them ``no_control_characters`` for fields that bypass this middleware (none today).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

# C0 controls except tab, LF, CR; DEL; and the C1 controls. Also U+FFFE/U+FFFF (not characters).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def has_control_characters(text: str) -> bool:
    return CONTROL.search(text) is not None


def _fields(query: Any) -> Iterable[str]:
    for key, values in query.lists():
        yield key
        yield from (v for v in values if isinstance(v, str))


def refused_part(request: HttpRequest) -> str | None:
    """What of the request holds a control character (for the log), or None."""
    if has_control_characters(request.path):
        return "path"
    if any(has_control_characters(text) for text in _fields(request.GET)):
        return "query"
    if request.method == "POST":
        if any(has_control_characters(text) for text in _fields(request.POST)):
            return "form"
        for key, files in request.FILES.lists():
            if has_control_characters(key) or any(
                has_control_characters(f.name or "") for f in files
            ):
                return "file name"
    return None


class DropControlCharacterCookiesMiddleware:
    """Placed before the session middleware, which reads the session cookie when the request
    comes in: a cookie holding a control character is dropped (a tampered session cookie means
    signed out; on PostgreSQL its NUL would otherwise reach the session query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, value in list(request.COOKIES.items()):
            if has_control_characters(name) or has_control_characters(value):
                del request.COOKIES[name]
        return self.get_response(request)


class RefuseControlCharactersMiddleware:
    """Placed after the session and locale middleware (the page is in the person's language)
    and before anything that reads the input."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        part = refused_part(request)
        if part is not None:
            return render(
                request,
                "400_input.html",
                {
                    "message": _(
                        "What you sent contains an invisible control character (such as NUL or "
                        "ESC), which no form of caiji accepts. Nothing was saved. Delete the "
                        "character and send again: text copied from other software sometimes "
                        "carries one, so typing the text again helps."
                    )
                },
                status=400,
            )
        return self.get_response(request)


# Free text a person writes, with the longest each may be: a reason or an explanation is a few
# sentences, a cell remark one; long enough for any real case, short enough that a pasted
# document or a script's garbage is refused with a message instead of filling the audit trail.
REASON_MAX = 2000
EXPLANATION_MAX = 2000
REMARK_MAX = 500


def bounded_text(text: str | None, *, limit: int) -> str:
    """``text`` stripped, or a ValidationError saying how long it may be (and that control
    characters are not accepted, for callers that do not come through a request)."""
    from django.core.exceptions import ValidationError

    text = (text or "").strip()
    if has_control_characters(text):
        raise ValidationError(
            _(
                "The text contains an invisible control character (such as NUL or ESC): delete "
                "it and type the text again."
            )
        )
    if len(text) > limit:
        raise ValidationError(
            _(
                "The text is %(length)s characters long; at most %(limit)s are accepted. "
                "Shorten it (attach details as a file where the page allows)."
            )
            % {"length": len(text), "limit": limit}
        )
    return text
