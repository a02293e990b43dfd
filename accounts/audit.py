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


def client_ip(request: Any) -> str | None:
    """The client's address; behind CAIJI_PROXY_COUNT trusted proxies, from X-Forwarded-For."""
    from django.conf import settings

    proxies = getattr(settings, "CAIJI_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
