"""Matching a pack's tables to the cycle's (collection/templatepack/match.py, plan.py, rules.py):
last year's pack is the 2018 templates, this year's the pack derived with the 2024 changes."""

from __future__ import annotations

import pytest

from collection.specdiff import diff_headers
from collection.templatepack.match import TableShape, confidence, match_tables
from collection.templatepack.pack import stored_pack
from collection.templatepack.plan import NEW, CycleTable, build_plan
from collection.templatepack.report import match_pack, read_pack
from collection.templatepack.rules import INACTIVE, carry_rules
from tests.collection.templatepacks import (
    DROPPED,
    NEW_TABLE,
    RENUMBERED,
    headers_2018,
    pack_2018,
    pack_2024,
)


def last_year() -> list[CycleTable]:
    """The 2018 pack's tables as a cycle holds them (pk = position + 1)."""
    found = []
    for i, (name, content) in enumerate(pack_2018(), start=1):
        stem = name.rsplit(".", 1)[0]
        code, _sep, table = stem.partition(" ") if " " in stem else stem.partition("：")
        found.append(CycleTable(i, code, table, tuple(headers_2018(content)[1])))
    return found


@pytest.fixture(scope="module")
def cycle() -> list[CycleTable]:
    return last_year()


@pytest.fixture(scope="module")
def report(cycle):
    name, content = stored_pack(pack_2024())
    return match_pack(read_pack(name, content), [t.shape() for t in cycle])


def test_every_renumbering_is_found_with_its_confidence(report, cycle):
    plan = build_plan(report, {}, cycle)
    found = {t.target.code: t.code for t in plan.of_kind("renumbered")}
    assert found == RENUMBERED
    assert plan.mapping == RENUMBERED
    fixed_assets = next(t for t in plan.tables if t.code == "表2-5")
    assert (fixed_assets.target.code, fixed_assets.target.name) == ("表2-6", "固定资产")
    assert fixed_assets.confidence == 100
    # Renamed and renumbered at once, with the same columns: still sure.
    award = next(t for t in plan.tables if t.code == "表7-2-2")
    assert award.target.code == "表7-3-2" and 90 <= award.confidence < 100
    # 2024's 表4-1-3 一流学科 holds 2018's 重点学科 columns: its name alone differs.
    first_class = next(t for t in plan.tables if t.code == "表4-1-3")
    assert first_class.target.name == "重点学科" and 70 <= first_class.confidence < 90


def test_same_code_another_table_is_not_a_match(report, cycle):
    """2018's 表2-5 is 校园网, 2024's 表2-5 is 固定资产; 2018's 表1-2 is 校区及地址."""
    plan = build_plan(report, {}, cycle)
    assert {t.code for t in plan.gone} == DROPPED
    by_code = {t.code: t for t in plan.tables}
    assert by_code["表1-2"].target.name == "学校相关党政单位"
    assert by_code["表1-2"].kind == "renumbered"


def test_renamed_new_and_changed_columns(report, cycle):
    plan = build_plan(report, {}, cycle)
    by_code = {t.code: t for t in plan.tables}
    books = by_code["表2-3-2"]
    assert books.kind == "renamed" and books.target.name == "图书当年新增情况"
    assert books.columns.renamed == [("当年新增纸质图书数量", "新增纸质图书数量")]
    bases = by_code["表2-4"]
    assert bases.columns.added == ["基地类型"] and bases.columns.removed == ["地址"]
    assert bases.columns.renamed == [("院系（单位）号", "单位号")]
    assert bases.columns.moved == ["建立时间"]  # one column moved, not every one after it
    new = by_code[NEW_TABLE[0]]
    assert new.kind == "new" and new.target is None and new.pack["header_row"] == 2
    staff = by_code["表1-5-1"]
    assert staff.target.code == "表1-6-1" and staff.columns.added == ["国籍"]
    assert {c.header for c in staff.code_lists} == {"性别", "学历", "最高学位"}


def test_the_office_corrects_a_match(report, cycle):
    """一流学科 is a new table, not 重点学科 renamed; 表3-5-1 carries on from 教材 instead."""
    by_code = {t.code: t.pk for t in cycle}
    plan = build_plan(report, {"表4-1-3": NEW, "表3-5-1": by_code["表3-5-6"]}, cycle)
    tables = {t.code: t for t in plan.tables}
    assert tables["表4-1-3"].kind == "new" and tables["表4-1-3"].corrected
    assert tables["表3-5-1"].target.code == "表3-5-6" and tables["表3-5-1"].corrected
    assert {"表4-1-4", "表3-5-4"} <= {t.code for t in plan.gone}
    assert "表3-5-6" not in {t.code for t in plan.gone}
    # The office may pick any table no pack table has taken, with its confidence.
    picks = {label.split()[0]: value for _pk, label, value in tables["表4-1-3"].choices}
    assert "表4-1-4" in picks and "表2-5" in picks
    # Two pack tables on one cycle table are a problem to settle before confirming.
    double = build_plan(report, {"表4-1-3": by_code["表4-1-3"]}, cycle)
    assert double.double_targets == ["表4-1-3"] and not double.confirmable


def test_gone_tables_with_data_block_the_confirmation(report, cycle):
    with_data = [
        CycleTable(t.pk, t.code, t.name, t.headers, has_data=t.code == "表7-1") for t in cycle
    ]
    plan = build_plan(report, {}, with_data)
    assert plan.gone_with_data == ["表7-1"] and not plan.confirmable


def test_two_tables_with_the_same_columns_keep_their_own_codes():
    """2018's 表SF-1 and 表5-2-2 have the same five columns."""
    headers = ("校内专业代码", "校内专业名称", "教师姓名", "工号", "指导专业学生数量")
    cycle = [
        TableShape(1, "表5-2-2", "分专业教师指导学生毕业综合训练情况", headers),
        TableShape(2, "表SF-1", "学生发展成长指导教师情况", headers),
    ]
    pack = [
        TableShape("表SF-1", "表SF-1", "学生发展成长指导教师情况", headers),
        TableShape("表5-2-2", "表5-2-2", "分专业教师指导学生毕业综合训练情况", headers),
    ]
    assert [(m.pack, m.target) for m in match_tables(pack, cycle)] == [
        ("表SF-1", 2),
        ("表5-2-2", 1),
    ]
    assert confidence(pack[0], cycle[0]) < confidence(pack[0], cycle[1]) == 100


def test_a_table_whose_columns_are_pending_is_matched_by_its_name():
    """The catalog knows 学校基层教学组织 and 思政课教师情况 by name only (字段待确认)."""
    cycle = [
        TableShape(1, "表1-7-3", "学校基层教学组织", ()),
        TableShape(2, "表3-3-3", "思政课教师情况", ()),
    ]
    pack = [
        TableShape("表1-7-3", "表1-7-3", "学校基层教学组织", ("基层教学组织名称", "组织类型")),
        TableShape("表3-3-4", "表3-3-4", "思政课教师情况", ("工号", "姓名")),
    ]
    found = match_tables(pack, cycle)
    assert [(m.target, m.confidence) for m in found] == [(1, 100), (2, 100)]


def test_matching_the_2018_pack_to_itself_changes_nothing(cycle):
    name, content = stored_pack(pack_2018())
    report = match_pack(read_pack(name, content), [t.shape() for t in cycle])
    plan = build_plan(report, {}, cycle)
    assert [t.kind for t in plan.tables] == ["same"] * 90 and not plan.gone
    assert all(t.confidence == 100 and not t.columns.changed for t in plan.tables)


# Rules carried through the pack ---------------------------------------------------------------


def entry(table: str, rule: dict, **extra) -> dict:
    return {
        "table": table,
        "index": 0,
        "status": "implemented",
        "catalog_rule": f"原文 {table}",
        "rules": [rule],
        **extra,
    }


def test_rules_are_renumbered_in_one_pass_and_follow_renamed_columns():
    rule = {
        "kind": "exists_in",
        "fields": ["工号", "教师姓名"],
        "tables": [{"table": "表1-6-1", "fields": ["工号", "姓名"]}],
        "message": "“工号”须在表1-6-1 教职工基本信息中。",
        "examples": {
            "pass": [
                {
                    "rows": [{"工号": "1", "教师姓名": "甲"}],
                    "tables": {"表1-6-1": [{"工号": "1", "姓名": "甲"}]},
                }
            ]
        },
    }
    outcome = carry_rules(
        [entry("表3-5-4", rule)],
        own_code="表3-5-4",
        mapping={"表3-5-4": "表3-5-1", "表1-6-1": "表1-5-1", "表1-5-1": "表1-4-1"},
        renames={"表1-6-1": {"姓名": "教师姓名"}},
        columns={"表3-5-4": {"工号", "教师姓名"}, "表1-6-1": {"工号", "教师姓名"}},
    )
    (carried,) = outcome.entries
    assert carried["table"] == "表3-5-1" and carried["catalog_rule"] == "原文 表3-5-4"
    (new,) = carried["rules"]
    assert new["tables"] == [{"table": "表1-5-1", "fields": ["工号", "教师姓名"]}]  # not 表1-4-1
    assert new["message"] == "“工号”须在表1-5-1 教职工基本信息中。"
    assert new["examples"]["pass"][0]["tables"] == {"表1-5-1": [{"工号": "1", "教师姓名": "甲"}]}


def test_a_rule_reading_a_removed_column_or_a_gone_table_becomes_inactive():
    removed = entry("表2-4", {"kind": "unique", "fields": ["地址"], "message": "“地址”重复。"})
    renamed = entry(
        "表2-4",
        {
            "kind": "unique",
            "fields": ["院系（单位）号", "基地名称"],
            "message": "“院系（单位）号”重复。",
        },
        index=1,
    )
    gone = entry(
        "表2-6",
        {
            "kind": "aggregate_compare",
            "left": {"field": "信息化设备资产总值"},
            "op": ">=",
            "right": {"table": "表2-5", "sum": "信息化工作人员数"},
            "message": "x",
        },
    )
    columns = {"表2-4": {"单位号", "基地名称"}, "表2-6": {"信息化设备资产总值"}}
    outcome = carry_rules(
        [removed, renamed],
        own_code="表2-4",
        mapping={},
        renames={"表2-4": {"院系（单位）号": "单位号"}},
        columns=columns,
    )
    off, kept = outcome.entries
    assert off["status"] == INACTIVE and "“地址”" in off["inactive_reason"]
    assert kept["status"] == "implemented" and kept["rules"][0]["fields"] == ["单位号", "基地名称"]
    assert kept["rules"][0]["message"] == "“单位号”重复。"
    (other,) = carry_rules(
        [gone], own_code="表2-6", mapping={"表2-6": "表2-5"}, renames={}, columns=columns
    ).entries
    assert other["status"] == INACTIVE and "表2-5" in other["inactive_reason"]
    assert other["table"] == "表2-5"


def test_one_column_moved_is_one_move():
    diff = diff_headers(["a", "b", "c", "d"], ["b", "c", "d", "a"])
    assert diff.moved == ["a"] and not diff.added and not diff.removed


def test_a_file_without_a_code_is_identified_by_its_columns_or_refused(cycle):
    from django.utils import translation

    from tests.collection.templatepacks import xlsx_template

    fixed_assets = next(t for t in cycle if t.name == "固定资产")
    files = [
        *pack_2024()[:3],
        ("固定资产.xlsx", xlsx_template(" 固定资产", list(fixed_assets.headers))),
        ("名单.xlsx", xlsx_template("Sheet1", ["甲", "乙", "丙"])),
    ]
    with translation.override("zh-hans"):
        name, content = stored_pack(files)
        report = match_pack(read_pack(name, content), [t.shape() for t in cycle])
    assets = next(t for t in report["tables"] if t["file"] == "固定资产.xlsx")
    assert assets["code"] == fixed_assets.code == "表2-6" and assets["code_from"] == "match"
    assert "按表名和列识别为表2-6" in assets["notes"][0]
    (skipped,) = report["skipped"]
    assert skipped["file"] == "名单.xlsx" and "文件名和工作表名中都没有表号" in skipped["reason"]
