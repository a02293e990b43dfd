"""Template tags of the review pages."""

from __future__ import annotations

from typing import Any

from django import template

from collection.dependencies import (
    prerequisites_block,
    prerequisites_blocking,
    prerequisites_pending,
)
from collection.models import Assignment

register = template.Library()


@register.inclusion_tag("review/includes/prerequisites.html")
def prerequisites(assignment: Assignment) -> dict[str, Any]:
    """``{% prerequisites assignment %}``: the prerequisite tables not yet delivered, as a
    warning (the cycle warns) or a notice that submission waits for them (the cycle blocks).
    Renders nothing, and queries nothing, for a table without prerequisites."""
    pending = prerequisites_pending(assignment)  # no query when its rules read no other table
    block_mode = bool(pending) and prerequisites_block(assignment)
    return {
        "pending": pending,
        "blocks": block_mode and bool(prerequisites_blocking(pending)),
        "block_mode": block_mode,
    }
