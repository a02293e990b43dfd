"""The code lists a cycle gets from the catalog: each field its own values (表SF-13 名次 once got
表SF-5 服务类别's), and a list known to be incomplete stays so when the office edits it."""

import pytest

from collection.models import FieldSpec
from collection.schema import ParsedSheet, Severity, catalog_schemas
from collection.selectors import table_schema
from collection.services.specs import field_spec_update
from collection.validation.fields import check_fields

pytestmark = pytest.mark.django_db


def test_every_field_of_the_cycle_has_the_catalogs_codes(cycle):
    wrong = []
    for spec in FieldSpec.objects.filter(table__cycle=cycle).select_related("table", "code_list"):
        expected = list(catalog_schemas()[spec.table.code].field(spec.name).codes)
        if spec.type == "bool" and spec.code_list is None:
            continue
        got = spec.code_list.values if spec.code_list else []
        if got != expected:
            wrong.append(f"{spec.table.code} {spec.name}: {got} ≠ {expected}")
    assert wrong == []


def test_the_rank_of_a_teaching_skills_contest_takes_its_own_codes(cycle):
    schema = table_schema(cycle.tables.get(code="表SF-13"))
    rank = schema.field("名次")
    assert rank.codes == ("一等奖", "二等奖", "三等奖", "其他奖（含优胜奖、创新奖等）")
    assert rank.codes_open
    row = ["2022010101", "陈思远", "全省师范生教学技能大赛", "面向全省（直辖市）", "一等奖"]
    assert check_fields(schema, ParsedSheet(schema, [row], [2])) == []


def test_an_incomplete_list_stays_incomplete_when_the_office_edits_it(cycle, people):
    spec = cycle.tables.get(code="表3-5-3").fields.get(name="收录情况")
    codes = [*spec.code_list.values, "CSSCI扩展版"]
    field_spec_update(actor=people["xia"], field=spec, codes=codes)
    schema = table_schema(cycle.tables.get(code="表3-5-3"))
    field = schema.field("收录情况")
    assert field.codes_open and "CSSCI扩展版" in field.codes
    row = {name: "" for name in schema.headers} | {"收录情况": "中国科技核心期刊"}
    sheet = ParsedSheet(schema, [[row[name] for name in schema.headers]], [2])
    findings = [f for f in check_fields(schema, sheet) if f.column == "收录情况"]
    assert [(f.severity, f.rule) for f in findings] == [(Severity.EXPLAIN, "code_open")]
