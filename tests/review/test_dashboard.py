"""The progress dashboard (review/views_dashboard.py, review/dashboard.py).

The scenario, built through the real services (personas of tests/conftest.py and
tests/review/conftest.py):
- 表1-6 (1 学校基本信息): 教务处 responsible (due in 2 days), 药学院 assisting (was due
  yesterday). 药学院 was returned once by 李老师, then delivered (late); 教务处 has uploaded but
  not submitted (collecting, due soon).
- 表3-3-1 (3 教职工信息): 护理学院 responsible (was due 2 days ago: overdue), 药学院 assisting
  (due in 10 days). Nothing uploaded: not started.
Who sees it: 夏主任 (office) the whole college with filters, 孔院长 (leadership) the same without
the office's links, 韩老师/邵老师 (college-wide groups) too; 陈院长 heads 药学院 and sees 药学院's
dashboard, 郑处长 教务处's; 张老师 (collector), 孙老师 (second reviewer) and 赵老师 get 403.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts import services as accounts_services
from accounts.models import Unit
from accounts.roles import UnitRole
from collection.models import Contribution, TableReport
from collection.services.assignments import assignment_set, breakdown_publish
from review import dashboard as board_selectors
from review import workflow
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, TABLE, deliver, to_head, upload

OTHER = "表3-3-1"


@pytest.fixture
def scenario(cycle, units, staff):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=TABLE),
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
        responsible_deadline=today + 2 * day,
        assisting_deadline=today - day,
    )
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=OTHER),
        responsible_unit=units["nursing"],
        assisting_units=[units["pharmacy"]],
        responsible_deadline=today - 2 * day,
        assisting_deadline=today + 10 * day,
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    s = staff
    pharmacy = Contribution.objects.get(assignment__table__code=TABLE, unit=units["pharmacy"])
    to_head(pharmacy, s["zhang"], [s["li"]], PHARMACY_ROWS)
    workflow.contribution_return(actor=s["li"], contribution=pharmacy, reason="学号有误，请核对。")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    academic = Contribution.objects.get(assignment__table__code=TABLE, unit=units["academic"])
    upload(academic, s["qian"], ACADEMIC_ROWS)
    return cycle


def url(cycle, **params):
    base = reverse("review:dashboard", args=[cycle.year])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}?{query}" if query else base


def rows(response, testid):
    return response.content.decode().count(f'data-testid="{testid}"')


# The figures ------------------------------------------------------------------------------------


def test_counts_on_the_scenario(scenario, units):
    board = board_selectors.dashboard(scenario)
    stages = {t.code: t.stage for t in board.tables}
    assert stages == {TABLE: "collecting", OTHER: "not_started"}
    counts = {value: count for value, _l, count, _c, _s in board.stage_counts}
    assert counts["collecting"] == 1 and counts["not_started"] == 1
    assert sum(counts.values()) == 2
    contributions = {value: count for value, _l, count in board.contribution_counts}
    assert contributions == {
        "drafting": 3,
        "source_review": 0,
        "head_signoff": 0,
        "delivered": 1,
    }
    by_unit = {u.code: u for u in board.units}
    pharmacy = by_unit["2003"]
    assert (pharmacy.total, pharmacy.delivered, pharmacy.on_time, pharmacy.late) == (2, 1, 0, 1)
    assert (pharmacy.overdue, pharmacy.returns) == (0, 1)
    assert (by_unit["2002"].overdue, by_unit["2002"].returns) == (1, 0)
    assert by_unit["1002"].overdue == 0
    # The units with the most late or overdue first.
    assert [u.code for u in board.units][-1] == "1002"
    assert [(t.code, c.unit_code) for t, c in board.overdue] == [(OTHER, "2002")]
    assert [(t.code, c.unit_code) for t, c in board.due_soon] == [(TABLE, "1002")]
    table = {t.code: t for t in board.tables}[TABLE]
    assert (table.delivered, table.total, table.returns, table.late) == (1, 2, 1, False)
    assert {t.code: t.late for t in board.tables}[OTHER] is True
    # Progress over time: one contribution delivered today, nothing approved.
    assert board.progress == [(timezone.localdate(), 1, 0)]


def test_a_delivery_before_the_deadline_is_on_time(scenario, units, staff):
    s = staff
    academic = Contribution.objects.get(assignment__table__code=TABLE, unit=units["academic"])
    workflow.contribution_submit(actor=s["qian"], contribution=academic)
    for reviewer in (s["zhou"], s["wu"]):
        workflow.contribution_approve(actor=reviewer, contribution=academic)
    workflow.contribution_sign(actor=s["zheng"], contribution=academic)
    board = board_selectors.dashboard(scenario)
    by_unit = {u.code: u for u in board.units}
    assert (by_unit["1002"].delivered, by_unit["1002"].on_time) == (1, 1)
    assert {t.code: t.stage for t in board.tables}[TABLE] == "all_delivered"
    assert board.due_soon == []
    assert board.progress == [(timezone.localdate(), 2, 0)]


def test_the_office_sees_the_whole_college(scenario, client_for):
    response = client_for("xia").get(url(scenario))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows(response, "matrix-row") == 2
    assert rows(response, "unit-row") == 3
    assert rows(response, "overdue-row") == 1
    assert rows(response, "due-soon-row") == 1
    report = TableReport.objects.get(assignment__table__code=TABLE)
    assert reverse("review:report_detail", args=[report.pk]) in html
    assert reverse("review:report_list", args=[scenario.year]) + "?state=collecting" in html
    assert 'hx-trigger="every 30s"' in html
    assert "<svg" in html
    assert "Pygal" not in html  # the chart's hover title names the chart
    assert 'data-testid="office-link"' in html
    assert reverse("review:dashboard_export", args=[scenario.year]) in html


def test_filters_by_category_and_unit(scenario, client_for, units):
    client = client_for("xia")
    response = client.get(url(scenario, category="3 教职工信息"))
    assert rows(response, "matrix-row") == 1
    assert f'data-table="{OTHER}"' in response.content.decode()
    response = client.get(url(scenario, unit=units["academic"].pk))
    html = response.content.decode()
    assert rows(response, "matrix-row") == 1 and f'data-table="{TABLE}"' in html
    # 教务处's table: its own contribution and 药学院's to it.
    assert rows(response, "unit-row") == 2
    assert rows(response, "overdue-row") == 0
    response = client.get(url(scenario, unit=units["nursing"].pk))
    assert rows(response, "matrix-row") == 1 and rows(response, "overdue-row") == 1
    response = client.get(url(scenario, category="no such", unit="x"))
    assert response.status_code == 200 and rows(response, "matrix-row") == 0


@pytest.mark.parametrize("persona", ["kong", "han", "shao"])
def test_leadership_and_the_groups_read_without_the_office_links(scenario, client_for, persona):
    response = client_for(persona).get(url(scenario))
    assert response.status_code == 200
    html = response.content.decode()
    assert rows(response, "matrix-row") == 2
    assert 'data-testid="office-link"' not in html
    # Nothing on the page posts (the navigation's forms are outside <main>).
    assert 'method="post"' not in html.split("<main", 1)[1]


def test_a_unit_head_sees_their_units_dashboard(scenario, client_for, units):
    response = client_for("chen").get(url(scenario))
    assert response.status_code == 200
    html = response.content.decode()
    # 药学院 contributes to both tables; only its own contributions count.
    assert rows(response, "matrix-row") == 2
    assert rows(response, "unit-row") == 1 and 'data-unit="2003"' in html
    assert rows(response, "overdue-row") == 0
    assert 'data-testid="filters"' not in html
    # Another unit in the address does not open it: the head still sees their own.
    response = client_for("chen").get(url(scenario, unit=units["nursing"].pk))
    assert 'data-unit="2003"' in response.content.decode()
    assert 'data-unit="2002"' not in response.content.decode()


def test_a_head_of_the_responsible_unit_sees_who_is_late_for_its_table(scenario, client, staff):
    client.force_login(staff["zheng"])
    response = client.get(url(scenario))
    html = response.content.decode()
    assert rows(response, "matrix-row") == 1 and f'data-table="{TABLE}"' in html
    assert 'data-unit="1002"' in html and 'data-unit="2003"' in html
    assert 'data-unit="2002"' not in html


def test_a_head_of_two_units_switches_between_them(scenario, client_for, people, units):
    accounts_services.role_assign(
        actor=None, user=people["chen"], role=UnitRole.HEAD, unit=units["nursing"]
    )
    client = client_for("chen")
    html = client.get(url(scenario)).content.decode()
    assert 'data-testid="filters"' in html
    response = client.get(url(scenario, unit=units["nursing"].pk))
    assert 'data-unit="2002"' in response.content.decode()


@pytest.mark.parametrize("persona", ["zhang", "sun", "zhao", "li"])
def test_others_are_refused(scenario, client_for, persona):
    client = client_for(persona)
    assert client.get(url(scenario)).status_code == 403
    assert client.get(reverse("review:dashboard_export", args=[scenario.year])).status_code == 403
    assert client.get(reverse("review:dashboard_latest")).status_code == 403
    assert 'data-testid="dashboard-link"' not in client.get(reverse("home")).content.decode()


def test_the_navigation_links_to_the_latest_cycle(scenario, client_for):
    client = client_for("kong")
    assert 'data-testid="dashboard-link"' in client.get(reverse("home")).content.decode()
    response = client.get(reverse("review:dashboard_latest"))
    assert response.status_code == 302 and response.url == url(scenario)


def test_without_a_cycle_the_link_says_so(db, client_for):
    response = client_for("xia").get(reverse("review:dashboard_latest"))
    assert response.status_code == 302
    assert response.url == reverse("collection:cycle_list")


def test_a_missing_cycle_is_404(scenario, client_for):
    assert client_for("xia").get(reverse("review:dashboard", args=[1999])).status_code == 404


def test_post_is_refused(scenario, client_for):
    assert client_for("xia").post(url(scenario)).status_code == 405


def test_the_htmx_partial_renders_alone(scenario, client_for):
    response = client_for("kong").get(url(scenario), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-live"')
    assert "<html" not in html and "<script" not in html
    assert rows(response, "matrix-row") == 2
    assert "<svg" in html


def test_long_lists_are_cut_with_a_pointer_to_the_report(scenario, client_for, monkeypatch):
    monkeypatch.setattr(board_selectors, "LIST_LIMIT", 0)
    response = client_for("xia").get(url(scenario))
    assert rows(response, "overdue-row") == 0 and rows(response, "overdue-more") == 1
    assert rows(response, "due-soon-row") == 0 and rows(response, "due-soon-more") == 1


# The progress report --------------------------------------------------------------------------


def test_export_has_a_row_per_table_and_per_unit(scenario, client_for):
    response = client_for("xia").get(reverse("review:dashboard_export", args=[scenario.year]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    tables, units, overdue = book.worksheets
    table_rows = list(tables.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[5], r[6], r[7]) for r in table_rows] == [
        (TABLE, "教务处", 1, 2, 1),
        (OTHER, "护理学院", 0, 2, 0),
    ]
    deadline = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert table_rows[0][8] == deadline
    unit_rows = {r[0]: r for r in units.iter_rows(min_row=2, values_only=True)}
    assert set(unit_rows) == {"2003", "2002", "1002"}
    assert unit_rows["2003"][2:] == (2, 1, 0, 1, 0, 1)
    assert unit_rows["2002"][2:] == (1, 0, 0, 0, 1, 0)
    late = list(overdue.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[5]) for r in late] == [(OTHER, "护理学院", 2)]


def test_export_of_a_unit_head_has_only_their_unit(scenario, client_for):
    response = client_for("chen").get(reverse("review:dashboard_export", args=[scenario.year]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    units = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in units] == ["2003"]


def test_export_follows_the_filters(scenario, client_for):
    path = reverse("review:dashboard_export", args=[scenario.year])
    response = client_for("xia").get(f"{path}?category=3 教职工信息")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert [r[0] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [OTHER]


# It stays fast ----------------------------------------------------------------------------------


def college(cycle, actor, n: int) -> None:
    """``n`` more units, each responsible for one table with 药学院 assisting, published; one
    contribution returned and one signed off, so every query has rows to group."""
    pharmacy = Unit.objects.get(code="2003")
    tables = list(cycle.tables.exclude(code__in=[TABLE, OTHER]).order_by("position")[:n])
    for i, table in enumerate(tables):
        unit = accounts_services.unit_create(
            actor=None, code=f"9{i:03d}", name=f"测试单位{i}", kind=Unit.Kind.TEACHING
        )
        assignment_set(
            actor=actor,
            cycle=cycle,
            table=table,
            responsible_unit=unit,
            assisting_units=[pharmacy],
            responsible_deadline=timezone.localdate(),
        )
    breakdown_publish(actor=actor, cycle=cycle)


# The page needs 14 queries for the office (session, user, roles, navigation, inbox badge and
# the dashboard's own), a few more for a unit head; the same for 3 tables and for 9.
QUERY_BOUND = 20


@pytest.mark.parametrize("n", [3, 9])
def test_the_number_of_queries_does_not_grow(
    scenario, staff, client_for, n, django_assert_max_num_queries
):
    college(scenario, staff["xia"], n)
    client = client_for("xia")
    path = url(scenario)
    client.get(path)  # warm the session and the caches
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(path)
    assert rows(response, "matrix-row") == 2 + n
    assert rows(response, "unit-row") == 3 + n
    with django_assert_max_num_queries(QUERY_BOUND):
        client.get(reverse("review:dashboard_export", args=[scenario.year]))
    head = client_for("chen")
    head.get(path)
    with django_assert_max_num_queries(QUERY_BOUND):
        response = head.get(path)
    assert rows(response, "matrix-row") == 2 + n
