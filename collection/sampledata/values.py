"""One plausible value per field, from its name, type, format and code list."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from collection.excel.normalize import number_text
from collection.sampledata.words import (
    ASPECTS,
    CITIES,
    COURSES,
    GIVEN,
    GRADE_DATES,
    INT_RANGES,
    MAJORS,
    OFFICES,
    PAST_DATES,
    PERSON_NAMES,
    RANKS,
    STAFF_NUMBERS,
    SURNAMES,
    TEACHING_UNITS,
    TEXTS,
    TOPICS,
)
from collection.schema import CycleDates, FieldSchema, FieldType, TableSchema

Row = dict[str, str]


@dataclass
class Ctx:
    schema: TableSchema
    dates: CycleDates
    rng: random.Random
    index: int
    count: int
    seed: int
    numeric_text: frozenset[str]  # text fields a compare rule reads as a number
    memo: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """One choice per row shared by several fields (the person, the unit, the major)."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


# ---------------------------------------------------------------------------------------------
# One value per field


def field_value(f: FieldSchema, ctx: Ctx) -> str:
    if f.multi:
        return _multi_value(f, ctx)
    if f.type is FieldType.CODE and f.codes:
        return ctx.rng.choice(f.codes)
    if f.type is FieldType.BOOL:
        return ctx.rng.choice(("是", "否"))
    if f.type is FieldType.DATE:
        return _date_value(f, ctx)
    if f.type is FieldType.INT:
        return str(_int_value(f.name, ctx))
    if f.type is FieldType.DECIMAL:
        return decimal_text(_decimal_value(f.name, ctx))
    if f.name in ctx.numeric_text:
        if "时间" in f.name:
            return str(ctx.dates.year - ctx.rng.randint(1, 5))
        if "学分数" in f.name:
            return str(ctx.rng.randint(8, 60))
        return str(ctx.rng.randint(2, 6) if "学分" in f.name else ctx.rng.randint(20, 500))
    return _text_value(f, ctx)


def _multi_value(f: FieldSchema, ctx: Ctx) -> str:
    """Several values for every third row of a teacher list, else one."""
    if "授课教师" in f.name or "指导教师" in f.name:
        teachers = ctx.once("teachers", lambda: _people(ctx, 2 if ctx.index % 3 == 2 else 1))
        if f.name.endswith("工号"):
            return ";".join(number for number, _name in teachers)
        return ";".join(name for _number, name in teachers)
    if f.type is FieldType.DATE:
        return _date_value(f, ctx)
    if f.type is FieldType.CODE and f.codes:
        return ctx.rng.choice(f.codes)
    return _text_value(f, ctx)


def _people(ctx: Ctx, count: int) -> list[tuple[str, str]]:
    return [(_staff_number(ctx, k), _person_name(ctx.rng)) for k in range(count)]


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _staff_number(ctx: Ctx, k: int = 0) -> str:
    """工号: seven digits, unique per row (and per teacher of a row)."""
    return f"{20 + ctx.seed % 80:02d}{ctx.index * 3 + k + 1:05d}"


def _text_value(f: FieldSchema, ctx: Ctx) -> str:
    name, i, year = f.name, ctx.index, ctx.dates.year
    if f.format == "url":
        return "https://www.qlmu.edu.cn"
    if f.format == "mobile":
        return f"1380531{ctx.rng.randint(0, 9999):04d}"
    if f.format == "email":
        return f"jwc{i + 1}@qlmu.edu.cn"
    unit_code, unit_name = ctx.once("unit", lambda: _unit(ctx))
    major = ctx.once("major", lambda: MAJORS[(i + ctx.seed) % len(MAJORS)])
    other = MAJORS[(i + ctx.seed + 1) % len(MAJORS)]
    if name in STAFF_NUMBERS:
        return str(ctx.once("person", lambda: _people(ctx, 1)[0])[0])
    if name in PERSON_NAMES:
        return str(ctx.once("person", lambda: _people(ctx, 1)[0])[1])
    if name == "学号":
        return f"{year - 1 - i % 4}{ctx.seed % 100:02d}{i + 1:06d}"
    if name == "学生姓名":
        return _person_name(ctx.rng)
    if name in RANKS:
        return str(ctx.rng.randint(1, 3))
    if name in TEXTS:
        return TEXTS[name]
    if name.endswith("单位号") or name in ("院系（单位）号",):
        return "H" + f"{i + 1:03d}" if name.startswith("医院") else unit_code
    if name in ("单位名称", "所属单位名称", "所属单位", "院系（单位）名称", "开课单位"):
        return unit_name
    if name in ("党政单位名称", "教学科研单位名称"):
        return unit_name
    if "专业" in name and name.endswith("代码"):
        chosen = other if ("转入" in name or "辅修" in name) else major
        if name == "专业代码":
            return chosen[0]
        return f"{chosen[0][:6]}{i + 1:02d}"
    if "专业" in name and name.endswith("名称"):
        chosen = other if ("转入" in name or "辅修" in name) else major
        return chosen[1]
    if name == "面向校内专业":
        return major[1]
    if name == "专业任教时间":
        return str(year - ctx.rng.randint(2, 15))
    if name == "大类代码":
        return f"DL{i // 3 + 1:02d}"
    if name == "学科代码":
        return f"{1001 + i}"
    if name == "课程号":
        return ctx.once("course", lambda: f"B{ctx.seed % 10}{i + 1:06d}")
    if name == "开课号":
        course = ctx.once("course", lambda: f"B{ctx.seed % 10}{i + 1:06d}")
        return f"({year - 1}-{year}-1)-{course}-01"
    if name == "课程名称":
        return COURSES[i % len(COURSES)] + ("" if i < len(COURSES) else str(i // len(COURSES)))
    if name == "实验场所代码":
        return ctx.once("lab", lambda: f"SY{i % 50 + 1:04d}")
    if name in ("实验场所名称", "所用实验场所名称"):
        return f"{major[1]}实验室{i % 50 + 1}"
    if name == "医院名称":
        return f"{CITIES[i % len(CITIES)]}第{i + 1}人民医院"
    if name == "ISBN":
        return f"978-7-117-{i + 1:05d}-{i % 10}"
    if name == "授权号":
        return f"ZL{year - 1}1{i + 1:07d}.{i % 10}"
    if name == "获奖证书编号":
        return f"{year - 1}-J-{i + 1:04d}"
    if name == "立项编号":
        return f"{year - 1}SK{i + 1:04d}"
    if name in ("批准文号", "立项编号或批准文号"):
        return f"鲁教高字〔{year - 1}〕{i + 1}号"
    if name == "主要教学实验仪器设备编号":
        return f"SB{year - 3}{i + 1:06d}"
    if name.endswith("制度内容"):
        return "已制定并实施相关管理办法"
    if "名称" in name or name.endswith("名"):
        return _title(name, i)
    return f"{name}说明"


def _unit(ctx: Ctx) -> tuple[str, str]:
    units = OFFICES if "党政单位名称" in ctx.schema.headers else TEACHING_UNITS
    return units[(ctx.index + ctx.seed) % len(units)]


TITLE_WORDS = {
    "团队名称": "教学团队",
    "基地名称": "实践教学基地",
    "基地（平台）名称": "创新创业实践基地",
    "中心名称": "实验教学中心",
    "科研基地名称": "重点实验室",
    "论文名称": "研究",
    "专著名称": "研究",
    "教材名称": "",
    "作品名称": "主题创作",
    "比赛名称": "大赛",
    "竞赛名称": "竞赛",
    "重点学科名称": "",
    "博士后流动站名称": "博士后科研流动站",
    "机构名称": "教师教学发展中心",
    "教学设施名称": "实训室",
    "项目成果名称": "技术",
    "获奖成果名称": "教学成果",
}


def _title(name: str, i: int) -> str:
    """A distinct, plausible title for row ``i``: topic × aspect, numbered past the combinations."""
    topic = TOPICS[i % len(TOPICS)]
    aspect = ASPECTS[(i // len(TOPICS)) % len(ASPECTS)]
    extra = str(i // (len(TOPICS) * len(ASPECTS)) + 1) if i >= len(TOPICS) * len(ASPECTS) else ""
    word = TITLE_WORDS.get(name, "研究")
    return f"{topic}{aspect}{word}{extra}"


def _int_value(name: str, ctx: Ctx) -> int:
    if name in INT_RANGES:
        return ctx.rng.randint(*INT_RANGES[name])
    if "总" in name or "计划数" in name or "录取数" in name or name.startswith("普通本科"):
        return ctx.rng.randint(300, 3000)
    return ctx.rng.randint(1, 120)


def _decimal_value(name: str, ctx: Ctx) -> float:
    rng = ctx.rng
    if "比例" in name or name.endswith("率"):  # percent fields: the platform takes 94.8 for 94.8 %
        return rng.randint(600, 990) / 10
    if "面积" in name:
        return rng.randint(50_000, 5_000_000) / 100
    if "学时数" in name or "学时总数" in name:  # a major's plan: hundreds of hours
        return float(rng.randint(20, 150) * 8)
    if "学分数" in name:
        return rng.randint(16, 120) / 2
    if "学时" in name:  # one course
        return float(rng.randint(2, 12) * 8)
    if "学分" in name:
        return rng.randint(2, 12) / 2
    if name.endswith("（分）"):
        return rng.randint(40_000, 65_000) / 100
    if "单价" in name:
        return rng.randint(100_000, 50_000_000) / 100
    if "带宽" in name:
        return float(rng.choice((1000, 2000, 10000)))
    if "周数" in name or name.endswith("数"):
        return float(rng.randint(4, 18))
    return rng.randint(10_000, 5_000_000) / 100


def decimal_text(value: float) -> str:
    return number_text(round(value, 2))


def _date_value(f: FieldSchema, ctx: Ctx) -> str:
    rng, year = ctx.rng, ctx.dates.year
    name = f.name
    if "出生" in name:
        day = date(rng.randint(1965, 1998), rng.randint(1, 12), 1)
    elif name in PAST_DATES:
        day = date(rng.randint(year - 15, year - 2), rng.randint(1, 12), 1)
    elif name in GRADE_DATES:
        grade = ctx.once("grade", lambda: year - 1 - ctx.index % 4)
        day = date(grade, 9, 1)
    else:
        start, end = _period(ctx)
        span = (end - start).days
        if any(w in name for w in ("开始", "立项")):
            day = start + timedelta(days=rng.randint(0, span // 3))
        elif any(w in name for w in ("结束", "结题")):
            day = start + timedelta(days=rng.randint(2 * span // 3, span))
        else:
            day = start + timedelta(days=rng.randint(0, span))
    return format_date(day, f.format or "YYYY-MM-DD")


def _period(ctx: Ctx) -> tuple[date, date]:
    d = ctx.dates
    if ctx.schema.time_type == "学年":
        return d.academic_start, d.academic_end
    if ctx.schema.time_type == "时点":
        return d.academic_start, d.snapshot
    return d.natural_start, d.natural_end


def format_date(day: date, fmt: str) -> str:
    return {
        "YYYY": f"{day.year:04d}",
        "YYYY-MM": f"{day.year:04d}-{day.month:02d}",
        "YYYYMM": f"{day.year:04d}{day.month:02d}",
    }.get(fmt, day.isoformat())


def fit(f: FieldSchema, value: str) -> str:
    return value[: f.max_len] if f.max_len and f.type is FieldType.TEXT else value
