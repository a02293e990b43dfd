"""A unit downloads every template it fills, as one zip, from the published 分工表."""

import io
import zipfile

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_unit_gets_the_templates_of_its_tables(client, assignment, units, staff):
    client.force_login(staff["zhang"])  # collects for 药学院, which assists in 表1-6
    home = client.get("/").content.decode()
    url = reverse("collection:unit_templates", args=[assignment.cycle.year, units["pharmacy"].pk])
    assert url in home
    response = client.get(url)
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert [n for n in names if n.endswith(".xlsx")] == ["表1-6 本科生基本情况.xlsx"]


def test_another_unit_cannot_download_them(client, assignment, units, staff):
    client.force_login(staff["zhao"])  # 护理学院
    url = reverse("collection:unit_templates", args=[assignment.cycle.year, units["pharmacy"].pk])
    assert client.get(url).status_code == 404


def test_a_unit_without_tables_is_told_so(client, assignment, units, staff):
    client.force_login(staff["zhao"])
    url = reverse("collection:unit_templates", args=[assignment.cycle.year, units["nursing"].pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "review:cycle_detail", args=[assignment.cycle.year]
    )
    assert "护理学院在 2026 年度的数据填报分工表中还没有数据表" in response.content.decode()
