import pytest
from django.urls import reverse

from accounts import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_every_page_needs_sign_in(client, people):
    for url in ["/", "/office/units/", "/office/people/", "/accounts/password/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_is_chinese(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "工号" in page
    assert "密码" in page
    assert 'lang="zh-hans"' in page


def test_sign_in_with_staff_id_lands_on_my_work(client, people):
    response = client.post(
        "/accounts/login/", {"username": " 200301 ", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "我的工作" in response.content.decode()
    assert response.context["user"] == people["zhang"]


def test_wrong_password_says_what_to_do(client, people):
    response = client.post("/accounts/login/", {"username": "200301", "password": "nope"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "工号或密码不正确" in text
    assert not response.wsgi_request.user.is_authenticated


def test_account_locked_after_five_failures(client, people):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "200301", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "200301", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已被锁定" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated
    # Another account from the same address is not locked.
    ok = client.post("/accounts/login/", {"username": "200302", "password": PASSWORD})
    assert ok.status_code == 302


def test_logout_is_post_only(client_for):
    client = client_for("zhang")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_imported_person_must_change_password_first(client, people):
    zhang = people["zhang"]
    services.person_set_password(
        actor=people["xia"], person=zhang, password="Temp-2026-x", must_change=True
    )
    client.post("/accounts/login/", {"username": "200301", "password": "Temp-2026-x"})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:password_change"
    )
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "临时密码" in page
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Temp-2026-x",
            "new_password1": "Mine-2026-ok!",
            "new_password2": "Mine-2026-ok!",
        },
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert not zhang.must_change_password
    assert zhang.check_password("Mine-2026-ok!")
    assert client.get("/").status_code == 200  # still signed in, free to work


def test_password_change_errors_come_back_422(client_for):
    client = client_for("zhang")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "bad",
            "new_password1": "x",
            "new_password2": "y",
        },
    )
    assert response.status_code == 422


def test_english_can_be_chosen(client_for):
    client = client_for("zhang")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "My work" in page
    assert 'lang="en"' in page


def test_an_inactive_person_is_told_to_ask_the_office(client, people):
    zhao = people["zhao"]
    services.person_update(actor=None, person=zhao, name=zhao.name, unit=zhao.unit, is_active=False)
    response = client.post("/accounts/login/", {"username": "200201", "password": PASSWORD})
    assert "停用" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_the_office_unlocks_a_locked_account(client, client_for, people):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "200301", "password": "wrong"})
    office = client_for("xia")
    page = office.get(reverse("accounts:person_detail", args=[people["zhang"].pk])).content.decode()
    assert 'data-testid="locked"' in page
    office.post(reverse("accounts:person_unlock", args=[people["zhang"].pk]))
    office.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "200301", "password": PASSWORD})
    assert response.status_code == 302


def test_audit_records_the_client_address_behind_a_proxy(client_for, people, units, settings):
    from accounts.models import Event
    from accounts.roles import UnitRole

    settings.CAIJI_PROXY_COUNT = 1
    client = client_for("xia")
    client.post(
        reverse("accounts:unit_role_assign", args=[units["nursing"].pk]),
        {"user": people["zhao"].pk, "role": UnitRole.HEAD},
        HTTP_X_FORWARDED_FOR="10.8.0.7, 172.16.0.2",
        REMOTE_ADDR="127.0.0.1",
    )
    assert (
        Event.objects.get(
            action="role.assign", unit=units["nursing"], actor=people["xia"]
        ).ip_address
        == "172.16.0.2"
    )
