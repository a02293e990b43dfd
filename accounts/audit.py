"""Writing audit events. The request's address reaches services through a context variable set
by AuditContextMiddleware, so services stay free of HTTP."""

from contextvars import ContextVar
from typing import Any

from django.db import models

from accounts.models import Event, Unit, User

current_ip: ContextVar[str | None] = ContextVar("caiji_current_ip", default=None)

# (person id, delegator): set by accounts.selectors.has_unit_role each time it grants a unit
# role, to the delegator when the right came from a running delegation and to None when the
# person holds the role themself. event_record reads it for events of that person, so a
# delegate's actions record "acting for" without every service passing it along. Reset per
# request (AuditContextMiddleware) and at the start of each workflow transition.
acting_mark: ContextVar[tuple[int, User | None] | None] = ContextVar(
    "caiji_acting_mark", default=None
)


def acting_note(user: User, delegator: User | None) -> None:
    acting_mark.set((user.pk, delegator))


def acting_reset() -> None:
    acting_mark.set(None)


def acting_for_of(user: User | None) -> User | None:
    """The person ``user`` acts for under the last right granted to them, or None."""
    mark = acting_mark.get()
    if user is None or mark is None or mark[0] != user.pk:
        return None
    return mark[1]


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
    if acting_for is None:
        acting_for = acting_for_of(actor)
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
        mark = acting_mark.set(None)
        try:
            return self.get_response(request)
        finally:
            acting_mark.reset(mark)
            current_ip.reset(token)
