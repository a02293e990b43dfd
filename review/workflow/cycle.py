"""The cycle's stages (筹备 → 部署 → 采集汇总 → 审核上传 → 完成)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import event_record
from accounts.models import User
from accounts.selectors import is_office
from collection.models import Cycle, CycleStatus
from review.workflow.base import Transition

CYCLE_ORDER = [
    CycleStatus.PREPARING,
    CycleStatus.DEPLOYMENT,
    CycleStatus.COLLECTING,
    CycleStatus.REVIEWING,
    CycleStatus.DONE,
]


def cycle_transitions(cycle: Cycle, user: User) -> list[Transition]:
    """The stage changes ``user`` may make now (the page shows exactly these buttons)."""
    if not is_office(user) or cycle.status == CycleStatus.DONE:
        return []
    target = CYCLE_ORDER[CYCLE_ORDER.index(CycleStatus(cycle.status)) + 1]
    return [
        Transition(
            "advance",
            str(gettext_lazy("Move to the next stage: %(stage)s") % {"stage": target.label}),
            target,
        )
    ]


@transaction.atomic
def cycle_advance(*, actor: User, cycle: Cycle, reason: str = "") -> Cycle:
    """Move the cycle to its next stage (筹备 → 部署 → 采集汇总 → 审核上传 → 完成)."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may change the cycle's stage.")
        )
    if cycle.status == CycleStatus.DONE:
        raise ValidationError(_("The %(year)s cycle is already done.") % {"year": cycle.year})
    if cycle.status == CycleStatus.PREPARING and not cycle.tables.exists():
        raise ValidationError(
            _("The cycle has no tables yet: load the catalog or copy last year first.")
        )
    before = cycle.status
    cycle.status = CYCLE_ORDER[CYCLE_ORDER.index(CycleStatus(before)) + 1]
    cycle.save(update_fields=["status"])
    event_record(
        actor=actor,
        action="cycle.advance",
        obj=cycle,
        from_state=before,
        to_state=cycle.status,
        reason=reason,
    )
    return cycle
