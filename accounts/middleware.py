from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Pages a person who must change the password may still open.
_ALLOWED_NAMES = {"accounts:password_change", "accounts:logout", "set_language"}


class ForcePasswordChangeMiddleware:
    """Send people with a temporary password (imported, or reset by the office) to the
    password page before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.allowed = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            if self.allowed is None:
                self.allowed = {reverse(name) for name in _ALLOWED_NAMES}
            if request.path not in self.allowed and not request.path.startswith("/static/"):
                return redirect("accounts:password_change")
        return self.get_response(request)
