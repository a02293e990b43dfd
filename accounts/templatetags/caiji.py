from datetime import timedelta

from django import template

from accounts import audit_labels

register = template.Library()


@register.filter
def timeuntil_minutes(value: timedelta) -> int:
    """Whole minutes of a duration, rounded up (for "try again in N minutes")."""
    return max(1, -(-int(value.total_seconds()) // 60))


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """The current address with only the page number changed (filters are kept)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.filter
def action_label(action: str) -> str:
    """An Event's action code as a label for people (accounts/audit_labels.py)."""
    return audit_labels.action_label(action)
