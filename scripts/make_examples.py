"""Write the example files the README's commands check (examples/): a 表1-6 roster as a
collector fills it (a title row above the header, 30 students) and the same roster with the
mistakes people make (a duplicate 学号, a 性别 that is no code, an empty 学生姓名).

    DEBUG=1 .venv/bin/python -m scripts.make_examples
"""

from __future__ import annotations

import os
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from collection.sampledata import sample_rows, sample_workbook  # noqa: E402
from collection.schema import CycleDates, catalog_schemas  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "examples"


def main() -> None:
    schema = catalog_schemas()["表1-6"]
    rows = sample_rows(schema, CycleDates.for_year(2026), 30, seed=7)
    title = "齐鲁医药学院 2026 年本科生基本情况"
    OUT.mkdir(exist_ok=True)
    (OUT / "表1-6-本科生名单.xlsx").write_bytes(sample_workbook(schema, rows, title=title))
    bad = [list(r) for r in rows]
    bad[3][0] = bad[2][0]  # the same 学号 twice
    bad[5][2] = "M"  # 性别 must be 男 or 女
    bad[8][1] = ""  # 学生姓名 left empty
    (OUT / "表1-6-本科生名单-有错误.xlsx").write_bytes(sample_workbook(schema, bad, title=title))


if __name__ == "__main__":
    main()
