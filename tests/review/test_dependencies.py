"""Prerequisite tables are what a table's rules read: 表1-6 (本科生基本情况) checks its 专业代码
against 表1-4-1 (专业基本情况) and 表1-4-2 (专业大类情况表), so it waits for them.

While 表1-4-1 is assigned and still collecting, 药学院's 表1-6 shows a warning (WARN) or may not
be submitted (BLOCK); the office (夏主任) chooses per cycle. A prerequisite not assigned this
year never blocks; tables that read each other never wait for each other.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Event
from collection.dependencies import prerequisite_codes, prerequisites_pending
from collection.models import Assignment, ContributionState, Cycle, DependencyMode, TableSpec
from collection.renumber import renumber
from collection.sampledata import sample_rows, sample_workbook
from collection.schema import rule_specs
from collection.selectors import _schema_cache, table_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.versions import version_create
from collection.validation.crosstable import is_cross_table, referenced_tables
from review import workflow
from review.workflow.contributions import submit_check
from tests.review.conftest import PHARMACY_ROWS, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Some tests here change a spec's rules and version: primary keys are reused between
    tests, so forget schemas cached under (pk, version)."""
    _schema_cache.clear()
    yield
    _schema_cache.clear()


def set_mode(cycle, mode):
    Cycle.objects.filter(pk=cycle.pk).update(dependency_mode=mode)


@pytest.fixture
def staff_roster_pending(cycle, units, staff, assignment):
    """表1-4-1 (the majors 表1-6's 专业代码 come from) is assigned to 教务处 and published: it
    is collecting."""
    assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=cycle.tables.get(code="表1-4-1"),
        responsible_unit=units["academic"],
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)


def read_tables(spec: TableSpec) -> set[str]:
    """Every other table a cross-table rule of ``spec`` names."""
    specs, _key = rule_specs(spec.rules)
    return {t for r in specs if is_cross_table(r) for t in referenced_tables(r)} - {spec.code}


def test_prerequisites_are_exactly_the_tables_the_rules_read(cycle, units, staff):
    """In a cycle loaded from the catalog every prerequisite is a table of the cycle, and every
    other table a cross-table rule reads is a prerequisite; nothing else is."""
    codes = set(cycle.tables.values_list("code", flat=True))
    with_prerequisites = 0
    for spec in cycle.tables.all():
        assignment = Assignment(cycle=cycle, table=spec, responsible_unit=units["academic"])
        found = prerequisite_codes(assignment)
        assert set(found) <= codes - {spec.code}, spec.code
        assert set(found) == read_tables(spec) & codes, spec.code
        assert set(table_schema(spec).depends_on) == read_tables(spec), spec.code
        with_prerequisites += bool(found)
    assert with_prerequisites > 50
    # What the rules of the catalog read, not the old hand-kept list (表1-5-1, 表1-7, 表1-6-1).
    student = Assignment(cycle=cycle, table=cycle.tables.get(code="表1-6"))
    assert prerequisite_codes(student) == ["表1-4-1", "表1-4-2"]
    contest = Assignment(cycle=cycle, table=cycle.tables.get(code="表6-6-3"))
    assert prerequisite_codes(contest) == ["表1-6"]
    assert TableSpec.objects.filter(cycle=cycle).exclude(depends_on=[]).count() == 0


def test_renumbered_rules_move_the_prerequisite(cycle):
    """A template pack that renumbers 表1-4-1 to 表1-4-9 renumbers the rules that read it; the
    prerequisite follows (and a code the cycle no longer has is no prerequisite)."""
    majors = cycle.tables.get(code="表1-4-1")
    majors.code = "表1-4-9"
    majors.save(update_fields=["code"])
    student = Assignment(cycle=cycle, table=cycle.tables.get(code="表1-6"))
    assert prerequisite_codes(student) == ["表1-4-2"]
    table = student.table
    table.rules = renumber(table.rules, {"表1-4-1": "表1-4-9"})
    table.spec_version += 1
    table.save(update_fields=["rules", "spec_version"])
    assert prerequisite_codes(student) == ["表1-4-9", "表1-4-2"]


def render_tag(assignment):
    assignment = Assignment.objects.select_related("cycle", "table").get(pk=assignment.pk)
    return Template("{% load review_tags %}{% prerequisites assignment %}").render(
        Context({"assignment": assignment})
    )


def test_an_unassigned_prerequisite_is_not_pending(assignment):
    assert prerequisite_codes(assignment) == ["表1-4-1", "表1-4-2"]
    assert prerequisites_pending(assignment) == []
    assert render_tag(assignment).strip() == ""


def test_a_collecting_prerequisite_is_pending(assignment, staff_roster_pending):
    (pending,) = prerequisites_pending(assignment)
    assert (pending.code, pending.name) == ("表1-4-1", "专业基本情况")
    assert pending.state == "collecting" and (pending.delivered, pending.expected) == (0, 1)
    assert pending.responsible_unit == "教务处" and not pending.mutual


def test_block_mode_refuses_submission_naming_the_prerequisites(
    client_for, staff, cycle, pharmacy, staff_roster_pending
):
    set_mode(cycle, DependencyMode.BLOCK)
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    response = client_for("zhang").post(
        reverse("review:contribution_submit", args=[pharmacy.pk]), follow=True
    )
    assert "表1-4-1 专业基本情况" in response.content.decode()
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.DRAFTING
    assert not Event.objects.filter(action="contribution.submit").exists()
    tag = render_tag(pharmacy.assignment)
    assert 'data-mode="block"' in tag and "表1-4-1" in tag


def test_warn_mode_lets_submission_through_and_shows_the_warning(
    staff, cycle, pharmacy, staff_roster_pending
):
    set_mode(cycle, DependencyMode.WARN)
    tag = render_tag(pharmacy.assignment)
    assert 'data-mode="warn"' in tag and "表1-4-1" in tag and "教务处" in tag
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    workflow.contribution_submit(actor=staff["zhang"], contribution=pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.SOURCE_REVIEW


def test_a_prerequisite_past_collecting_no_longer_blocks(
    staff, cycle, units, assignment, delivered_all
):
    """表1-6 is made the prerequisite of 表1-2 (a rule of 表1-2 reads it): pending while
    collecting (even when every unit has delivered), settled once the responsible unit starts
    its second review."""
    other = cycle.tables.get(code="表1-2")
    other.rules = [*other.rules, reads_rule("表1-2", ["表1-6", "表9-9"])]  # 表9-9: no such table
    other.spec_version += 1
    other.save(update_fields=["rules", "spec_version"])
    dependent = assignment_set(
        actor=staff["xia"], cycle=cycle, table=other, responsible_unit=units["nursing"]
    )
    (pending,) = prerequisites_pending(dependent)
    assert (pending.code, pending.delivered, pending.expected) == ("表1-6", 2, 2)
    workflow.table_report_start_second_review(actor=staff["sun"], report=assignment.report)
    assert prerequisites_pending(dependent) == []


def reads_rule(table: str, others: list[str]) -> dict:
    """A rule entry of ``table`` whose 单位号 must be in one of ``others``."""
    return {
        "table": table,
        "index": 98,
        "status": "implemented",
        "rules": [
            {
                "kind": "exists_in",
                "fields": ["单位号"],
                "tables": [{"table": code, "fields": ["学号"]} for code in others],
                "message": "单位号须在其他表中。",
            }
        ],
    }


def test_tables_that_read_each_other_never_wait_for_each_other(
    client_for, staff, cycle, units, assignment, staff_roster_pending
):
    """表1-2 and 表1-3 keep their 单位号 apart (each reads the other): in a blocking cycle 表1-2
    is shown that 表1-3 is pending, and may still be submitted; 表1-4-1 still waits for it."""
    set_mode(cycle, DependencyMode.BLOCK)
    for code in ("表1-2", "表1-3"):
        assignment_set(
            actor=staff["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["pharmacy"],
        )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    party = Assignment.objects.get(cycle=cycle, table__code="表1-2")
    (pending,) = prerequisites_pending(party)
    assert (pending.code, pending.mutual) == ("表1-3", True)
    tag = render_tag(party)
    assert 'data-mode="warn"' in tag and 'data-testid="prerequisite-mutual"' in tag
    contribution = party.contributions.get()
    schema = table_schema(party.table)
    rows = sample_rows(schema, cycle.dates(), 3)
    version_create(
        actor=staff["zhang"],
        contribution=contribution,
        content=sample_workbook(schema, rows),
        filename="党政单位.xlsx",
    )
    workflow.contribution_submit(actor=staff["zhang"], contribution=contribution)
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SOURCE_REVIEW
    majors = Assignment.objects.get(cycle=cycle, table__code="表1-4-1")
    assert [(p.code, p.mutual) for p in prerequisites_pending(majors)] == [("表1-3", False)]


def test_no_dependency_costs_no_query(cycle, units, staff, pharmacy, django_assert_num_queries):
    table = cycle.tables.get(code="表1-6")
    table.rules = [e for e in table.rules if not read_tables_of_entry(e)]
    table.spec_version += 1
    table.save(update_fields=["rules", "spec_version"])
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


def read_tables_of_entry(entry: dict) -> set[str]:
    specs, _key = rule_specs([entry])
    return {t for r in specs if is_cross_table(r) for t in referenced_tables(r)}


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
    with pytest.raises(ValidationError, match="表1-4-1"):
        submit_check(c, staff["zhang"])
    assert "submit" not in [t.name for t in workflow.available_transitions(c, staff["zhang"])]
