"""Prerequisite tables: 表1-6 (本科生基本情况) depends on 表1-5-1 (教职工基本信息) in the catalog.

While 表1-5-1 is assigned and still collecting, 药学院's 表1-6 shows a warning (WARN) or may not
be submitted (BLOCK); the office (夏主任) chooses per cycle. A prerequisite not assigned this
year never blocks.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Event
from collection.dependencies import prerequisites_pending
from collection.models import Assignment, ContributionState, Cycle, DependencyMode
from collection.services.assignments import assignment_set, breakdown_publish
from review import workflow
from review.workflow.contributions import submit_check
from tests.review.conftest import PHARMACY_ROWS, upload

pytestmark = pytest.mark.django_db


def set_mode(cycle, mode):
    Cycle.objects.filter(pk=cycle.pk).update(dependency_mode=mode)


@pytest.fixture
def staff_roster_pending(cycle, units, staff, assignment):
    """表1-5-1 is assigned to 教务处 and published: it is collecting."""
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code="表1-5-1"),
        responsible_unit=units["academic"],
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)


def render_tag(assignment):
    assignment = Assignment.objects.select_related("cycle", "table").get(pk=assignment.pk)
    return Template("{% load review_tags %}{% prerequisites assignment %}").render(
        Context({"assignment": assignment})
    )


def test_an_unassigned_prerequisite_is_not_pending(assignment):
    assert assignment.table.depends_on == ["表1-5-1"]
    assert prerequisites_pending(assignment) == []
    assert render_tag(assignment).strip() == ""


def test_a_collecting_prerequisite_is_pending(assignment, staff_roster_pending):
    (pending,) = prerequisites_pending(assignment)
    assert (pending.code, pending.name) == ("表1-5-1", "教职工基本信息")
    assert pending.state == "collecting" and (pending.delivered, pending.expected) == (0, 1)
    assert pending.responsible_unit == "教务处"


def test_block_mode_refuses_submission_naming_the_prerequisites(
    client_for, staff, cycle, pharmacy, staff_roster_pending
):
    set_mode(cycle, DependencyMode.BLOCK)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    response = client_for("zhang").post(
        reverse("review:contribution_submit", args=[pharmacy.pk]), follow=True
    )
    assert "表1-5-1 教职工基本信息" in response.content.decode()
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.DRAFTING
    assert not Event.objects.filter(action="contribution.submit").exists()
    tag = render_tag(pharmacy.assignment)
    assert 'data-mode="block"' in tag and "表1-5-1" in tag


def test_warn_mode_lets_submission_through_and_shows_the_warning(
    staff, cycle, pharmacy, staff_roster_pending
):
    set_mode(cycle, DependencyMode.WARN)
    tag = render_tag(pharmacy.assignment)
    assert 'data-mode="warn"' in tag and "表1-5-1" in tag and "教务处" in tag
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.SOURCE_REVIEW


def test_a_prerequisite_past_collecting_no_longer_blocks(
    staff, cycle, units, assignment, delivered_all
):
    """表1-6 is made the prerequisite of 表1-2: pending while collecting (even when every unit
    has delivered), settled once the responsible unit starts its second review."""
    other = cycle.tables.get(code="表1-2")
    other.depends_on = ["表1-6", "表9-9"]  # 表9-9 is not in the cycle: ignored
    other.save(update_fields=["depends_on"])
    dependent = assignment_set(
        actor=staff["xia"], cycle=cycle, table=other, responsible_unit=units["nursing"]
    )
    (pending,) = prerequisites_pending(dependent)
    assert (pending.code, pending.delivered, pending.expected) == ("表1-6", 2, 2)
    workflow.table_report_start_second_review(actor=staff["sun"], report=assignment.report)
    assert prerequisites_pending(dependent) == []


def test_no_dependency_costs_no_query(cycle, units, staff, pharmacy, django_assert_num_queries):
    table = cycle.tables.get(code="表1-6")
    table.depends_on = []
    table.save(update_fields=["depends_on"])
    assignment = Assignment.objects.select_related("cycle", "table").get(pk=pharmacy.assignment_id)
    with django_assert_num_queries(0):
        assert prerequisites_pending(assignment) == []
        assert render_tag_loaded(assignment).strip() == ""
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    counts = {}
    for mode in (DependencyMode.WARN, DependencyMode.BLOCK):
        set_mode(cycle, mode)
        c = workflow.contributions.lock_contribution(pharmacy)
        with CaptureQueriesContext(connection) as queries:
            submit_check(c, staff["zhang"])
        counts[mode] = len(queries)
    assert counts[DependencyMode.WARN] == counts[DependencyMode.BLOCK]


def render_tag_loaded(assignment):
    return Template("{% load review_tags %}{% prerequisites assignment %}").render(
        Context({"assignment": assignment})
    )


def test_the_office_chooses_the_mode_per_cycle(client_for, cycle):
    data = {
        "snapshot_date": "2026-09-30",
        "academic_start": "2025-09-01",
        "academic_end": "2026-08-31",
        "natural_start": "2025-01-01",
        "natural_end": "2025-12-31",
        "dependency_mode": "block",
    }
    url = reverse("review:cycle_detail", args=[cycle.year])
    assert client_for("xia").post(url, data).status_code == 302
    cycle.refresh_from_db()
    assert cycle.dependency_mode == DependencyMode.BLOCK
    event = Event.objects.filter(action="cycle.update").latest("id")
    assert event.data["changed"]["dependency_mode"] == ["warn", "block"]
    # A form without the setting keeps it.
    del data["dependency_mode"]
    client_for("xia").post(url, data)
    cycle.refresh_from_db()
    assert cycle.dependency_mode == DependencyMode.BLOCK
    assert client_for("zhang").post(url, {**data, "dependency_mode": "warn"}).status_code == 403


def test_submit_check_refusal_is_a_validation_error(staff, cycle, pharmacy, staff_roster_pending):
    set_mode(cycle, DependencyMode.BLOCK)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    c = workflow.contributions.lock_contribution(pharmacy)
    with pytest.raises(ValidationError, match="表1-5-1"):
        submit_check(c, staff["zhang"])
    assert "submit" not in [t.name for t in workflow.available_transitions(c, staff["zhang"])]
