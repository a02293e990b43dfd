"""The read-only rule of a closed cycle (已上传): every write to a cycle's data, specs, task
breakdown or settings refuses once the office has closed it (review.workflow.cycle_close).
Reading, downloading and exporting stay open; the next cycle compares with its data."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from collection.models import Cycle


def closed_message(cycle: Cycle) -> str:
    return _(
        "The %(year)s cycle has been uploaded to the platform and closed: it is read-only and "
        "nothing in it can change. Make changes in the next cycle."
    ) % {"year": cycle.year}


def require_open(cycle: Cycle) -> None:
    """Refuse a change to a closed cycle."""
    if cycle.is_closed:
        raise ValidationError(closed_message(cycle))
