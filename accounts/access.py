"""Access helpers: every office view loads its objects through these."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from accounts.selectors import is_office


def _office_only() -> PermissionDenied:
    return PermissionDenied(
        _("Only the office of the leading group may manage units, people and roles.")
    )


def office_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_office(request.user):  # type: ignore[arg-type]
            raise _office_only()
        return view(request, *args, **kwargs)

    return wrapper


def get_unit_for_office(user: User, pk: int) -> Unit:
    if not is_office(user):
        raise _office_only()
    return get_object_or_404(Unit, pk=pk)


def get_person_for_office(user: User, pk: int) -> User:
    if not is_office(user):
        raise _office_only()
    return get_object_or_404(User.objects.select_related("unit"), pk=pk)
