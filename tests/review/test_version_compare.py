"""Comparing two versions of a contribution on its compare page.

张老师 (zhang) uploads 药学院's 表1-6 rows; 李老师 (li, its reviewer), 孙老师 (sun, second
reviewer of the responsible 教务处) and 韩老师 (han, collection group) may look at the
comparison; 赵老师 (zhao, 护理学院) gets 404.
"""

import pytest
from django.urls import reverse

from collection.services.compare import CellChange
from collection.services.online import row_delete
from tests.review.conftest import PHARMACY_ROWS, student, upload


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


def compare_url(contribution, query=""):
    return reverse("review:contribution_compare", args=[contribution.pk]) + query


@pytest.fixture
def three_versions(pharmacy, staff):
    """v1: 李明, 王芳; v2: 王芳 renamed, 李明 removed, 赵强 added; v3: v2 without 赵强 (online)."""
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    upload(
        pharmacy,
        staff["zhang"],
        [student("2023000002", "王芳芳"), student("2023000003", "赵强")],
    )
    row_delete(actor=staff["zhang"], contribution=pharmacy, index=1, base=2)
    return pharmacy


def test_by_default_the_current_version_is_compared_with_the_one_before(as_, three_versions):
    page = as_("li").get(compare_url(three_versions))
    assert page.status_code == 200
    assert (page.context["old"].number, page.context["new"].number) == (2, 3)
    result = page.context["result"]
    assert [r.values[1] for r in result.removed] == ["赵强"]
    assert result.added == [] and result.changed == [] and result.unchanged == 1


def test_any_two_versions_are_compared_cell_by_cell(as_, three_versions):
    page = as_("sun").get(compare_url(three_versions, "?a=1&b=2"))
    result = page.context["result"]
    assert result.key_fields == ("学号",)
    assert [r.values[0] for r in result.added] == ["2023000003"]
    assert [r.values[0] for r in result.removed] == ["2023000001"]
    [changed] = result.changed
    assert changed.cells == (CellChange("学生姓名", "王芳", "王芳芳"),)
    html = page.content.decode()
    assert 'data-changed="1"' in html and "<del" in html and "王芳芳" in html
    kinds = [item.kind for item in page.context["items"]]
    assert kinds == ["changed", "added", "removed"]
    only_added = as_("sun").get(compare_url(three_versions, "?a=1&b=2&show=added"))
    assert [item.kind for item in only_added.context["items"]] == ["added"]


def test_a_version_that_does_not_exist_falls_back_to_the_default(as_, three_versions):
    page = as_("han").get(compare_url(three_versions, "?a=99&b=x"))
    assert page.status_code == 200
    assert (page.context["old"].number, page.context["new"].number) == (2, 3)


def test_identical_data_says_so(as_, pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS, title=False)
    page = as_("zhang").get(compare_url(pharmacy))
    assert page.context["result"].is_same
    assert page.context["result"].unchanged == 2


def test_one_version_has_nothing_to_compare(as_, pharmacy, staff):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    page = as_("zhang").get(compare_url(pharmacy))
    assert page.status_code == 200 and "result" not in page.context


def test_comparisons_are_paginated(as_, pharmacy, staff):
    upload(pharmacy, staff["zhang"], [student(f"2023{n:06d}") for n in range(60)])
    upload(pharmacy, staff["zhang"], [student(f"2023{n:06d}", "王芳") for n in range(60)])
    page = as_("li").get(compare_url(pharmacy))
    assert len(page.context["result"].changed) == 60
    assert len(page.context["items"]) == 50
    second = as_("li").get(compare_url(pharmacy, "?page=2"))
    assert len(second.context["items"]) == 10


def test_outsiders_get_404(as_, three_versions):
    assert as_("zhao").get(compare_url(three_versions, "?a=1&b=2")).status_code == 404
