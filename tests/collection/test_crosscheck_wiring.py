# ruff: noqa: F811  (test arguments name the fixtures imported from tests/review/conftest.py)
"""Cross-table checks are stored and re-run when a table they read changes.

教务处 is responsible for 表1-5-1 (教职工基本信息) and 表3-1 (校领导基本信息); 表3-1's rule
wants every leader's 工号 and 姓名 in 表1-5-1 or 表1-5-3 (表1-5-3 is not in the breakdown, so it
counts as empty). 钱老师 (qian) collects for 教务处.
"""

import pytest
from django.core.management import call_command

from accounts.models import Event
from collection.models import Contribution, CrossCheckResult, TableReport
from collection.sampledata import sample_rows, sample_workbook
from collection.selectors import table_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.crosscheck import stored_findings
from collection.services.versions import version_create
from tests.review.conftest import academic_staff, cycle, staff  # noqa: F401

STAFF, LEADERS = "表1-5-1", "表3-1"


@pytest.fixture
def tables(cycle, units, staff):
    for code in (STAFF, LEADERS):
        assignment_set(
            actor=staff["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["academic"],
            assisting_units=[],
        )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    return {
        code: Contribution.objects.get(assignment__cycle=cycle, assignment__table__code=code)
        for code in (STAFF, LEADERS)
    }


def teachers(cycle, count=3):
    return sample_rows(table_schema(cycle.tables.get(code=STAFF)), cycle.dates(), count, seed=1)


def leaders(cycle, people):
    """表3-1 rows for these teachers (工号, 姓名 taken from 表1-5-1 rows)."""
    schema = table_schema(cycle.tables.get(code=LEADERS))
    rows = sample_rows(schema, cycle.dates(), len(people), seed=1)
    for row, person in zip(rows, people, strict=True):
        row[0], row[1] = person[0], person[1]
    return rows


def put(contribution, actor, rows):
    schema = table_schema(contribution.assignment.table)
    return version_create(
        actor=actor,
        contribution=contribution,
        content=sample_workbook(schema, rows),
        filename=f"{schema.code}.xlsx",
    )


def result_of(contribution):
    return CrossCheckResult.objects.filter(report__assignment=contribution.assignment).first()


def test_a_new_version_of_the_staff_table_rechecks_the_leaders_table(
    cycle, staff, tables, django_capture_on_commit_callbacks
):
    people = teachers(cycle)
    with django_capture_on_commit_callbacks(execute=True):
        put(tables[LEADERS], staff["qian"], leaders(cycle, people[:2]))
    first = result_of(tables[LEADERS])
    # 表1-5-1 has no data yet: nothing is an error, the rule is "not checked".
    assert first.error_count == 0 and not first.stale
    assert [n["tables"] for n in first.not_checked] == [[STAFF]]
    assert first.not_checked[0]["rows"] == 2

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        put(tables[STAFF], staff["qian"], [people[0], people[2]])  # the second leader is missing
    first.refresh_from_db()
    assert first.stale  # marked in the same transaction as the new version
    for callback in callbacks:
        callback()  # the queued task (eager here)
    fresh = result_of(tables[LEADERS])
    assert not fresh.stale and fresh.computed_at > first.computed_at
    assert fresh.error_count == 1 and fresh.not_checked == []
    [finding] = stored_findings(fresh)
    assert finding["row"] == 3 and finding["value"] == f"{people[1][0]}、{people[1][1]}"
    assert finding["other_tables"] == [STAFF, "表1-5-3"]
    assert finding["unit"] == "1002" and finding["unit_row"] == 4  # title, header, row 2
    assert fresh.sources[STAFF]["kind"] == "current"
    assert fresh.sources["表1-5-3"]["kind"] == "not_collected"
    assert fresh.sources[LEADERS]["versions"] == {"1002": 1}


def test_findings_against_tables_left_out_of_the_breakdown_do_not_count_as_errors(
    cycle, staff, tables, django_capture_on_commit_callbacks
):
    """表1-5-1's 单位号 must be in 表1-2 or 表1-3; neither is collected in this breakdown."""
    with django_capture_on_commit_callbacks(execute=True):
        put(tables[STAFF], staff["qian"], teachers(cycle))
    result = result_of(tables[STAFF])
    units = [f for f in stored_findings(result) if f["other_tables"] == ["表1-2", "表1-3"]]
    assert len(units) == 3 and not any(f["blocking"] for f in units)
    assert result.error_count == 0


def test_events_that_do_not_change_data_leave_the_results_alone(cycle, staff, tables):
    put(tables[LEADERS], staff["qian"], leaders(cycle, teachers(cycle)[:1]))
    report = TableReport.objects.get(assignment=tables[LEADERS].assignment)
    from collection.services.crosscheck import crosscheck_refresh

    crosscheck_refresh(report)
    Event.objects.create(action="person.update", object_type="accounts.user", object_id="1")
    assert not result_of(tables[LEADERS]).stale


def test_load_catalog_refresh_rules_brings_catalog_rules_to_an_old_cycle(cycle):
    spec = cycle.tables.get(code=LEADERS)
    spec.rules = [entry for entry in spec.rules if "exists_in" not in str(entry)]
    spec.save(update_fields=["rules"])
    version = spec.spec_version
    call_command("load_catalog", "--cycle", str(cycle.year), "--refresh-rules")
    spec.refresh_from_db()
    assert any(r["kind"] == "exists_in" for e in spec.rules for r in e.get("rules", []))
    assert spec.spec_version == version + 1
    event = Event.objects.filter(action="cycle.refresh_rules").get()
    assert LEADERS in event.data["tables"]
