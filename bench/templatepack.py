"""Template pack benchmark: read and match a 100-file pack, then upload and confirm it.

The pack is the next-year pack the tests use (tests/collection/templatepacks.py: the 2018 blank
templates of tests/fixtures/templates-2018 with the 2024 changes, 79 files, 14 of them .xlsx
with drop-down lists), made up to 100 files with 21 supplement-like .xlsx templates, each with a
hidden list sheet of 1,000 codes and a drop-down list pointing at it (synthetic: the 医学类 set's
columns are not public). It is zipped as the platform ships it (GBK names, a folder). The cycle
it is matched to holds the 90 tables of the 2018 pack.

- read + match: ``report.read_pack`` (every file through the upload checks, then calamine) and
  ``report.match_pack`` against the 90 tables, plain Python, no database;
- end to end: ``pack_prepare`` + ``template_pack_upload`` (stores the pack and its report) +
  ``template_pack_confirm`` (79+21 tables built or updated, rules, code lists, template files)
  on SQLite, the cycle loaded from the 2018 pack first.

CPU time (this process) and wall-clock time, medians. Run:
`.venv/bin/python bench/templatepack.py [--runs 5]`; writes bench/results/templatepack.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import translation  # noqa: E402

from collection.templatepack.match import TableShape  # noqa: E402
from collection.templatepack.report import match_pack, read_pack  # noqa: E402
from tests.collection.templatepacks import (  # noqa: E402
    headers_2018,
    pack_2018,
    pack_2024,
    xlsx_template,
    zipped,
)

EXTRA = 21


def supplement(n: int) -> tuple[str, bytes]:
    codes = [f"{n:02d}{i:04d}" for i in range(1000)]
    headers = ["校内专业代码", "校内专业名称", f"项目{n}名称", f"项目{n}类别", "数量", "备注"]
    content = xlsx_template(f" 医学类补充表{n}", headers, hidden_lists={f"项目{n}类别": codes})
    return f"表YX-{n} 医学类补充表{n}.xlsx", content


def the_pack() -> tuple[list[tuple[str, bytes]], bytes]:
    files = [*pack_2024(), *(supplement(n) for n in range(1, EXTRA + 1))]
    return files, zipped(files, folder="2026年度数据采集模板")


def last_year() -> list[TableShape]:
    shapes = []
    for i, (name, content) in enumerate(pack_2018(), start=1):
        stem = name.rsplit(".", 1)[0]
        code, _sep, table = stem.partition(" ") if " " in stem else stem.partition("：")
        shapes.append(TableShape(i, code, table, tuple(headers_2018(content)[1])))
    return shapes


def measured(fn, runs: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return cpu, wall


def end_to_end(files: list[tuple[str, bytes]], content: bytes, runs: int) -> dict[str, object]:
    from accounts import services as accounts
    from accounts.roles import CollegeRole
    from collection.models import Cycle
    from collection.services.specs import cycle_create_from_previous
    from collection.templatepack.confirm import template_pack_confirm
    from collection.templatepack.services import (
        cycle_tables,
        pack_prepare,
        plan_token,
        template_pack_upload,
    )

    call_command("migrate", run_syncdb=True, verbosity=0)
    office = accounts.person_create(
        actor=None, username="101206", name="夏主任", unit=None, password="Bench-pass-2026"
    )
    accounts.role_assign(actor=None, user=office, role=CollegeRole.OFFICE)
    base = Cycle.objects.create(year=2000, **Cycle.default_dates(2000))
    pack = template_pack_upload(actor=office, cycle=base, prepared=pack_prepare(pack_2018()))
    template_pack_confirm(actor=office, pack=pack, token=plan_token(pack, cycle_tables(base)))
    cpu, wall, tables = [], [], 0
    for run in range(runs):
        cycle = cycle_create_from_previous(actor=office, previous=base, year=2001 + run)
        c, w = time.process_time(), time.perf_counter()
        pack = template_pack_upload(
            actor=office, cycle=cycle, prepared=pack_prepare([("模板.zip", content)])
        )
        template_pack_confirm(actor=office, pack=pack, token=plan_token(pack, cycle_tables(cycle)))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        tables = cycle.tables.count()
    return {"cpu": cpu, "wall": wall, "tables": tables}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    translation.activate("zh-hans")
    files, content = the_pack()
    cycle = last_year()
    reading = read_pack("模板.zip", content)
    report = match_pack(reading, cycle)
    read_cpu, read_wall = measured(lambda: read_pack("模板.zip", content), args.runs)
    both_cpu, both_wall = measured(
        lambda: match_pack(read_pack("模板.zip", content), cycle), args.runs
    )
    match_cpu, match_wall = measured(lambda: match_pack(reading, cycle), args.runs)
    whole = end_to_end(files, content, args.runs)

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    result = {
        "files": len(files),
        "pack_bytes": len(content),
        "templates_read": len(reading.templates),
        "skipped": len(reading.skipped),
        "cycle_tables": len(cycle),
        "renumbered": sum(
            1
            for t in report["tables"]
            if t["auto"] is not None and cycle[t["auto"] - 1].code != t["code"]
        ),
        "read_match_cpu_seconds": med(both_cpu),
        "read_match_wall_seconds": med(both_wall),
        "read_cpu_seconds": med(read_cpu),
        "read_wall_seconds": med(read_wall),
        "match_cpu_seconds": med(match_cpu),
        "match_wall_seconds": med(match_wall),
        "upload_confirm_cpu_seconds": med(whole["cpu"]),  # type: ignore[arg-type]
        "upload_confirm_wall_seconds": med(whole["wall"]),  # type: ignore[arg-type]
        "tables_after_confirm": whole["tables"],
        "runs": args.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": date.today().isoformat(),
    }
    out = ROOT / "bench" / "results" / "templatepack.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"pack: {result['files']} files ({result['pack_bytes'] / 1024:.0f} KB zipped), "
        f"{result['templates_read']} templates read, matched to {result['cycle_tables']} tables "
        f"({result['renumbered']} renumbered)"
    )
    print(
        f"read + match, median of {args.runs}: {result['read_match_cpu_seconds']} s CPU, "
        f"{result['read_match_wall_seconds']} s wall  (target: seconds, not minutes)"
    )
    print(
        f"  read {result['read_cpu_seconds']} s CPU / {result['read_wall_seconds']} s wall; "
        f"match {result['match_cpu_seconds']} s CPU / {result['match_wall_seconds']} s wall"
    )
    print(
        f"upload + confirm on SQLite, median of {args.runs}: "
        f"{result['upload_confirm_cpu_seconds']} s CPU, {result['upload_confirm_wall_seconds']} s "
        f"wall ({result['tables_after_confirm']} tables after)"
    )
    print(f"load average {result['load_average']}; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
