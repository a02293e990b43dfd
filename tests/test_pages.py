"""Every page renders for every persona, and the navigation shows only what roles allow."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PERSONAS = ["zhang", "li", "wang", "chen", "zhao", "sun", "xia", "han", "shao", "kong"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_common_pages_render_for_everyone(client_for, persona, people):
    client = client_for(persona)
    for url in ["/", reverse("accounts:password_change")]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert people[persona].name in page
        assert "退出登录" in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_navigation_shows_office_pages_only_to_the_office(client_for, persona):
    page = client_for(persona).get("/").content.decode()
    office_link = f'href="{reverse("accounts:unit_list")}"'
    assert (office_link in page) == (persona == "xia")


def test_my_work_lists_my_roles(client_for, units):
    page = client_for("li").get("/").content.decode()
    assert "审核人" in page and "药学院" in page
    page = client_for("han").get("/").content.decode()
    assert "数据采集小组" in page


def test_the_home_page_is_a_few_queries(client_for, django_assert_max_num_queries):
    client = client_for("xia")
    with django_assert_max_num_queries(12):
        client.get("/")
