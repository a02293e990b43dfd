from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def timeuntil_minutes(value: timedelta) -> int:
    """Whole minutes of a duration, rounded up (for "try again in N minutes")."""
    return max(1, -(-int(value.total_seconds()) // 60))
