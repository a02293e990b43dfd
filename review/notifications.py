"""Who hears about what: every workflow transition and the publication write an Event; a
``post_save`` receiver on Event (review/apps.py) turns it into notifications in the same
transaction, so a transition that rolls back notifies nobody, and the outbox is sent after the
commit (accounts/notifications.py).

One rule per action. Each returns the notifications to write (recipients and what they say)
and, for the cycle's group robot, one message per event. The actor never notifies themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.delegation import running
from accounts.models import Event, Notification, Unit, User
from accounts.notifications import (
    Message,
    notify,
    outbox_enqueue,
    outbox_ids,
    webhook_queue,
)
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import unit_staffing, unit_staffing_list
from collection.models import (
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
)

log = logging.getLogger(__name__)

K = Notification.Kind
R = TableReportState


@dataclass
class Send:
    recipients: list[User]
    message: Message
    unit: Unit | None = None
    dedupe_key: str = ""


@dataclass
class Plan:
    cycle: Cycle
    sends: list[Send] = field(default_factory=list)
    # (title, text) for the cycle's group robot, or None
    webhook: tuple[str, str] | None = None


# Links and people ---------------------------------------------------------------------------


def contribution_link(c: Contribution) -> str:
    return reverse("review:contribution_detail", args=[c.pk])


def report_link(report: TableReport) -> str:
    try:
        return reverse("review:report_detail", args=[report.pk])
    except NoReverseMatch:  # the report page is not there (yet): My work
        return reverse("home")


def holders(unit: Unit, *roles: UnitRole) -> list[User]:
    """The unit's holders of ``roles`` and whoever holds one of them today by delegation (the
    delegate is told as well as the person they act for)."""
    staffing = unit_staffing(unit)
    delegates = [
        d.delegate
        for d in running()
        .filter(unit=unit, role__in=[r.value for r in roles])
        .select_related("delegate")
    ]
    return unique([*(p for role in roles for p in staffing.of(role)), *delegates])


def group_members(role: CollegeRole) -> list[User]:
    return list(User.objects.filter(groups__name=role.group_name, is_active=True))


def unique(people: Iterable[User]) -> list[User]:
    return list({p.pk: p for p in people}.values())


def _contribution(event: Event) -> Contribution | None:
    return (
        Contribution.objects.select_related(
            "assignment__table",
            "assignment__cycle",
            "assignment__responsible_unit",
            "unit",
            "current_version",
        )
        .filter(pk=event.object_id)
        .first()
    )


def _report(event: Event) -> TableReport | None:
    return (
        TableReport.objects.select_related(
            "assignment__table", "assignment__cycle", "assignment__responsible_unit"
        )
        .filter(pk=event.object_id)
        .first()
    )


def _names(event: Event, **more: Any) -> dict[str, Any]:
    actor = event.actor
    return {
        "actor": (actor.name or actor.username) if actor else _("The system"),
        "reason": event.reason,
        **more,
    }


def _c_names(event: Event, c: Contribution) -> dict[str, Any]:
    version = c.current_version
    return _names(
        event,
        table=str(c.assignment.table),
        unit=c.unit.name,
        responsible=c.assignment.responsible_unit.name,
        version=version.number if version else "-",
    )


def _r_names(event: Event, report: TableReport) -> dict[str, Any]:
    return _names(
        event,
        table=str(report.assignment.table),
        responsible=report.assignment.responsible_unit.name,
        state=report.get_state_display(),
    )


def _webhook(message: Message) -> tuple[str, str]:
    text = message.body
    if message.link:
        from accounts.notifications import absolute

        text = f"{text}\n\n[{_('Open')}]({absolute(message.link)})"
    return message.subject, text


# Rules --------------------------------------------------------------------------------------


def on_publish(event: Event) -> Plan | None:
    """Every unit with contributions: its collectors and head."""
    cycle = Cycle.objects.filter(pk=event.object_id).first()
    if cycle is None:
        return None
    counts = dict(
        Contribution.objects.filter(assignment__cycle=cycle)
        .values("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    plan = Plan(cycle=cycle)
    link = reverse("home")
    for staffing in unit_staffing_list(Unit.objects.filter(pk__in=list(counts))):
        unit = staffing.unit
        message = Message(
            K.PUBLISHED,
            _("The task breakdown of %(cycle)s is published") % {"cycle": cycle},
            _(
                "%(unit)s fills %(count)s table(s) this year. Open My work to download the "
                "templates, and deliver the data before the deadlines."
            )
            % {"unit": unit.name, "count": counts[unit.pk]},
            link,
        )
        people = unique([*staffing.collectors, *staffing.heads])
        plan.sends.append(Send(people, message, unit, dedupe_key=f"publish:{cycle.pk}"))
    data = event.data or {}
    if data.get("first") or data.get("contributions_added"):
        plan.webhook = (
            _("The task breakdown of %(cycle)s is published") % {"cycle": cycle},
            _("%(count)s unit(s) have tables to fill; each sees them under My work.")
            % {"count": len(counts)},
        )
    return plan


def on_contribution(event: Event) -> Plan | None:
    c = _contribution(event)
    if c is None:
        return None
    names = _c_names(event, c)
    link = contribution_link(c)
    plan = Plan(cycle=c.assignment.cycle)
    if event.action == "contribution.submit":
        reviewers = holders(c.unit, UnitRole.SOURCE_REVIEWER)
        uploader = c.current_version.created_by_id if c.current_version else None
        message = Message(
            K.REVIEW_REQUEST,
            _("%(table)s of %(unit)s waits for your review") % names,
            _(
                "%(actor)s submitted version %(version)s. Two reviewers of the unit must "
                "approve it (not the one who uploaded it)."
            )
            % names,
            link,
        )
        plan.sends.append(Send([p for p in reviewers if p.pk != uploader], message, c.unit))
    elif (
        event.action == "contribution.approve" and event.to_state == ContributionState.HEAD_SIGNOFF
    ):
        message = Message(
            K.SIGN_REQUEST,
            _("%(table)s of %(unit)s waits for your signature") % names,
            _(
                "Two reviewers approved version %(version)s: sign it off to deliver it to the "
                "responsible unit %(responsible)s, or return it with a reason."
            )
            % names,
            link,
        )
        plan.sends.append(Send(holders(c.unit, UnitRole.HEAD), message, c.unit))
    elif event.action == "contribution.sign":
        responsible = c.assignment.responsible_unit
        message = Message(
            K.OTHER,
            _("%(unit)s has delivered %(table)s") % names,
            _(
                "%(actor)s signed off version %(version)s of %(unit)s. Once every unit has "
                "delivered, the responsible unit starts the second review."
            )
            % names,
            link,
        )
        people = holders(responsible, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER)
        plan.sends.append(Send(people, message, responsible))
        plan.webhook = _webhook(message)
    elif event.action == "contribution.return":
        message = Message(
            K.RETURNED,
            _("%(table)s of %(unit)s was returned") % names,
            _(
                "%(actor)s returned it with this reason: %(reason)s\nCorrect the data, upload "
                "it again and submit it."
            )
            % names,
            link,
        )
        plan.sends.append(Send(holders(c.unit, UnitRole.COLLECTOR), message, c.unit))
        plan.webhook = _webhook(message)
    elif event.action == "explanation.reject":
        message = Message(
            K.RETURNED,
            _("An explanation for %(table)s of %(unit)s was rejected") % names,
            _(
                "%(actor)s rejected the explanation of a finding with this reason: %(reason)s\n"
                "Approval waits until the explanation is accepted or the data is returned and "
                "explained again."
            )
            % names,
            link,
        )
        plan.sends.append(Send(holders(c.unit, UnitRole.COLLECTOR), message, c.unit))
    return plan if plan.sends else None


def _stage_holders(report: TableReport, state: str) -> list[User]:
    unit = report.assignment.responsible_unit
    if state == R.COLLECTING:
        return holders(unit, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER)
    if state == R.SECOND_REVIEW:
        return holders(unit, UnitRole.SECOND_REVIEWER)
    if state == R.COLLECTION_CHECK:
        return group_members(CollegeRole.COLLECTION_GROUP)
    if state == R.COLLEGE_REVIEW:
        return group_members(CollegeRole.COLLEGE_REVIEW_GROUP)
    return holders(unit, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER, UnitRole.HEAD)


def on_report(event: Event) -> Plan | None:
    report = _report(event)
    if report is None:
        return None
    names = _r_names(event, report)
    link = report_link(report)
    unit = report.assignment.responsible_unit
    plan = Plan(cycle=report.assignment.cycle)
    action, to = event.action, event.to_state
    if action in ("table_report.start_second_review", "table_report.approve") and to != R.APPROVED:
        subjects = {
            R.SECOND_REVIEW: _("The merged %(table)s waits for your second review"),
            R.COLLECTION_CHECK: _("The merged %(table)s waits for the collection group's check"),
            R.COLLEGE_REVIEW: _("The merged %(table)s waits for the college review"),
        }
        if to not in subjects:
            return None
        message = Message(
            K.REVIEW_REQUEST,
            subjects[R(to)] % names,
            _("%(actor)s passed it on. Check it, then approve it or return it with a reason.")
            % names,
            link,
        )
        plan.sends.append(Send(_stage_holders(report, to), message, unit))
    elif action == "table_report.approve":
        message = Message(
            K.APPROVED,
            _("%(table)s is approved") % names,
            _(
                "The college review group approved the merged %(table)s of %(responsible)s: "
                "it is locked now."
            )
            % names,
            link,
        )
        plan.sends.append(Send(_stage_holders(report, R.APPROVED), message, unit))
        plan.webhook = _webhook(message)
    elif action == "table_report.return":
        message = Message(
            K.RETURNED,
            _("The merged %(table)s was returned") % names,
            _("%(actor)s returned it to “%(state)s” with this reason: %(reason)s") % names,
            link,
        )
        plan.sends.append(Send(_stage_holders(report, to), message, unit))
        plan.webhook = _webhook(message)
    elif action == "table_report.reopen":
        message = Message(
            K.REOPENED,
            _("%(table)s has been reopened") % names,
            _(
                "%(actor)s reopened the approved table for the collection group's check, with "
                "this reason: %(reason)s"
            )
            % names,
            link,
        )
        people = [
            *_stage_holders(report, R.APPROVED),
            *group_members(CollegeRole.COLLECTION_GROUP),
        ]
        plan.sends.append(Send(unique(people), message, unit))
        plan.webhook = _webhook(message)
    elif action == "table_report.mark_uploaded" and (event.data or {}).get("cycle_close"):
        cycle = report.assignment.cycle  # closing: one notice per person, the robot hears once
        message = Message(
            K.OTHER,
            _("%(cycle)s is uploaded to the national platform and closed") % {"cycle": cycle},
            _(
                "%(actor)s marked every approved table as uploaded and closed the cycle: its "
                "data is read-only now and is last year's data for the next cycle."
            )
            % names,
            reverse("review:cycle_detail", args=[cycle.year]),
        )
        people = _stage_holders(report, R.APPROVED)
        plan.sends.append(Send(people, message, unit, dedupe_key=f"cycle_close:{cycle.pk}"))
    elif action == "table_report.mark_uploaded":
        message = Message(
            K.OTHER,
            _("%(table)s is in the national platform") % names,
            _("%(actor)s marked the approved %(table)s as uploaded.") % names,
            link,
        )
        plan.sends.append(Send(_stage_holders(report, R.APPROVED), message, unit))
        plan.webhook = _webhook(message)
    elif action == "table_report.resolve_conflict":
        data = event.data or {}
        dropped = Unit.objects.filter(code__in=data.get("dropped") or [])
        kept = Unit.objects.filter(code=data.get("kept", "")).first()
        message = Message(
            K.OTHER,
            _("%(table)s: a row of your unit was left out of the merged table") % names,
            _(
                "The responsible unit %(responsible)s kept the row of %(kept)s for “%(key)s”. "
                "Ask it if your row was the right one."
            )
            % {
                **names,
                "kept": kept.name if kept else data.get("kept", ""),
                "key": data.get("key"),
            },
            link,
        )
        for staffing in unit_staffing_list(dropped):
            plan.sends.append(Send(staffing.collectors, message, staffing.unit))
    return plan if plan.sends else None


def on_cycle_close(event: Event) -> Plan | None:
    """The group robot hears once that the cycle is closed (the units' people are told by the
    tables' ``mark_uploaded`` events, once each)."""
    cycle = Cycle.objects.filter(pk=event.object_id).first()
    if cycle is None:
        return None
    data = event.data or {}
    return Plan(
        cycle=cycle,
        webhook=(
            _("%(cycle)s is uploaded to the national platform and closed") % {"cycle": cycle},
            _("%(tables)s table(s), %(rows)s row(s): the data is read-only now.")
            % {"tables": data.get("tables", 0), "rows": data.get("rows", 0)},
        ),
    )


RULES: dict[str, Callable[[Event], Plan | None]] = {
    "cycle.close": on_cycle_close,
    "breakdown.publish": on_publish,
    "contribution.submit": on_contribution,
    "contribution.approve": on_contribution,
    "contribution.sign": on_contribution,
    "contribution.return": on_contribution,
    "explanation.reject": on_contribution,
    "table_report.start_second_review": on_report,
    "table_report.approve": on_report,
    "table_report.return": on_report,
    "table_report.reopen": on_report,
    "table_report.mark_uploaded": on_report,
    "table_report.resolve_conflict": on_report,
}


# Dispatch -----------------------------------------------------------------------------------


def event_dispatch(event: Event) -> list[Notification]:
    """Write the notifications (and outbox) for one event; the outbox goes out after commit.

    The texts are written in the college's language, whatever the actor's page language."""
    rule = RULES.get(event.action)
    if rule is None:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        plan = rule(event)
        if plan is None:
            return []
        created: list[Notification] = []
        for send in plan.sends:
            people = [p for p in send.recipients if p.pk != event.actor_id]
            created += notify(
                people,
                send.message,
                unit=send.unit,
                dedupe_key=send.dedupe_key or f"event:{event.pk}",
            )
    ids = outbox_ids(created)
    if plan.webhook and plan.cycle.webhook_url:
        title, text = plan.webhook
        message = webhook_queue(plan.cycle.webhook_url, title=title, text=text)
        if message is not None:
            ids.append(message.pk)
    outbox_enqueue(ids)
    return created


def on_event_saved(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    """post_save receiver. Runs in the transition's transaction (a rollback takes the
    notifications with it); a failure here is logged and never blocks the transition."""
    if not created or instance.action not in RULES or kwargs.get("raw"):
        return
    try:
        with transaction.atomic():
            event_dispatch(instance)
    except Exception:
        log.exception("notifications for event %s (%s) failed", instance.pk, instance.action)
