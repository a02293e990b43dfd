"""The office's pages: units, people, roles. Only the office may use them."""

import pytest
from django.urls import reverse

from accounts.models import Event, Unit, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import college_roles_of_user, unit_roles_of_user

pytestmark = pytest.mark.django_db


def office_urls(units, people):
    unit, person = units["pharmacy"], people["zhang"]
    return [
        reverse("accounts:unit_list"),
        reverse("accounts:unit_create"),
        reverse("accounts:unit_detail", args=[unit.pk]),
        reverse("accounts:unit_edit", args=[unit.pk]),
        reverse("accounts:person_list"),
        reverse("accounts:person_create"),
        reverse("accounts:person_detail", args=[person.pk]),
        reverse("accounts:role_overview"),
        reverse("accounts:sheet_import", args=["units"]),
        reverse("accounts:sheet_import", args=["people"]),
        reverse("accounts:sheet_export", args=["units"]),
        reverse("accounts:sheet_export", args=["people"]),
    ]


def test_office_pages_render_for_the_office(client_for, units, people):
    client = client_for("xia")
    for url in office_urls(units, people):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["zhang", "li", "chen", "zhao", "sun", "han", "shao", "kong"])
def test_office_pages_are_refused_to_everyone_else(client_for, units, people, persona):
    client = client_for(persona)
    for url in office_urls(units, people):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "领导小组办公室" in response.content.decode() or url.endswith(".xlsx")


def test_unit_list_shows_role_holders_and_warnings(client_for, units, people):
    page = client_for("xia").get(reverse("accounts:unit_list")).content.decode()
    assert "张老师" in page and "李老师" in page and "陈院长" in page
    assert "护理学院" in page
    assert "个单位人员配备不全" in page or "人员配备" in page


def test_unit_page_warns_when_staffing_is_incomplete(client_for, units, people):
    client = client_for("xia")
    nursing = client.get(
        reverse("accounts:unit_detail", args=[units["nursing"].pk])
    ).content.decode()
    assert 'data-testid="staffing-warnings"' in nursing
    assert "负责人" in nursing
    pharmacy = client.get(
        reverse("accounts:unit_detail", args=[units["pharmacy"].pk])
    ).content.decode()
    assert 'data-testid="staffing-warnings"' not in pharmacy


def test_office_gives_and_revokes_a_unit_role(client_for, units, people):
    client = client_for("xia")
    nursing, zhao = units["nursing"], people["zhao"]
    url = reverse("accounts:unit_role_assign", args=[nursing.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"user": zhao.pk, "role": UnitRole.HEAD})
    assert response.status_code == 302
    assert (nursing, UnitRole.HEAD) in unit_roles_of_user(zhao)
    assert Event.objects.filter(action="role.assign", actor=people["xia"], unit=nursing).exists()

    response = client.post(
        reverse("accounts:role_revoke", args=[zhao.pk]),
        {"role": UnitRole.HEAD, "unit": nursing.pk, "next": f"/office/units/{nursing.pk}/"},
    )
    assert response["Location"] == f"/office/units/{nursing.pk}/"
    assert (nursing, UnitRole.HEAD) not in unit_roles_of_user(zhao)


def test_non_office_cannot_give_roles(client_for, units, people):
    client = client_for("chen")  # a unit head, but not the office
    url = reverse("accounts:unit_role_assign", args=[units["pharmacy"].pk])
    response = client.post(url, {"user": people["zhang"].pk, "role": UnitRole.HEAD})
    assert response.status_code == 403
    assert (units["pharmacy"], UnitRole.HEAD) not in unit_roles_of_user(people["zhang"])


def test_missing_objects_are_404(client_for, units, people):
    client = client_for("xia")
    assert client.get(reverse("accounts:unit_detail", args=[99999])).status_code == 404
    assert client.get(reverse("accounts:person_detail", args=[99999])).status_code == 404
    assert client.get("/office/import/bogus/").status_code == 404


def test_office_gives_a_college_role_on_the_person_page(client_for, people):
    client = client_for("xia")
    zhang = people["zhang"]
    client.post(
        reverse("accounts:person_role_assign", args=[zhang.pk]),
        {"role": CollegeRole.COLLECTION_GROUP},
    )
    assert college_roles_of_user(zhang) == [CollegeRole.COLLECTION_GROUP]


def test_assigning_to_an_inactive_person_is_refused_with_a_message(client_for, units, people):
    client = client_for("xia")
    zhao = people["zhao"]
    client.post(
        reverse("accounts:person_detail", args=[zhao.pk]),
        {
            "name": zhao.name,
            "unit": zhao.unit_id,
            "phone": "",
            "email": "",  # is_active unticked
        },
    )
    zhao.refresh_from_db()
    assert not zhao.is_active
    response = client.post(
        reverse("accounts:unit_role_assign", args=[units["nursing"].pk]),
        {"user": zhao.pk, "role": UnitRole.HEAD},
        follow=True,
    )
    assert unit_roles_of_user(zhao) == []
    assert response.status_code == 200


def test_office_adds_a_unit_and_a_person(client_for, units):
    client = client_for("xia")
    response = client.post(
        reverse("accounts:unit_create"),
        {"code": "2009", "name": "康复学院", "kind": "teaching", "active": "on"},
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="2009")
    response = client.post(
        reverse("accounts:person_create"),
        {
            "username": "200901",
            "name": "钱老师",
            "unit": unit.pk,
            "phone": "13805310001",
            "email": "",
            "password": "Start-2026-pw",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="200901")
    assert person.must_change_password
    assert Event.objects.filter(
        action="person.create", object_id=str(person.pk), actor__username="101206"
    ).exists()


def test_bad_unit_form_comes_back_422_with_chinese_errors(client_for, units):
    client = client_for("xia")
    response = client.post(
        reverse("accounts:unit_create"), {"code": "2003", "name": "", "kind": "teaching"}
    )
    assert response.status_code == 422
    assert Unit.objects.filter(code="2003").count() == 1
    assert "已存在" in response.content.decode()


def test_bad_phone_is_refused(client_for, people):
    client = client_for("xia")
    zhang = people["zhang"]
    response = client.post(
        reverse("accounts:person_detail", args=[zhang.pk]),
        {
            "name": zhang.name,
            "unit": zhang.unit_id,
            "phone": "12345",
            "email": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 422
    zhang.refresh_from_db()
    assert zhang.phone == ""


def test_office_resets_a_password(client_for, people):
    client = client_for("xia")
    zhang = people["zhang"]
    client.post(
        reverse("accounts:person_password_reset", args=[zhang.pk]), {"password": "Reset-2026-pw"}
    )
    zhang.refresh_from_db()
    assert zhang.must_change_password and zhang.check_password("Reset-2026-pw")
