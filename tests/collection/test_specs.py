"""Cycles and table specs: loading the catalog, copying a year, editing, refreshing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accounts.models import Event
from collection.models import Cycle, FieldSpec, TableSpec
from collection.schema import catalog_schemas
from collection.selectors import cycle_changes, table_schema
from collection.services.specs import (
    catalog_load,
    cycle_create_from_previous,
    field_spec_update,
    table_spec_refresh,
)

pytestmark = pytest.mark.django_db


def test_load_catalog_creates_the_cycle_with_every_table(capsys):
    call_command("load_catalog", "--cycle", "2026")
    cycle = Cycle.objects.get(year=2026)
    assert cycle.tables.count() == len(catalog_schemas()) == 93
    assert str(cycle.snapshot_date) == "2026-09-30"
    assert (str(cycle.academic_start), str(cycle.academic_end)) == ("2025-09-01", "2026-08-31")
    assert (str(cycle.natural_start), str(cycle.natural_end)) == ("2025-01-01", "2025-12-31")
    roster = cycle.tables.get(code="表1-6")
    assert [f.name for f in roster.fields.all()] == catalog_schemas()["表1-6"].headers
    gender = roster.fields.get(name="性别")
    assert gender.code_list.values == ["男", "女"] and gender.required
    call_command("load_catalog", "--cycle", "2026")
    assert cycle.tables.count() == 93  # idempotent
    assert "新增 0 张表" in capsys.readouterr().out


PROVENANCE = ["supplement", "confidence", "fields_status", "source", "previous_code"]


def provenance(cycle, code):
    return dict(zip(PROVENANCE, cycle.tables.values_list(*PROVENANCE).get(code=code), strict=True))


def test_the_catalog_loads_each_tables_provenance(cycle, people):
    """The catalog is at the 2024 evidence: 表2-5 is 固定资产 (表2-6 before), 表5-3 is new with
    columns not public (字段待确认: no columns), 表5-2-3 belongs to the 医学 supplement. A copied
    cycle keeps all of it."""
    assets = provenance(cycle, "表2-5")
    assert cycle.tables.get(code="表2-5").name == "固定资产"
    assert assets["previous_code"] == "表2-6" and assets["confidence"] == "high"
    assert assets["fields_status"] == "2019" and assets["supplement"] == ""
    assert "Kariya-Eric/DataCollection" in assets["source"]
    online = cycle.tables.get(code="表5-3")
    assert (online.name, online.fields_status, online.previous_code) == (
        "本科在线课程情况",
        "unknown",
        "",
    )
    assert online.fields_pending and online.fields.count() == 0
    assert provenance(cycle, "表5-2-3")["supplement"] == "medical"
    assert provenance(cycle, "表SF-1")["supplement"] == "teacher_education"
    assert provenance(cycle, "表2-4")["fields_status"] == "provisional"
    assert cycle.tables.get(code="表2-4").fields.count() == 10  # the 2019 columns, to confirm
    # Tables the 2024 evidence gives to others or drops are not loaded under their old name.
    names = dict(cycle.tables.values_list("code", "name"))
    assert names["表7-1"] == "教学质量评估统计表" and "校园网" not in names.values()
    new = cycle_create_from_previous(actor=people["xia"], previous=cycle, year=2027)
    for code in ("表2-5", "表5-3", "表5-2-3", "表2-4"):
        assert provenance(new, code) == provenance(cycle, code)
    assert new.tables.get(code="表5-3").fields.count() == 0


def test_spec_schema_matches_the_catalog(cycle):
    for code, expected in list(catalog_schemas().items())[:20]:
        schema = table_schema(TableSpec.objects.get(cycle=cycle, code=code))
        assert schema.headers == expected.headers
        assert [f.codes for f in schema.fields] == [f.codes for f in expected.fields]
        assert schema.row_mode == expected.row_mode


def test_a_new_cycle_copies_last_year_and_shows_what_changed(cycle, people):
    new = cycle_create_from_previous(actor=people["xia"], previous=cycle, year=2027)
    assert new.previous == cycle and new.tables.count() == 93
    assert str(new.snapshot_date) == "2027-09-30"
    assert cycle_changes(new) == []
    spec = new.tables.get(code="表2-1")
    table_spec_refresh(
        actor=people["xia"], spec=spec, headers=[*table_schema(spec).headers, "新增面积"]
    )
    roster_field = FieldSpec.objects.get(table__cycle=new, table__code="表1-6", name="性别")
    field_spec_update(
        actor=people["xia"],
        field=roster_field,
        required=True,
        max_len=None,
        format="",
        multi=False,
        help="",
        codes=["男", "女", "未说明"],
    )
    changes = {c.code: c for c in cycle_changes(new)}
    assert set(changes) == {"表2-1", "表1-6"}
    assert changes["表2-1"].headers.added == ["新增面积"]
    assert any("代码表" in d for d in changes["表1-6"].details)
    # Last year's specs are untouched.
    assert FieldSpec.objects.get(
        table__cycle=cycle, table__code="表1-6", name="性别"
    ).code_list.values == ["男", "女"]


def test_a_cycle_year_is_unique_and_moves_forward(cycle, people):
    with pytest.raises(ValidationError):
        cycle_create_from_previous(actor=people["xia"], previous=cycle, year=2026)
    with pytest.raises(ValidationError):
        cycle_create_from_previous(actor=people["xia"], previous=cycle, year=2025)


def test_only_the_office_changes_specs(cycle, people):
    spec = cycle.tables.get(code="表2-1")
    with pytest.raises(PermissionDenied):
        table_spec_refresh(actor=people["zhang"], spec=spec, headers=["总占地面积"])
    with pytest.raises(PermissionDenied):
        catalog_load(actor=people["han"], year=2030)
    assert not Cycle.objects.filter(year=2030).exists()


def test_refresh_renames_adds_removes_and_reorders(cycle, people):
    spec = cycle.tables.get(code="表2-1")
    old = table_schema(spec).headers
    new_headers = [
        old[1],
        "总占地面积（平方米）",
        *old[2:-1],
        "新增列",
    ]  # swap, rename, drop last, add
    diff = table_spec_refresh(actor=people["xia"], spec=spec, headers=new_headers)
    spec.refresh_from_db()
    assert [f.name for f in spec.fields.all()] == new_headers
    assert ("总占地面积", "总占地面积（平方米）") in diff.renamed
    assert diff.removed == [old[-1]] and diff.added == ["新增列"]
    renamed = spec.fields.get(name="总占地面积（平方米）")
    assert renamed.type == "decimal" and renamed.required  # a renamed column keeps its rules
    assert spec.fields.get(name="新增列").type == "text"
    assert spec.spec_version == 2
    assert Event.objects.filter(action="spec.refresh", object_id=str(spec.pk)).exists()


def test_refresh_refuses_a_headerless_or_repeating_template(cycle, people):
    spec = cycle.tables.get(code="表2-1")
    with pytest.raises(ValidationError):
        table_spec_refresh(actor=people["xia"], spec=spec, headers=[])
    with pytest.raises(ValidationError):
        table_spec_refresh(actor=people["xia"], spec=spec, headers=["总占地面积", "总占地面积 "])
    assert spec.fields.count() == len(catalog_schemas()["表2-1"].fields)


def test_field_edit_bumps_the_spec_version_and_changes_the_schema(cycle, people):
    spec = cycle.tables.get(code="表1-6")
    field = spec.fields.get(name="学号")
    field_spec_update(
        actor=people["xia"],
        field=field,
        required=True,
        max_len=12,
        format="",
        multi=False,
        help="十位学号",
        codes=[],
    )
    spec.refresh_from_db()
    schema = table_schema(spec)
    assert schema.spec_version == 2
    assert schema.field("学号").max_len == 12 and schema.field("学号").help == "十位学号"


def test_a_closed_cycle_is_read_only(cycle, people):
    Cycle.objects.filter(pk=cycle.pk).update(status="done")
    spec = cycle.tables.get(code="表2-1")
    with pytest.raises(ValidationError):
        table_spec_refresh(actor=people["xia"], spec=spec, headers=["a"])
