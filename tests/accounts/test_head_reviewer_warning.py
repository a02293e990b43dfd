"""The office is warned when one person is both the head and a source reviewer of a unit
(regulation 一(二)1 wants two reviewers and the head to be three people); the role is still given.

Personas (tests/conftest.py): 夏主任 (xia) is the office; 陈院长 (chen) heads 药学院; 李老师 (li)
and 王老师 (wang) are its source reviewers.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.roles import UnitRole
from accounts.selectors import unit_roles_of_user

pytestmark = pytest.mark.django_db

WARNING = "同时是药学院的负责人和审核人"


def warnings_of(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def test_giving_the_head_the_reviewer_role_warns_but_gives_it(client_for, units, people):
    client = client_for("xia")
    pharmacy, chen = units["pharmacy"], people["chen"]
    unit_url = reverse("accounts:unit_detail", args=[pharmacy.pk])
    person_url = reverse("accounts:person_detail", args=[chen.pk])
    # Head and reviewers are three people: no warning.
    assert WARNING not in client.get(unit_url).content.decode()
    assert 'data-testid="head-reviewer-warnings"' not in client.get(person_url).content.decode()

    response = client.post(
        reverse("accounts:unit_role_assign", args=[pharmacy.pk]),
        {"user": chen.pk, "role": UnitRole.SOURCE_REVIEWER},
    )
    assert response.status_code == 302
    assert (pharmacy, UnitRole.SOURCE_REVIEWER) in unit_roles_of_user(chen)
    [warning] = warnings_of(response)
    assert "陈院长" + WARNING in warning
    assert "三个不同的人" in warning and "既审核又签字" in warning

    unit_page = client.get(unit_url).content.decode()
    assert 'data-testid="staffing-warnings"' in unit_page
    assert "陈院长" + WARNING in unit_page
    person_page = client.get(person_url).content.decode()
    assert 'data-testid="head-reviewer-warnings"' in person_page
    assert "陈院长" + WARNING in person_page


def test_giving_a_reviewer_the_head_role_on_the_person_page_warns(client_for, units, people):
    client = client_for("xia")
    pharmacy, li = units["pharmacy"], people["li"]
    response = client.post(
        reverse("accounts:person_role_assign", args=[li.pk]),
        {"unit": pharmacy.pk, "role": UnitRole.HEAD},
    )
    assert response.status_code == 302
    assert (pharmacy, UnitRole.HEAD) in unit_roles_of_user(li)
    assert any("李老师" + WARNING in w for w in warnings_of(response))
