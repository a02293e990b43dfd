"""``{% unread_announcements as items %}``: the published announcements the signed-in person
still has to confirm (for the navigation badge and My work). Read once per request."""

from typing import Any

from django import template

from collection.services.announcements import unread_for_user

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_announcements(context: dict[str, Any]) -> list[Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(request, "_unread_announcements", None)
    if cached is None:
        cached = list(unread_for_user(user).only("pk", "title", "published_at"))  # type: ignore[arg-type]
        request._unread_announcements = cached
    return cached
