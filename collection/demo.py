"""The demo college's collection cycle: the catalog loaded and a published task breakdown.

Who provides each table follows the catalog's ``responsible_hint`` (the unit that usually does
it, e.g. "教务处；协助：学生处、各学院"), matched to the demo units of ``accounts.demo``:

- **Responsible unit**: the first demo office named before "协助" (with the few other names a
  college uses for the same office, ``ALIASES``); a table whose usual unit the demo college does
  not have (研究生院, 网络与信息中心 …) goes to the office unit, 教学质量监控管理处. Every
  responsible unit is an office with a second reviewer, so every table can reach approval.
- **Assisting units of a list table**: the demo offices named after "协助", and every teaching
  unit (二级学院) when the hint says "各学院": rosters of students, teachers, courses and majors
  are collected per school.
- **Assisting units of a single-record table**: only units that own fields (``FIELD_OWNERS``),
  since the merge takes every other field from the responsible unit.
- **Hospitals**: the demo college runs its affiliated and teaching hospitals through its
  clinical schools (``HOSPITAL_SCHOOLS``), so a hint naming 附属医院 makes them assisting units.
- **Deadlines**: the cycle's collection deadline for responsible units, ten days earlier for
  assisting units.

齐鲁医药学院 is a medical college: its cycle fills the 医学类 supplementary set
(``DEMO_SUPPLEMENTS``) and its 分工表 assigns every table in scope
(``collection.selectors.tables_in_scope``): the main set and the medical set, not 表SF.

Idempotent: a cycle that already has a breakdown is left as it is.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.db import transaction

from accounts.demo import UNITS
from accounts.models import Unit
from collection.models import Cycle, Supplement, TableSpec
from collection.selectors import tables_in_scope
from collection.services.assignments import (
    assignment_set,
    breakdown_publish,
    cycle_supplements_set,
)
from collection.services.specs import catalog_load, cycle_dates_update

OFFICE_UNIT = "教学质量监控管理处"
ALIASES = {
    "校长办公室": "党政办公室",
    "学校办公室": "党政办公室",
    "党政办": "党政办公室",
    "学生工作处": "学生处",
    "学工处": "学生处",
    "招生办公室": "招生就业处",
    "招就处": "招生就业处",
    "就业指导中心": "招生就业处",
    "国际交流合作处": "国际交流处",
    "国际处": "国际交流处",
    "计财处": "财务处",
    "后勤": "国有资产管理处",
    "实验室与设备管理处": "国有资产管理处",
    "设备处": "国有资产管理处",
    "教学质量监控与评估中心": OFFICE_UNIT,
    "质量监控中心": OFFICE_UNIT,
    "教师发展中心": "人事处",
}
# Single-record tables: the fields an assisting unit fills (the hint names these units).
FIELD_OWNERS: dict[str, dict[str, list[str]]] = {
    "表1-8": {"科研处": ["机构总数", "学术机构数量", "行业机构和企业数量", "地方政府数量"]},
    "表4-1-1": {"教务处": ["本科专业总数", "本科专业新专业数量"]},
    "表5-5": {
        "教务处": ["国家大学生创新创业训练计划项目总数", "省部级大学生创新创业训练计划项目总数"]
    },
    "表6-1": {"国际交流处": ["留学生数", "授予博士学位的留学生数"]},
    "表6-6": {
        "团委": [
            "文艺、体育竞赛获奖总数",
            "国际级文艺、体育竞赛获奖总数",
            "国家级文艺、体育竞赛获奖总数",
            "省部级文艺、体育竞赛获奖总数",
        ],
        "学生处": ["体质合格率"],
    },
}
ALL_SCHOOLS = "各学院"
# The supplementary sets a medical college fills (by its 专业类别).
DEMO_SUPPLEMENTS = [Supplement.MEDICAL]
# The schools through which the demo college runs its affiliated and teaching hospitals.
HOSPITALS = ("附属医院", "教学医院")
HOSPITAL_SCHOOLS = ["临床医学院", "口腔医学院"]
_PARENTHESES = re.compile(r"（[^（）]*）|\([^()]*\)")


def office_names() -> list[str]:
    """The demo's offices (functional and direct units): the candidates for responsibility."""
    return [name for _code, name, kind in UNITS if kind != Unit.Kind.TEACHING]


def _named(text: str, names: list[str]) -> list[str]:
    """Demo office names mentioned in ``text``, in the order they appear (aliases resolved)."""
    found: list[tuple[int, str]] = []
    for word in [*names, *ALIASES]:
        position = text.find(word)
        if position >= 0:
            found.append((position, ALIASES.get(word, word)))
    ordered: list[str] = []
    for _position, name in sorted(found):
        if name not in ordered:
            ordered.append(name)
    return ordered


def split_hint(hint: str) -> tuple[str, str]:
    """(who is responsible, who assists) of a catalog hint, without the parenthesised notes."""
    text = _PARENTHESES.sub("", hint)
    head, _sep, assisting = text.partition("协助：")
    return head, assisting.split("；")[0]


def plan_for(table: TableSpec) -> tuple[str, list[str], dict[str, list[str]]]:
    """(responsible unit name, assisting unit names, field owners by unit name) for a table."""
    offices = office_names()
    head, assisting_text = split_hint(table.responsible_hint)
    responsible = next(iter(_named(head, offices)), OFFICE_UNIT)
    if table.row_mode == TableSpec.RowMode.SINGLE:
        owners = FIELD_OWNERS.get(table.code, {})
        return responsible, list(owners), owners
    assisting = [n for n in _named(assisting_text, offices) if n != responsible]
    teaching = [name for _code, name, kind in UNITS if kind == Unit.Kind.TEACHING]
    assisting += [n for n in teaching if n in assisting_text]
    if any(word in assisting_text for word in HOSPITALS):
        assisting += [n for n in HOSPITAL_SCHOOLS if n not in assisting]
    if ALL_SCHOOLS in assisting_text:
        assisting += [n for n in teaching if n not in assisting]
    return responsible, assisting, {}


def notes_for(table: TableSpec) -> str:
    """The breakdown row's note: the catalog's hint, saying who stands for the hospitals."""
    hint = table.responsible_hint
    if any(word in split_hint(hint)[1] for word in HOSPITALS):
        hint += "（附属医院的数据由" + "、".join(HOSPITAL_SCHOOLS) + "提供）"
    return hint


def demo_deadlines(year: int) -> dict[str, date]:
    return {
        "deployment_deadline": date(year, 10, 10),
        "collection_deadline": date(year, 11, 10),
        "review_deadline": date(year, 11, 30),
    }


@transaction.atomic
def seed_demo_cycle(year: int) -> Cycle | None:
    """Load the catalog into the ``year`` cycle and publish the demo breakdown. Returns the
    cycle, or None when it already had a breakdown (nothing changes). Needs the demo college
    (``accounts.demo.seed_demo``)."""
    existing = Cycle.objects.filter(year=year).first()
    if existing is not None and existing.assignments.exists():
        return None
    cycle, _added = catalog_load(actor=None, year=year)
    if cycle.collection_deadline is None:
        cycle = cycle_dates_update(actor=None, cycle=cycle, values=demo_deadlines(year))
    cycle = cycle_supplements_set(actor=None, cycle=cycle, supplements=DEMO_SUPPLEMENTS)
    assert cycle.collection_deadline is not None
    units = {u.name: u for u in Unit.objects.filter(name__in=[name for _c, name, _k in UNITS])}
    for table in tables_in_scope(cycle):
        responsible, assisting, owners = plan_for(table)
        assignment_set(
            actor=None,
            cycle=cycle,
            table=table,
            responsible_unit=units[responsible],
            assisting_units=[units[name] for name in assisting],
            assisting_deadline=cycle.collection_deadline - timedelta(days=10),
            responsible_deadline=cycle.collection_deadline,
            notes=notes_for(table),
            field_owners={units[name].code: fields for name, fields in owners.items()},
        )
    breakdown_publish(actor=None, cycle=cycle)
    cycle.refresh_from_db()
    return cycle
