"""Realistic filled templates for the benchmarks: 表1-6 本科生基本情况 and 表5-1-1 开课情况.

About 1 % of rows carry the mistakes colleges really make (a wrong code, a duplicate key, a
future year, full-width digits, stray spaces), so validation has work to do.
"""

from __future__ import annotations

import io
import random

import xlsxwriter

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "子涵雨轩浩然欣怡梓萱宇轩思远嘉怡俊杰诗琪晨曦明轩佳琪一诺雅静文博"
MAJORS = [
    ("100201K", "临床医学"),
    ("101101", "护理学"),
    ("100701", "药学"),
    ("100401K", "预防医学"),
    ("101001", "医学检验技术"),
    ("100301K", "口腔医学"),
    ("101005", "康复治疗学"),
    ("100801", "中药学"),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def roster_rows(n: int, seed: int = 1) -> tuple[list[str], list[list[object]]]:
    rng = random.Random(seed)
    headers = [
        "学号",
        "学生姓名",
        "性别",
        "校内专业（大类）名称",
        "校内专业（大类）代码",
        "生源类别",
        "年级",
        "入学年份",
    ]
    rows: list[list[object]] = []
    for i in range(n):
        year = rng.choice((2022, 2023, 2024, 2025))
        code, major = rng.choice(MAJORS)
        row: list[object] = [
            f"{year}{i:06d}",
            _name(rng),
            rng.choice("男女"),
            major,
            code,
            "境内" if rng.random() > 0.01 else "留学生",
            str(year),
            year,
        ]
        roll = rng.random()
        if roll < 0.002:
            row[2] = "未知"  # not in the code list
        elif roll < 0.004:
            row[0] = rows[-1][0] if rows else row[0]  # duplicate 学号
        elif roll < 0.006:
            row[7] = 2031  # after the reporting year
        elif roll < 0.008:
            row[0] = "".join(chr(ord(c) + 0xFEE0) for c in str(row[0]))  # full-width digits
        elif roll < 0.010:
            row[4] = f" {code} "  # stray spaces
        rows.append(row)
    return headers, rows


def courses_rows(n: int, seed: int = 2) -> tuple[list[str], list[list[object]]]:
    rng = random.Random(seed)
    headers = [
        "开课号",
        "课程名称",
        "课程号",
        "课程类别",
        "课程性质",
        "授课方式",
        "考核方式",
        "学时",
        "开课单位",
        "单位号",
        "授课教师",
        "授课教师工号",
        "本科学生数",
        "教材使用情况",
        "教材类型",
    ]
    rows: list[list[object]] = []
    for i in range(n):
        teachers = [
            (_name(rng), f"2003{rng.randint(1, 999):03d}") for _ in range(rng.choice((1, 1, 2)))
        ]
        row: list[object] = [
            f"KC2025{i:06d}",
            f"课程{i % 900}",
            f"C{i % 900:05d}",
            rng.choice(("公共必修课", "公共选修课", "专业课")),
            rng.choice(("理论课", "独立设置实验课")),
            rng.choice(("无", "无", "双语授课")),
            rng.choice(("考试", "考查")),
            rng.choice((16, 32, 48, 64)),
            "药学院",
            "2003",
            ";".join(t[0] for t in teachers),
            ";".join(t[1] for t in teachers),
            rng.randint(15, 180),
            rng.choice(("选用", "自编", "无")),
            rng.choice(("省部级规划教材", "无")),
        ]
        roll = rng.random()
        if roll < 0.003:
            row[3] = "专业必修"  # not in the code list
        elif roll < 0.006:
            row[7] = "三十二"  # not a number
        elif roll < 0.008:
            row[0] = rows[-1][0] if rows else row[0]  # duplicate 开课号
        rows.append(row)
    return headers, rows


def workbook(
    sheet_name: str, headers: list[str], rows: list[list[object]], *, title: str | None = None
) -> bytes:
    out = io.BytesIO()
    # Shared strings, as Excel and WPS write them (constant_memory would write inline strings).
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(sheet_name)
    r = 0
    if title:
        sheet.write_string(0, 0, title)
        r = 1
    for c, h in enumerate(headers):
        sheet.write_string(r, c, h)
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return out.getvalue()
