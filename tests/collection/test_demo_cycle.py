"""The demo cycle (collection.demo, `manage.py seed_demo`): the catalog loaded and a published
task breakdown whose every table has a responsible unit able to finish it."""

from datetime import date

import pytest
from django.core.management import call_command

from accounts.demo import seed_demo
from accounts.models import Event, Unit
from accounts.selectors import unit_staffing_list
from collection.demo import plan_for, seed_demo_cycle
from collection.models import Assignment, Contribution, Cycle, TableReport, TableSpec
from collection.selectors import tables_in_scope

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def demo_cycle():
    seed_demo()
    return seed_demo_cycle(YEAR)


def _assignment(cycle, code):
    return Assignment.objects.select_related("responsible_unit").get(cycle=cycle, table__code=code)


def _assisting(cycle, code):
    return sorted(u.name for u in _assignment(cycle, code).assisting_units.all())


def test_every_table_in_scope_is_assigned_and_published(demo_cycle):
    assert demo_cycle.published_at is not None
    in_scope = tables_in_scope(demo_cycle).count()
    assert Assignment.objects.filter(cycle=demo_cycle).count() == in_scope
    assert TableReport.objects.filter(assignment__cycle=demo_cycle).count() == in_scope
    expected = sum(1 + a.assisting_units.count() for a in demo_cycle.assignments.all())
    assert Contribution.objects.filter(assignment__cycle=demo_cycle).count() == expected


def test_every_responsible_unit_has_a_second_reviewer(demo_cycle):
    staffing = {s.unit.pk: s for s in unit_staffing_list()}
    for assignment in demo_cycle.assignments.select_related("responsible_unit"):
        unit = assignment.responsible_unit
        assert unit.kind != Unit.Kind.TEACHING, assignment
        assert staffing[unit.pk].second_reviewers, assignment


def test_responsible_units_follow_the_catalogs_hint(demo_cycle):
    responsible = {
        "表1-6": "教务处",
        "表1-5-1": "人事处",
        "表6-4": "学生处",
        "表6-3-1": "招生就业处",  # 招生办公室
        "表7-1": "教学质量监控管理处",  # 教学质量监控与评估中心
        "表4-1-2": "教学质量监控管理处",  # 研究生院/学位办: not in the demo college
        "表6-6-4": "教务处",  # 各艺术类学院；汇总：教务处/团委
    }
    for code, name in responsible.items():
        assert _assignment(demo_cycle, code).responsible_unit.name == name, code


def test_schools_assist_with_the_rosters_they_hold(demo_cycle):
    teaching = sorted(Unit.objects.filter(kind=Unit.Kind.TEACHING).values_list("name", flat=True))
    assert _assisting(demo_cycle, "表1-6") == sorted([*teaching, "学生处"])
    assert set(teaching) <= set(_assisting(demo_cycle, "表5-1-1"))
    assert _assisting(demo_cycle, "表5-1-4") == ["学生处", "招生就业处", "马克思主义学院"]
    assert _assisting(demo_cycle, "表3-5-1") == []


def test_single_record_tables_are_assisted_only_by_units_owning_fields(demo_cycle):
    six = _assignment(demo_cycle, "表6-6")
    codes = {u.name: u.code for u in six.assisting_units.all()}
    assert set(codes) == {"团委", "学生处"}
    assert six.field_owners[codes["学生处"]] == ["体质合格率"]
    single = demo_cycle.assignments.filter(table__row_mode=TableSpec.RowMode.SINGLE)
    for assignment in single:
        owners = assignment.field_owners
        assert sorted(owners) == sorted(u.code for u in assignment.assisting_units.all())


def test_deadlines_come_from_the_cycle(demo_cycle):
    assert demo_cycle.collection_deadline == date(YEAR, 11, 10)
    assignment = _assignment(demo_cycle, "表1-6")
    assert assignment.responsible_deadline == date(YEAR, 11, 10)
    assert assignment.assisting_deadline == date(YEAR, 10, 31)


def test_seeding_again_changes_nothing(demo_cycle):
    events = Event.objects.count()
    assert seed_demo_cycle(YEAR) is None
    assert Event.objects.count() == events


def test_a_hint_without_a_demo_unit_falls_back_to_the_office(demo_cycle):
    table = TableSpec(code="表X", row_mode="list", responsible_hint="研究生院；协助：各学院")
    responsible, assisting, owners = plan_for(table)
    assert responsible == "教学质量监控管理处"
    assert len(assisting) == 8 and owners == {}


def test_the_command_loads_the_college_and_its_cycle(capsys):
    call_command("seed_demo", "--quiet-logins", "--cycle", str(YEAR))
    out = capsys.readouterr().out
    cycle = Cycle.objects.get(year=YEAR)
    assert f"{YEAR}年度采集" in out and "分工表已发布" in out
    assert cycle.assignments.count() == tables_in_scope(cycle).count()
    assert "选用的补充表：医学类专业补充表" in out
    call_command("seed_demo", "--quiet-logins", "--cycle", str(YEAR))
    assert "分工表已存在" in capsys.readouterr().out


def test_the_medical_college_fills_the_medical_set_and_not_the_sf_set(demo_cycle):
    """齐鲁医药学院 is a medical college: its cycle ticks the 医学类 set, its 分工表 assigns the
    medical table to 教务处 with the clinical schools (its hospitals) assisting, and no 表SF."""
    assert demo_cycle.supplements == ["medical"]
    medical = demo_cycle.tables.filter(supplement="medical")
    assert medical.exists()
    assigned = set(demo_cycle.assignments.values_list("table__code", flat=True))
    assert set(medical.values_list("code", flat=True)) <= assigned
    assert not assigned & set(
        demo_cycle.tables.filter(supplement="teacher_education").values_list("code", flat=True)
    )
    training = _assignment(demo_cycle, "表5-2-3")
    assert training.responsible_unit.name == "教务处"
    assert _assisting(demo_cycle, "表5-2-3") == sorted(["临床医学院", "口腔医学院"])
    assert "附属医院的数据由临床医学院、口腔医学院提供" in training.notes
    event = Event.objects.filter(action="cycle.update", object_id=str(demo_cycle.pk)).latest("id")
    assert event.data["changed"]["supplements"] == [[], ["medical"]]


def test_the_medical_set_follows_the_tables_of_the_cycle_not_their_codes(db):
    """Whatever the catalog calls it, a table marked as the medical set is assigned and a
    table of an unticked set is not (the catalog's marks may change with the year's pack)."""
    from collection.services.specs import catalog_load

    seed_demo()
    cycle, _added = catalog_load(actor=None, year=YEAR)
    cycle.tables.filter(code="表1-1").update(supplement="teacher_education")
    cycle.tables.filter(code="表1-2").update(supplement="medical")
    seed_demo_cycle(YEAR)
    assigned = set(cycle.assignments.values_list("table__code", flat=True))
    assert "表1-2" in assigned and "表1-1" not in assigned
