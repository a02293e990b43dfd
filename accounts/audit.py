"""Writing audit events. The request's address reaches services through a context variable set
by AuditContextMiddleware, so services stay free of HTTP."""

from contextvars import ContextVar
from typing import Any

from django.db import models

from accounts.models import Event, Unit, User

current_ip: ContextVar[str | None] = ContextVar("caiji_current_ip", default=None)


def event_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    unit: Unit | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    content_hash: str = "",
    data: dict[str, Any] | None = None,
    acting_for: User | None = None,
) -> Event:
    return Event.objects.create(
        actor=actor,
        acting_for=acting_for,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        unit=unit,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        content_hash=content_hash,
        ip_address=current_ip.get(),
        data=data or {},
    )


class AuditContextMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
