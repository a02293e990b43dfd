"""Delegation (委托), the rules: a head or reviewer hands their role to a colleague of the same
unit for a date range; while it runs the colleague holds the role there.

Personas (tests/conftest.py): 李老师 (li) and 王老师 (wang) review for 药学院, 陈院长 (chen) heads
it, 张老师 (zhang) collects for it; 刘老师 (liu) is a 药学院 teacher without a role; 赵老师 (zhao)
is of 护理学院; 夏主任 (xia) is the office.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.audit import acting_reset, event_record
from accounts.delegation import delegation_create, delegation_revoke
from accounts.models import Delegation, Event, Notification
from accounts.roles import UnitRole
from accounts.selectors import has_unit_role
from tests.conftest import make_person

DAY = datetime.timedelta(days=1)


@pytest.fixture
def liu(units):
    return make_person("200305", "刘老师", units["pharmacy"])


def hand(people, units, delegate, *, by="li", role=UnitRole.SOURCE_REVIEWER, start=0, days=7):
    today = timezone.localdate()
    return delegation_create(
        actor=people[by],
        delegator=people[by],
        delegate=delegate,
        unit=units["pharmacy"],
        role=role,
        starts_on=today + start * DAY,
        ends_on=today + (start + days) * DAY,
        reason="出差",
    )


def test_a_reviewer_hands_the_role_to_a_colleague(people, units, liu):
    d = hand(people, units, liu)
    assert has_unit_role(liu, UnitRole.SOURCE_REVIEWER, units["pharmacy"])
    assert not has_unit_role(liu, UnitRole.HEAD, units["pharmacy"])
    assert not has_unit_role(liu, UnitRole.SOURCE_REVIEWER, units["nursing"])
    event = Event.objects.get(action="delegation.create")
    assert event.actor == people["li"] and event.object_id == str(d.pk)
    assert event.data["delegate"] == "200305" and event.data["role"] == "source_reviewer"
    assert Notification.objects.filter(recipient=liu, dedupe_key=f"delegation:{d.pk}").exists()


def test_only_to_an_active_colleague_of_the_same_unit_without_the_role(people, units, liu):
    with pytest.raises(ValidationError):
        hand(people, units, people["zhao"])  # 护理学院
    with pytest.raises(ValidationError):
        hand(people, units, people["wang"])  # already a reviewer
    with pytest.raises(ValidationError):
        hand(people, units, people["li"])  # herself
    accounts_services.person_update(
        actor=None, person=liu, name=liu.name, unit=liu.unit, is_active=False
    )
    liu.refresh_from_db()
    with pytest.raises(ValidationError):
        hand(people, units, liu)
    assert not Delegation.objects.exists()


def test_only_a_role_the_delegator_holds_and_may_hand_on(people, units, liu):
    with pytest.raises(ValidationError):
        hand(people, units, liu, by="zhang", role=UnitRole.SOURCE_REVIEWER)  # not his role
    with pytest.raises(ValidationError):
        hand(people, units, liu, by="zhang", role=UnitRole.COLLECTOR)  # not delegable
    assert not Delegation.objects.exists()


def test_by_the_delegator_or_the_office_only(people, units, liu):
    today = timezone.localdate()
    kwargs = dict(
        delegator=people["li"],
        delegate=liu,
        unit=units["pharmacy"],
        role=UnitRole.SOURCE_REVIEWER,
        starts_on=today,
        ends_on=today,
    )
    with pytest.raises(PermissionDenied):
        delegation_create(actor=people["wang"], **kwargs)
    d = delegation_create(actor=people["xia"], **kwargs)
    assert d.created_by == people["xia"]


def test_dates_in_order_and_not_past(people, units, liu):
    with pytest.raises(ValidationError):
        hand(people, units, liu, start=3, days=-1)
    with pytest.raises(ValidationError):
        hand(people, units, liu, start=-10, days=2)
    assert not Delegation.objects.exists()


def test_no_overlap_for_the_same_role(people, units, liu):
    hand(people, units, liu, start=0, days=7)
    with pytest.raises(ValidationError):
        hand(people, units, liu, start=5, days=7)  # same delegator, overlapping
    other = make_person("200306", "周老师", units["pharmacy"])
    with pytest.raises(ValidationError):
        hand(people, units, other, start=3, days=1)  # li's role is already handed on then
    with pytest.raises(ValidationError):
        hand(people, units, liu, by="wang", start=2, days=1)  # liu already acts for li then
    hand(people, units, liu, start=8, days=3)  # after the first one: fine
    hand(people, units, liu, by="chen", role=UnitRole.HEAD)  # another role: fine
    assert Delegation.objects.count() == 3


def test_not_before_the_first_day_nor_after_the_last(people, units, liu):
    hand(people, units, liu, start=2, days=3)
    pharmacy = units["pharmacy"]
    assert not has_unit_role(liu, UnitRole.SOURCE_REVIEWER, pharmacy)
    today = timezone.localdate()
    with time_machine.travel(today + 2 * DAY, tick=False):
        assert has_unit_role(liu, UnitRole.SOURCE_REVIEWER, pharmacy)
    with time_machine.travel(today + 5 * DAY, tick=False):
        assert has_unit_role(liu, UnitRole.SOURCE_REVIEWER, pharmacy)  # the last day counts
    with time_machine.travel(today + 6 * DAY, tick=False):
        assert not has_unit_role(liu, UnitRole.SOURCE_REVIEWER, pharmacy)


def test_ending_early_takes_the_right_away(people, units, liu):
    d = hand(people, units, liu)
    with pytest.raises(PermissionDenied):
        delegation_revoke(actor=people["zhang"], delegation=d)
    delegation_revoke(actor=people["li"], delegation=d)
    assert not has_unit_role(liu, UnitRole.SOURCE_REVIEWER, units["pharmacy"])
    d.refresh_from_db()
    assert d.revoked_by == people["li"] and d.revoked_at is not None
    assert Event.objects.filter(action="delegation.revoke", actor=people["li"]).exists()
    with pytest.raises(ValidationError):
        delegation_revoke(actor=people["li"], delegation=d)


def test_the_right_goes_with_the_delegators_own_role(people, units, liu):
    hand(people, units, liu)
    accounts_services.role_revoke(
        actor=None, user=people["li"], role=UnitRole.SOURCE_REVIEWER, unit=units["pharmacy"]
    )
    assert not has_unit_role(liu, UnitRole.SOURCE_REVIEWER, units["pharmacy"])


def test_events_record_acting_for_only_for_a_delegate(people, units, liu):
    hand(people, units, liu)
    acting_reset()
    assert has_unit_role(liu, UnitRole.SOURCE_REVIEWER, units["pharmacy"])
    event = event_record(actor=liu, action="test.delegate", obj=units["pharmacy"])
    assert event.acting_for == people["li"]
    # Someone else's event right after is not "acting for" anybody.
    assert event_record(actor=people["wang"], action="t", obj=units["pharmacy"]).acting_for is None
    # A person who holds the role themself does not act for anybody.
    assert has_unit_role(people["wang"], UnitRole.SOURCE_REVIEWER, units["pharmacy"])
    event = event_record(actor=people["wang"], action="test.own", obj=units["pharmacy"])
    assert event.acting_for is None


def test_my_delegations_page_gives_and_ends(client_for, people, units, liu):
    client = client_for("chen")
    page = client.get(reverse("accounts:delegation_mine"))
    assert page.status_code == 200
    today = timezone.localdate()
    response = client.post(
        reverse("accounts:delegation_mine"),
        {
            "what": f"{units['pharmacy'].pk}:head",
            "delegate": liu.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + 3 * DAY).isoformat(),
            "reason": "出差",
        },
    )
    assert response.status_code == 302
    d = Delegation.objects.get()
    assert (d.delegator, d.delegate, d.role) == (people["chen"], liu, "head")
    # Overlapping again: the form comes back with the reason, nothing saved.
    response = client.post(
        reverse("accounts:delegation_mine"),
        {
            "what": f"{units['pharmacy'].pk}:head",
            "delegate": liu.pk,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
        },
    )
    assert response.status_code == 422
    assert Delegation.objects.count() == 1
    # The delegate sees it too; an outsider cannot end it.
    client.force_login(liu)
    page = client.get(reverse("accounts:delegation_mine")).content.decode()
    assert f'data-delegation="{d.pk}"' in page
    assert (
        client_for("zhao").post(reverse("accounts:delegation_end", args=[d.pk])).status_code == 404
    )
    assert (
        client_for("chen").post(reverse("accounts:delegation_end", args=[d.pk])).status_code == 302
    )
    d.refresh_from_db()
    assert d.revoked_at is not None


def test_the_office_lists_running_delegations(client_for, people, units, liu):
    d = hand(people, units, liu)
    page = client_for("xia").get(reverse("accounts:delegation_office"))
    assert page.status_code == 200
    assert f'data-delegation="{d.pk}"' in page.content.decode()
    assert client_for("li").get(reverse("accounts:delegation_office")).status_code == 403
