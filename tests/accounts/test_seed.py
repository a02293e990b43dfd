import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD, UNITS
from accounts.models import Event, Unit, User
from accounts.roles import CollegeRole
from accounts.selectors import college_role_holders, unit_staffing_list

pytestmark = pytest.mark.django_db


def test_seed_builds_the_demo_college(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert Unit.objects.count() == len(UNITS) == 20
    assert Unit.objects.filter(kind=Unit.Kind.TEACHING).count() == 8
    for staffing in unit_staffing_list():
        assert staffing.warnings == [], staffing.unit  # a collector, two reviewers and a head
        assert len(staffing.reviewers) >= 2
        if staffing.unit.kind != Unit.Kind.TEACHING:
            assert staffing.second_reviewers, staffing.unit
    holders = college_role_holders()
    assert all(holders[role] for role in CollegeRole)
    assert "200301" in out and DEMO_PASSWORD in out and "药学院" in out


def test_seed_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Unit.objects.count(), Event.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Unit.objects.count(), Event.objects.count()) == counts
    assert "已存在" in capsys.readouterr().out


def test_if_empty_leaves_a_real_college_alone(capsys):
    Unit.objects.create(code="9001", name="某学院", kind=Unit.Kind.TEACHING)
    call_command("seed_demo", "--if-empty")
    assert Unit.objects.count() == 1


def test_every_demo_login_works(client):
    call_command("seed_demo", "--quiet-logins")
    for person in User.objects.all():
        response = client.post(
            "/accounts/login/", {"username": person.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, person
        assert client.get("/").status_code == 200, person
        client.post("/accounts/logout/")
