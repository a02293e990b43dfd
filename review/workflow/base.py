"""What every transition shares: the Transition record, reasons, the closed-cycle guard and the
Event written for a state change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import Unit, User
from collection.models import Cycle
from config.input import REASON_MAX, bounded_text


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    target: str


def require_reason(reason: str) -> str:
    reason = bounded_text(reason, limit=REASON_MAX)
    if not reason:
        raise ValidationError(
            _("Give a reason: say what is wrong and what must be corrected before it comes back.")
        )
    return reason


def optional_reason(reason: str | None) -> str:
    return bounded_text(reason, limit=REASON_MAX)


def require_open_cycle(cycle: Cycle) -> None:
    if cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is done: nothing in it can change any more.")
            % {"year": cycle.year}
        )


def require_state(obj: Any, *states: str) -> None:
    """Refuse unless ``obj.state`` is one of ``states`` (a page that is out of date)."""
    if obj.state not in states:
        raise ValidationError(
            _("%(object)s is now in “%(state)s”: reload the page to see what can be done.")
            % {"object": str(obj), "state": obj.get_state_display()}
        )


def record(
    *,
    actor: User,
    action: str,
    obj: models.Model,
    unit: Unit | None,
    before: str,
    after: str,
    reason: str = "",
    content_hash: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    event_record(
        actor=actor,
        action=action,
        obj=obj,
        unit=unit,
        from_state=before,
        to_state=after,
        reason=reason,
        content_hash=content_hash,
        data=data,
    )
