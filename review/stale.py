"""A page out of date, or a double click: the action's form carries the state the page showed
(``from_state``); when the object has moved on since, the person is told it was already dealt
with and shown where it stands now, instead of a refusal (403) for an action that no longer
applies. Nothing is done in that case: the workflow's own checks are never skipped."""

from __future__ import annotations

from django.contrib import messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _


def moved_on(request: HttpRequest, obj: models.Model) -> bool:
    """Whether ``obj`` (a contribution or a table report) is no longer in the state the posted
    page showed; if so, a message says so and names the state now (the caller redirects)."""
    shown = request.POST.get("from_state", "")
    obj.refresh_from_db(fields=["state"])
    current = str(getattr(obj, "state", ""))
    if not shown or shown == current:
        return False
    label = obj.get_state_display()
    messages.info(
        request,
        _(
            "This has already been dealt with (perhaps by a second click or on another page): "
            "it is now at “%(state)s”. The page shows where it stands now."
        )
        % {"state": label},
    )
    return True
