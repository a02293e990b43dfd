"""Deadline reminders (Celery beat, daily): for every contribution not yet delivered in a
published, open cycle, the unit's collector hears at T-3 and T-1 before its deadline, and every
day once it is overdue, the collector and the unit head (escalation).

The deadline is the one of work_items_for_user: the responsible unit's date for its own
contribution, the assisting units' date otherwise. A reminder's dedupe key names the
contribution and the day, so running twice a day sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification, Unit
from accounts.notifications import Message, notify, outbox_enqueue, outbox_ids, webhook_queue
from accounts.selectors import unit_staffing_list
from collection.models import Contribution, ContributionState, CycleStatus
from review.notifications import contribution_link, unique

K = Notification.Kind
BEFORE = (3, 1)  # days before the deadline


def reminder_candidates():  # type: ignore[no-untyped-def]
    deadline = Case(
        When(
            unit_id=F("assignment__responsible_unit_id"),
            then=F("assignment__responsible_deadline"),
        ),
        default=F("assignment__assisting_deadline"),
    )
    return (
        Contribution.objects.filter(assignment__cycle__published_at__isnull=False)
        .exclude(assignment__cycle__status=CycleStatus.DONE)
        .exclude(state=ContributionState.DELIVERED)
        .annotate(deadline=deadline)
        .filter(deadline__isnull=False)
        .select_related("assignment__table", "assignment__cycle", "unit")
        .order_by("deadline", "assignment__position", "unit__code")
    )


@transaction.atomic
def deadline_reminders(*, today: date | None = None) -> int:
    """Write today's reminders and their outbox; returns how many notifications were new.
    ``today`` defaults to the date in the college's time zone."""
    today = today or timezone.localdate()
    due = [
        c
        for c in reminder_candidates()
        if (c.deadline - today).days in BEFORE or c.deadline < today  # type: ignore[attr-defined]
    ]
    if not due:
        return 0
    staffing = {
        s.unit.pk: s
        for s in unit_staffing_list(Unit.objects.filter(pk__in={c.unit_id for c in due}))
    }
    created: list[Notification] = []
    overdue_by_cycle: dict[int, list[Contribution]] = defaultdict(list)
    with translation.override(settings.LANGUAGE_CODE):
        for c in due:
            days = (c.deadline - today).days  # type: ignore[attr-defined]
            names = {
                "table": str(c.assignment.table),
                "unit": c.unit.name,
                "deadline": c.deadline.isoformat(),  # type: ignore[attr-defined]
                "state": c.get_state_display(),
                "days": abs(days),
            }
            unit = staffing[c.unit_id]
            if days >= 0:
                message = Message(
                    K.REMINDER,
                    _("%(table)s of %(unit)s is due in %(days)s day(s)") % names,
                    _(
                        "Deliver it by %(deadline)s (now: %(state)s): upload, submit, have it "
                        "approved by two reviewers and signed off by the head."
                    )
                    % names,
                    contribution_link(c),
                )
                people = unit.collectors
            else:
                message = Message(
                    K.OVERDUE,
                    _("%(table)s of %(unit)s is %(days)s day(s) overdue") % names,
                    _(
                        "It was due on %(deadline)s and is still “%(state)s”. The unit head "
                        "hears of this too: deliver it as soon as possible."
                    )
                    % names,
                    contribution_link(c),
                )
                people = unique([*unit.collectors, *unit.heads])
            new = notify(
                people, message, unit=c.unit, dedupe_key=f"reminder:{c.pk}:{today.isoformat()}"
            )
            created += new
            if new and days < 0:
                overdue_by_cycle[c.assignment.cycle_id].append(c)
        ids = outbox_ids(created)
        ids += _webhooks(overdue_by_cycle, today)
    outbox_enqueue(ids)
    return len(created)


def _webhooks(overdue_by_cycle: dict[int, list[Contribution]], today: date) -> list[int]:
    """One daily message per cycle with a group robot: the overdue list."""
    ids = []
    for items in overdue_by_cycle.values():
        cycle = items[0].assignment.cycle
        lines = "\n".join(
            f"- {c.assignment.table} · {c.unit.name} · {c.deadline.isoformat()}"  # type: ignore[attr-defined]
            for c in items
        )
        title = _("Overdue on %(date)s: %(count)s contribution(s)") % {
            "date": today.isoformat(),
            "count": len(items),
        }
        message = webhook_queue(cycle.webhook_url, title=title, text=lines)
        if message is not None:
            ids.append(message.pk)
    return ids
