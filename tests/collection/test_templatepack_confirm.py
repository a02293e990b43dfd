"""A template pack through the services: upload (a preview), the office's corrections, confirm.

Last year (2025) was loaded from the 2018 templates into an empty cycle, then given what a year
of use gives a cycle: rules, code lists, required flags and thresholds, a 分工表 and approved
data. 2026 is copied from it and takes the pack derived with the 2024 changes.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from accounts.models import Event
from collection.models import Assignment, Cycle, FieldSpec, TableReport, TableSpec
from collection.models_templates import TemplateFile, TemplatePack
from collection.selectors import _schema_cache, table_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.specs import catalog_load, cycle_create_from_previous, field_spec_update
from collection.services.versions import version_create
from collection.services.yoy import previous_report
from collection.templatepack.confirm import template_pack_confirm
from collection.templatepack.plan import NEW, build_plan
from collection.templatepack.services import (
    cycle_tables,
    pack_prepare,
    plan_token,
    template_pack_discard,
    template_pack_match,
    template_pack_upload,
)
from review import workflow
from tests.collection.templatepacks import (
    GENDERS,
    NEW_HEADERS,
    RENUMBERED,
    pack_2018,
    pack_2024,
    zipped,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_schemas():
    """Schemas are cached by (spec pk, spec version); ids come back after a test's rollback."""
    _schema_cache.clear()
    yield
    _schema_cache.clear()


def upload(actor, cycle, files):
    return template_pack_upload(actor=actor, cycle=cycle, prepared=pack_prepare(files))


def confirm(actor, pack):
    return template_pack_confirm(
        actor=actor, pack=pack, token=plan_token(pack, cycle_tables(pack.cycle))
    )


def spec(cycle, code):
    return TableSpec.objects.get(cycle=cycle, code=code)


def column(cycle, code, name):
    return FieldSpec.objects.select_related("code_list").get(
        table__cycle=cycle, table__code=code, name=name
    )


RULES = {
    # 表2-6 固定资产 (→ 表2-5): an in-table rule.
    "表2-6": [
        {
            "table": "表2-6",
            "index": 0,
            "status": "implemented",
            "catalog_rule": "固定资产总值 >= 教学、科研仪器设备资产总值",
            "rules": [
                {
                    "kind": "compare",
                    "left": {"field": "固定资产总值"},
                    "op": ">=",
                    "right": {"field": "教学、科研仪器设备资产总值"},
                    "message": "“固定资产总值”不能小于“教学、科研仪器设备资产总值”。",
                }
            ],
        }
    ],
    # 表3-5-4 (→ 表3-5-1) reads 表1-6-1 (→ 表1-5-1, while 表1-5-1 → 表1-4-1).
    "表3-5-4": [
        {
            "table": "表3-5-4",
            "index": 0,
            "status": "implemented",
            "catalog_rule": "工号与表1-6-1关联",
            "rules": [
                {
                    "kind": "exists_in",
                    "fields": ["工号", "教师姓名"],
                    "tables": [{"table": "表1-6-1", "fields": ["工号", "姓名"]}],
                    "message": "“工号”和“教师姓名”须是表1-6-1 教职工基本信息中的教师。",
                }
            ],
        }
    ],
    # 表2-3-2 reads a column the pack renames, and 表2-3-1.
    "表2-3-2": [
        {
            "table": "表2-3-2",
            "index": 0,
            "status": "implemented",
            "catalog_rule": "当年新增纸质图书数量 <= 纸质图书总量",
            "rules": [
                {
                    "kind": "aggregate_compare",
                    "left": {"field": "当年新增纸质图书数量"},
                    "op": "<=",
                    "right": {"table": "表2-3-1", "sum": "纸质图书总量"},
                    "message": "“当年新增纸质图书数量”不能大于表2-3-1的“纸质图书总量”。",
                }
            ],
        }
    ],
    # 表2-4 reads 地址, which the pack removes.
    "表2-4": [
        {
            "table": "表2-4",
            "index": 0,
            "status": "implemented",
            "catalog_rule": "地址不能为空",
            "rules": [{"kind": "length", "field": "地址", "min": 1, "message": "请填写“地址”。"}],
        }
    ],
}


def last_year(office, units) -> Cycle:
    """2025: the 2018 pack loaded into an empty cycle, then a year of use."""
    cycle = Cycle.objects.create(year=2025, **Cycle.default_dates(2025))
    confirm(office, upload(office, cycle, pack_2018()))
    for code, rules in RULES.items():
        TableSpec.objects.filter(cycle=cycle, code=code).update(rules=rules)
    assets = column(cycle, "表2-6", "固定资产总值")
    FieldSpec.objects.filter(pk=assets.pk).update(type="decimal")
    field_spec_update(
        actor=office,
        field=assets,
        required=True,
        help="学校固定资产的账面原值（万元）。",
        change_threshold=30,
        change_floor=100,
    )
    field_spec_update(
        actor=office, field=column(cycle, "表1-6-1", "性别"), codes=[*GENDERS, "未知"]
    )
    field_spec_update(
        actor=office, field=column(cycle, "表1-6-1", "学科类别"), codes=["理学", "医学"]
    )
    for code in ("表2-6", "表2-5", "表4-1-3"):
        assignment_set(
            actor=office,
            cycle=cycle,
            table=spec(cycle, code),
            responsible_unit=units["academic"],
            assisting_units=[units["pharmacy"]],
        )
    breakdown_publish(actor=office, cycle=cycle)
    for code, row in (
        ("表2-6", ["5000", "1200", "300", "200", "50"]),
        ("表4-1-3", ["药学", "1007", "药学院", "2003", "硕士"]),
    ):
        report = TableReport.objects.get(assignment__cycle=cycle, assignment__table__code=code)
        workflow.table_report_import_approved(
            actor=office, report=report, headers=table_schema(spec(cycle, code)).headers, rows=[row]
        )
    return cycle


@pytest.fixture
def years(people, units):
    office = people["xia"]
    previous = last_year(office, units)
    return previous, cycle_create_from_previous(actor=office, previous=previous, year=2026)


def shape_of(cycle):
    return sorted(
        (
            t.code,
            t.name,
            t.spec_version,
            t.rules,
            [(f.name, f.type, f.code_list_id) for f in t.fields.all()],
        )
        for t in cycle.tables.prefetch_related("fields")
    )


def test_a_pack_into_an_empty_cycle_creates_every_table(people):
    office = people["xia"]
    cycle = Cycle.objects.create(year=2025, **Cycle.default_dates(2025))
    files = pack_2018()
    confirm(office, upload(office, cycle, files))
    tables = list(cycle.tables.order_by("position"))
    assert [t.code for t in tables][:4] == ["表1-1", "表1-2", "表1-3", "表1-4"]
    assert len(tables) == 90 and tables[-1].code == "表SF-14"
    staff = spec(cycle, "表1-6-1")
    assert staff.sheet_name == " 教职工基本信息" and staff.fields_status == "template"
    assert [f.name for f in staff.fields.order_by("position")][:3] == ["工号", "姓名", "性别"]
    assert {f.type for f in staff.fields.all()} == {"text"}
    assert not any(f.required for f in staff.fields.all())
    assert staff.source.startswith("模板包 90个模板文件.zip")
    # Kind of table from the catalog table of the same name.
    assert spec(cycle, "表1-1").row_mode == TableSpec.RowMode.SINGLE
    assert spec(cycle, "表1-1").category == "1 学校基本信息"
    # Each table's template kept as it came.
    template = staff.template
    assert template.kind == "xls" and template.sheet_name == " 教职工基本信息"
    assert template.file.read() == dict(files)["表1-6-1 教职工基本信息.xls"]
    assert TemplateFile.objects.filter(pack__cycle=cycle).count() == 90


def test_nothing_changes_before_the_office_confirms(years, people):
    _previous, cycle = years
    before = shape_of(cycle)
    assignments = list(Assignment.objects.filter(cycle=cycle).values_list("pk", "table_id"))
    pack = upload(people["xia"], cycle, [("2024模板.zip", zipped(pack_2024(), folder="模板"))])
    assert pack.state == TemplatePack.State.PREVIEW
    assert shape_of(cycle) == before
    assert list(Assignment.objects.filter(cycle=cycle).values_list("pk", "table_id")) == assignments
    assert not TemplateFile.objects.filter(pack=pack).exists()
    event = Event.objects.get(action="template_pack.upload", object_id=str(pack.pk))
    assert event.data["renumbered"] == RENUMBERED
    assert event.data["gone"][:2] == ["表1-2", "表1-9"]
    template_pack_discard(actor=people["xia"], pack=pack)
    assert shape_of(cycle) == before


def test_confirming_carries_everything_through_the_mapping(years, people, units):
    previous, cycle = years
    office = people["xia"]
    pack = upload(office, cycle, [("2024模板.zip", zipped(pack_2024(), folder="模板"))])
    # The office decides that 一流学科 is a new table, not 重点学科 renamed.
    pack = template_pack_match(actor=office, pack=pack, choices={"表4-1-3": NEW})
    assets_before = spec(cycle, "表2-6")
    confirm(office, pack)
    pack.refresh_from_db()
    assert pack.state == TemplatePack.State.CONFIRMED and pack.decided_by == office

    # Renumbered in place: the same spec, its 分工表 row, its columns' settings.
    assets = spec(cycle, "表2-5")
    assert assets.pk == assets_before.pk and assets.name == "固定资产"
    assert assets.sheet_name == " 固定资产" and assets.last_year_code == "表2-6"
    assert assets.spec_version == assets_before.spec_version + 1
    assert (assets.fields_status, assets.confidence) == ("template", "template")
    total = column(cycle, "表2-5", "固定资产总值")
    assert (total.type, total.required, total.change_threshold, total.change_floor) == (
        "decimal",
        True,
        30,
        100,
    )
    assert total.help == "学校固定资产的账面原值（万元）。"
    assignment = Assignment.objects.get(cycle=cycle, table=assets)
    assert assignment.responsible_unit == units["academic"]
    assert list(assignment.assisting_units.all()) == [units["pharmacy"]]

    # Rules renumbered in one pass, renamed columns followed, broken rules inactive.
    (rule,) = assets.rules
    assert rule["table"] == "表2-5" and rule["status"] == "implemented"
    (books,) = spec(cycle, "表2-3-2").rules
    assert books["rules"][0]["left"] == {"field": "新增纸质图书数量"}
    assert books["rules"][0]["right"] == {"table": "表2-3-1", "sum": "纸质图书总量"}
    (teachers,) = spec(cycle, "表3-5-1").rules
    assert teachers["table"] == "表3-5-1"
    assert teachers["rules"][0]["tables"][0]["table"] == "表1-5-1"
    assert teachers["catalog_rule"] == "工号与表1-6-1关联"  # the platform's text is history
    (address,) = spec(cycle, "表2-4").rules
    assert address["status"] == "inactive" and "地址" in address["inactive_reason"]

    # Code lists: the template's replace the column's; the others are kept.
    staff = spec(cycle, "表1-5-1")
    assert staff.last_year_code == "表1-6-1"
    assert column(cycle, "表1-5-1", "性别").code_list.values == GENDERS
    assert column(cycle, "表1-5-1", "学科类别").code_list.values == ["理学", "医学"]
    assert column(cycle, "表1-5-1", "最高学位").type == "code"
    nationality = column(cycle, "表1-5-1", "国籍")
    assert (nationality.type, nationality.required) == ("text", False)
    assert staff.template.kind == "xlsx" and staff.template.codes["性别"] == GENDERS

    # Gone: 校园网 and its (empty) 分工表 row; the tables keep code order.
    assert spec(cycle, "表2-5").name == "固定资产"
    assert not TableSpec.objects.filter(cycle=cycle, name="校园网").exists()
    assert not TableSpec.objects.filter(cycle=cycle, name="重点学科").exists()
    codes = list(cycle.tables.order_by("position").values_list("code", flat=True))
    assert codes.index("表1-7-3") == codes.index("表1-7-2") + 1

    # Last year's approved data follows the mapping.
    assert previous_report(assignment).assignment.cycle == previous
    assert previous_report(assignment).assignment.table.code == "表2-6"
    degrees = assignment_set(
        actor=office, cycle=cycle, table=spec(cycle, "表4-1-2"), responsible_unit=units["academic"]
    )
    assert previous_report(degrees).assignment.table.name == "博士点硕士点"
    # 一流学科 is new: 2025's 表4-1-3 (博士点硕士点) is another table, never its basis.
    first_class = spec(cycle, "表4-1-3")
    assert first_class.name == "一流学科" and first_class.last_year_code == TableSpec.NO_LAST_YEAR
    new = assignment_set(
        actor=office, cycle=cycle, table=first_class, responsible_unit=units["academic"]
    )
    assert previous_report(new) is None

    event = Event.objects.get(action="template_pack.confirm", object_id=str(pack.pk))
    assert event.data["mapping"]["表2-6"] == "表2-5" and "表1-7-3" in event.data["added"]
    assert "表2-5" in event.data["removed"] and "表2-5" in event.data["assignments_removed"]
    assert Event.objects.filter(action="template_pack.match").count() == 1


def test_a_gone_table_with_data_refuses_the_confirmation(years, people, units):
    _previous, cycle = years
    office = people["xia"]
    breakdown_publish(actor=office, cycle=cycle)  # 校园网 copied from last year, now published
    network = spec(cycle, "表2-5")
    book = Workbook()
    book.active.title = network.sheet_name
    book.active.append(table_schema(network).headers)
    out = io.BytesIO()
    book.save(out)
    contribution = Assignment.objects.get(cycle=cycle, table=network).contributions.get(
        unit=units["pharmacy"]
    )
    version_create(
        actor=people["zhang"],
        contribution=contribution,
        content=out.getvalue(),
        filename="校园网.xlsx",
    )
    pack = upload(office, cycle, [("2024模板.zip", zipped(pack_2024()))])
    before = shape_of(cycle)
    with pytest.raises(ValidationError) as refused:
        confirm(office, pack)
    assert "表2-5" in refused.value.messages[0] and "从不删除" in refused.value.messages[0]
    pack.refresh_from_db()
    assert pack.state == TemplatePack.State.PREVIEW and shape_of(cycle) == before


def test_a_stale_report_or_someone_else_is_refused(years, people):
    _previous, cycle = years
    office = people["xia"]
    pack = upload(office, cycle, pack_2024())
    token = plan_token(pack, cycle_tables(cycle))
    template_pack_match(actor=office, pack=pack, choices={"表4-1-3": NEW})
    with pytest.raises(ValidationError, match="变化报告已有变化"):
        template_pack_confirm(actor=office, pack=pack, token=token)
    for person in ("zhang", "han", "kong"):
        with pytest.raises(PermissionDenied):
            confirm(people[person], pack)
        with pytest.raises(PermissionDenied):
            upload(people[person], cycle, pack_2024())
    # 2025's 表4-1-3 博士点硕士点 is this pack's 表4-1-2 already.
    with pytest.raises(ValidationError, match="两张表都对应到表4-1-3"):
        template_pack_match(actor=office, pack=pack, choices={"表4-1-3": spec(cycle, "表4-1-3").pk})


def test_a_second_upload_replaces_the_waiting_pack(years, people):
    _previous, cycle = years
    office = people["xia"]
    first = upload(office, cycle, pack_2024())
    second = upload(office, cycle, pack_2024())
    first.refresh_from_db()
    assert first.state == TemplatePack.State.DISCARDED and second.state == "preview"
    discard = Event.objects.get(action="template_pack.discard")
    assert discard.object_id == str(first.pk) and discard.reason == "replaced"
    with pytest.raises(ValidationError, match="已不在待确认状态"):
        confirm(office, first)


def test_a_catalog_cycle_takes_the_columns_of_its_pending_tables(people):
    """The shipped catalog knows 表1-7-3 学校基层教学组织 by name only (字段待确认): the pack
    gives it its columns; rules that read a table the pack does not have are set inactive."""
    office = people["xia"]
    cycle, _added = catalog_load(actor=office, year=2026)
    pending = spec(cycle, "表1-7-3")
    assert pending.fields_pending and not pending.fields.exists()
    pack = upload(office, cycle, pack_2024())
    plan = build_plan(pack.report, {}, cycle_tables(cycle))
    (row,) = [t for t in plan.tables if t.code == "表1-7-3"]
    assert (row.kind, row.target.pk, row.confidence) == ("same", pending.pk, 100)
    confirm(office, pack)
    pending.refresh_from_db()
    assert not pending.fields_pending and pending.template.header_row == 2
    assert [f.name for f in pending.fields.order_by("position")] == NEW_HEADERS
    inactive = [
        entry
        for table in cycle.tables.all()
        for entry in table.rules
        if entry.get("status") == "inactive"
    ]
    assert inactive and all(entry["inactive_reason"] for entry in inactive)


def test_the_changes_page_follows_the_renumbering(years, people, client):
    """与上年相比的变化 after the pack: 2025's 表2-6 固定资产 is 2026's 表2-5 (renumbered, not a
    table removed and another added), and 2025's 表2-5 校园网 is gone."""
    _previous, cycle = years
    office = people["xia"]
    confirm(office, upload(office, cycle, [("2024模板.zip", zipped(pack_2024(), folder="模板"))]))
    client.force_login(office)
    page = client.get(f"/cycles/{cycle.year}/changes/").content.decode()
    assets = page[page.index("表2-5 固定资产") :][:600]
    assert "重新编号：2025 年度为表2-6" in assets and "新增数据表" not in assets[:200]
    assert "表2-6 固定资产" not in page  # not listed as removed
    network = page[page.index("表2-5 校园网") :][:200]
    assert "数据表已删除" in network
