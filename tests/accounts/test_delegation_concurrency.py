"""Simultaneous delegations: the overlap rule holds when two requests arrive at the same moment.

Like tests/review/test_concurrency.py this runs on whichever database the suite uses. On
PostgreSQL the rows of every party the checks read are locked (select_for_update); SQLite
serialises write transactions (BEGIN IMMEDIATE), and its shared-cache in-memory test database
answers "table is locked" at once, so there a thread starts its transaction again.

To make the race certain, each request waits after its checks, before it writes, until the
other has passed its checks too (a barrier). With the locks the second request cannot reach its
checks while the first holds them: the first gives up waiting after a moment and goes on.

Personas (tests/conftest.py): 李老师 (li) and 王老师 (wang) review for 药学院, 陈院长 (chen) heads
it; 刘老师 (liu) and 周老师 (zhou) are 药学院 teachers without a role.
"""

import contextlib
import datetime
import threading

import pytest
from django.utils import timezone

from accounts import delegation
from accounts.models import Delegation, Event
from accounts.roles import UnitRole
from tests.concurrency import at_once
from tests.conftest import make_person

WAIT = 1.5  # seconds a request that passed its checks waits for the other one


def race(monkeypatch, requests):
    """Run each of ``requests`` (keyword arguments of delegation_create) in its own thread at
    the same moment; return the outcomes ("ok" or "refused")."""
    after_checks = threading.Barrier(len(requests))
    checked = delegation._check

    def check_then_wait(*args, **kwargs):
        checked(*args, **kwargs)
        # The other request is held by a lock (or was refused): go on after a moment.
        with contextlib.suppress(threading.BrokenBarrierError):
            after_checks.wait(timeout=WAIT)

    monkeypatch.setattr(delegation, "_check", check_then_wait)
    return at_once(
        [lambda kwargs=kwargs: delegation.delegation_create(**kwargs) for kwargs in requests]
    )


def request(people, units, by, to, role=UnitRole.SOURCE_REVIEWER):
    today = timezone.localdate()
    return {
        "actor": people[by] if isinstance(by, str) else by,
        "delegator": people[by] if isinstance(by, str) else by,
        "delegate": to,
        "unit": units["pharmacy"],
        "role": role,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=7),
        "reason": "出差",
    }


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_handing_the_role_to_one_colleague_at_once(people, units, monkeypatch):
    liu = make_person("200305", "刘老师", units["pharmacy"])
    outcomes = race(
        monkeypatch, [request(people, units, "li", liu), request(people, units, "wang", liu)]
    )
    assert outcomes == ["ok", "refused"]
    assert Delegation.objects.filter(delegate=liu).count() == 1
    assert Event.objects.filter(action="delegation.create").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_reviewer_handing_the_role_to_two_colleagues_at_once(people, units, monkeypatch):
    liu = make_person("200305", "刘老师", units["pharmacy"])
    zhou = make_person("200306", "周老师", units["pharmacy"])
    outcomes = race(
        monkeypatch, [request(people, units, "li", liu), request(people, units, "li", zhou)]
    )
    assert outcomes == ["ok", "refused"]
    assert Delegation.objects.filter(delegator=people["li"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_different_people_and_roles_do_not_wait_for_each_other(people, units, monkeypatch):
    """No overlap, no refusal: 李老师 hands reviewing to 刘老师 while 陈院长 hands the head's
    role to 周老师."""
    liu = make_person("200305", "刘老师", units["pharmacy"])
    zhou = make_person("200306", "周老师", units["pharmacy"])
    outcomes = race(
        monkeypatch,
        [
            request(people, units, "li", liu),
            request(people, units, "chen", zhou, role=UnitRole.HEAD),
        ],
    )
    assert outcomes == ["ok", "ok"]
    assert Delegation.objects.count() == 2
