"""Deadline reminders (review/reminders.py): T-3 and T-1 to the collector, daily once overdue to
the collector and the unit head; the day is passed in as ``today``.

表1-6: 药学院 (assisting; 张老师 collects, 陈院长 heads) delivers by 10-10, 教务处 (responsible;
钱老师 collects, 郑处长 heads) by 10-20. 赵老师 (护理学院) has no part in it.
"""

from datetime import date

import pytest
from django.core import mail

from accounts.models import Notification, OutboxMessage, User
from collection.models import CycleStatus
from review.reminders import deadline_reminders
from tests.review.conftest import PHARMACY_ROWS, deliver

K = Notification.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture
def deadlines(assignment):
    assignment.assisting_deadline = date(2026, 10, 10)
    assignment.responsible_deadline = date(2026, 10, 20)
    assignment.save(update_fields=["assisting_deadline", "responsible_deadline"])
    Notification.objects.all().delete()  # forget the publication notices
    return assignment


def told(kind):
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def test_three_days_and_one_day_before_the_collector_hears(staff, deadlines):
    assert deadline_reminders(today=date(2026, 10, 6)) == 0  # four days before: nothing yet
    assert deadline_reminders(today=date(2026, 10, 7)) == 1
    assert told(K.REMINDER) == [staff["zhang"].username]
    note = Notification.objects.get(kind=K.REMINDER)
    assert note.unit.name == "药学院" and note.dedupe_key.endswith(":2026-10-07")
    assert deadline_reminders(today=date(2026, 10, 8)) == 0
    assert deadline_reminders(today=date(2026, 10, 9)) == 1
    # 教务处's own date is later: its collector hears on 10-17 (药学院 is overdue by then).
    deadline_reminders(today=date(2026, 10, 17))
    assert told(K.REMINDER) == sorted(
        [staff["zhang"].username, staff["zhang"].username, staff["qian"].username]
    )


def test_overdue_escalates_to_the_head_every_day(staff, deadlines):
    assert deadline_reminders(today=date(2026, 10, 11)) == 2
    assert told(K.OVERDUE) == sorted([staff["zhang"].username, staff["chen"].username])
    assert deadline_reminders(today=date(2026, 10, 12)) == 2
    assert Notification.objects.filter(kind=K.OVERDUE).count() == 4
    assert staff["zhao"].username not in told(K.OVERDUE)


def test_running_twice_a_day_sends_nothing_twice(
    staff, deadlines, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=staff["zhang"].pk).update(email="zhang@example.edu.cn")
    with django_capture_on_commit_callbacks(execute=True):
        assert deadline_reminders(today=date(2026, 10, 11)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert deadline_reminders(today=date(2026, 10, 11)) == 0
    assert Notification.objects.filter(kind=K.OVERDUE).count() == 2
    assert [m.to for m in mail.outbox] == [["zhang@example.edu.cn"]]


def test_delivered_contributions_and_closed_cycles_are_left_alone(
    staff, deadlines, pharmacy, cycle
):
    s = staff
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    Notification.objects.all().delete()
    assert deadline_reminders(today=date(2026, 10, 11)) == 0  # 药学院 delivered; 教务处 not due
    cycle.status = CycleStatus.DONE
    cycle.save(update_fields=["status"])
    assert deadline_reminders(today=date(2026, 10, 25)) == 0


def test_the_group_robot_gets_one_overdue_list_a_day(staff, deadlines, cycle):
    cycle.webhook_url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    cycle.save(update_fields=["webhook_url"])
    deadline_reminders(today=date(2026, 10, 21))
    deadline_reminders(today=date(2026, 10, 21))
    robot = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WEBHOOK)
    text = robot.payload["markdown"]["text"]
    assert (
        "药学院" in text and "教务处" in text and "2026-10-21" in robot.payload["markdown"]["title"]
    )
