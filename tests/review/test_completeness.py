"""Completeness (查缺补漏) of the 2026 cycle with the published 表1-6 breakdown (教务处
responsible, 药学院 assisting; every other catalog table left out).

药学院 (zhang) has uploaded a roster with one student's name empty; 教务处 has not started.
夏主任 (office) and 孔院长 (leadership) see everything; 张老师 sees 药学院's part; 孙老师 (教务处,
responsible) sees both units; a person without any role gets 403; a missing cycle is 404.
"""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from collection.models import Assignment
from collection.selectors import tables_in_scope
from tests.conftest import make_person
from tests.review.conftest import student, upload

URL = reverse("review:completeness", args=[2026])


@pytest.fixture
def filled(staff, pharmacy, academic, assignment):
    upload(pharmacy, staff["zhang"], [student("2023000001"), student("2023000002", "")])
    Assignment.objects.filter(pk=assignment.pk).update(
        assisting_deadline=datetime.date(2020, 1, 1),
        responsible_deadline=datetime.date(2099, 1, 1),
    )


def items(page):
    return {(i.table.code, i.contribution.unit.code): i for i in page.context["data"].items}


def test_the_office_sees_what_is_missing_per_table_and_unit(client, staff, filled):
    client.force_login(staff["xia"])
    page = client.get(URL)
    assert page.status_code == 200
    found = items(page)
    pharmacy, academic = found[("表1-6", "2003")], found[("表1-6", "1002")]
    assert pharmacy.empty_required == [("学生姓名", 1)]
    assert pharmacy.late and not academic.late  # assisting deadline passed, responsible not
    assert academic.contribution.current_version is None and academic.table_started
    data = page.context["data"]
    assert data.not_delivered == 2 and data.late == 1 and data.with_empty_required == 1
    assert data.not_started == []
    # Every other table in scope (no supplementary set ticked: the main set): not collected.
    assert len(data.not_in_breakdown) == tables_in_scope(academic.table.cycle).count() - 1
    assert 'data-table="表1-4-1"' in page.content.decode()


def test_tables_not_started(client, staff, assignment):
    client.force_login(staff["xia"])
    data = client.get(URL).context["data"]
    assert [t.code for t in data.not_started] == ["表1-6"]


def test_filters_and_export(client, staff, filled):
    client.force_login(staff["xia"])
    page = client.get(URL, {"unit": "2003"})
    assert list(items(page)) == [("表1-6", "2003")]
    assert client.get(URL, {"category": "no such category"}).context["data"].items == []
    response = client.get(reverse("review:completeness_export", args=[2026]), {"unit": "2003"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "表1-6" and rows[1][3] == "药学院"
    assert rows[1][10] == "学生姓名 1"


def test_units_see_their_part(client, staff, filled):
    client.force_login(staff["zhang"])  # 药学院 assists
    page = client.get(URL)
    assert list(items(page)) == [("表1-6", "2003")]
    assert page.context["data"].not_in_breakdown == []
    client.force_login(staff["sun"])  # 教务处 is responsible: every unit's part of its table
    assert set(items(client.get(URL))) == {("表1-6", "2003"), ("表1-6", "1002")}
    client.force_login(staff["zhao"])  # 护理学院 contributes nothing
    assert items(client.get(URL)) == {}
    client.force_login(staff["kong"])  # leadership reads everything
    assert len(items(client.get(URL))) == 2


def test_people_without_a_role_get_403_and_a_missing_cycle_404(client, staff, assignment):
    nobody: User = make_person("300001", "游客", None)
    client.force_login(nobody)
    assert client.get(URL).status_code == 403
    assert client.get(reverse("review:completeness_export", args=[2026])).status_code == 403
    client.force_login(staff["xia"])
    assert client.get(reverse("review:completeness", args=[1999])).status_code == 404


def test_the_number_of_queries_does_not_grow_with_tables_and_units(
    client, staff, units, cycle, filled, django_assert_max_num_queries
):
    from collection.services.assignments import assignment_set, breakdown_publish

    for code in ("表1-5-1", "表3-1", "表1-4-1", "表5-1-1"):
        assignment_set(
            actor=staff["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["academic"],
            assisting_units=[units["pharmacy"], units["nursing"]],
        )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    client.force_login(staff["xia"])
    with django_assert_max_num_queries(20):
        page = client.get(URL)
    assert len(page.context["data"].items) == 2 + 4 * 3
