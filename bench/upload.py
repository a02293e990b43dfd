"""Upload benchmark: read + normalise + validate + store a filled template, against
django-import-export's dry-run import (its admin preview) of the same file.

Run: `make bench` or `.venv/bin/python bench/upload.py [--runs 5] [--peer-runs 3]`.
Prints the figures and writes bench/results/upload.json.
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
from import_export import fields, resources, widgets  # noqa: E402
from import_export.formats.base_formats import XLSX  # noqa: E402

from bench.data import courses_rows, roster_rows, workbook  # noqa: E402
from bench.peer.models import StudentRow  # noqa: E402
from collection.excel.template import build_template  # noqa: E402
from collection.schema import CycleDates, catalog_schemas  # noqa: E402
from collection.services.uploads import upload_check  # noqa: E402


class StudentResource(resources.ModelResource):
    student_id = fields.Field("student_id", column_name="学号")
    name = fields.Field("name", column_name="学生姓名")
    gender = fields.Field("gender", column_name="性别")
    major_name = fields.Field("major_name", column_name="校内专业（大类）名称")
    major_code = fields.Field("major_code", column_name="校内专业（大类）代码")
    origin = fields.Field("origin", column_name="生源类别")
    grade = fields.Field("grade", column_name="年级", widget=widgets.IntegerWidget())
    entry_year = fields.Field("entry_year", column_name="入学年份", widget=widgets.IntegerWidget())

    class Meta:
        model = StudentRow
        import_id_fields = ("student_id",)
        clean_model_instances = True


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return found


def caiji_run(code: str, content: bytes, name: str):  # type: ignore[no-untyped-def]
    schema = catalog_schemas()[code]
    dates = CycleDates.for_year(2026)

    def run() -> None:
        outcome = upload_check(
            actor=None, cycle=None, schema=schema, dates=dates, content=content, filename=name
        )
        assert outcome.upload.status == "accepted", outcome.upload.reason
        run.outcome = outcome  # type: ignore[attr-defined]

    return run


def peer_run(content: bytes):  # type: ignore[no-untyped-def]
    def run() -> None:
        dataset = XLSX().create_dataset(content)
        result = StudentResource().import_data(dataset, dry_run=True, raise_errors=False)
        run.result = result  # type: ignore[attr-defined]

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-runs", type=int, default=1, help="The peer takes minutes a run.")
    args = parser.parse_args()
    call_command("migrate", run_syncdb=True, verbosity=0)

    headers, rows = roster_rows(args.rows)
    roster = workbook(catalog_schemas()["表1-6"].sheet_name, headers, rows)
    c_headers, c_rows = courses_rows(10_000)
    courses = workbook(catalog_schemas()["表5-1-1"].sheet_name, c_headers, c_rows)

    roster_fn = caiji_run("表1-6", roster, "本科生基本情况.xlsx")
    caiji = timed(roster_fn, args.runs)
    outcome = roster_fn.outcome  # type: ignore[attr-defined]
    courses_fn = caiji_run("表5-1-1", courses, "开课情况.xlsx")
    caiji_courses = timed(courses_fn, args.runs)
    peer_fn = peer_run(roster)
    peer = timed(peer_fn, args.peer_runs)
    peer_result = peer_fn.result  # type: ignore[attr-defined]

    schemas = list(catalog_schemas().values())
    templates = timed(lambda: [build_template(s, cycle_year=2026) for s in schemas], 3)

    result = {
        "rows": args.rows,
        "caiji_seconds": round(statistics.median(caiji), 3),
        "import_export_seconds": round(statistics.median(peer), 3),
        "ratio": round(statistics.median(peer) / statistics.median(caiji), 1),
        "caiji_findings": {
            "errors": outcome.upload.error_count,
            "explain": outcome.upload.explain_count,
            "hints": outcome.upload.hint_count,
        },
        "import_export_reported_errors": len(peer_result.invalid_rows)
        + len(peer_result.row_errors()),
        "courses_rows": 10_000,
        "courses_seconds": round(statistics.median(caiji_courses), 3),
        "templates": len(schemas),
        "templates_seconds": round(statistics.median(templates), 3),
        "runs": {
            "caiji": [round(x, 3) for x in caiji],
            "import_export": [round(x, 3) for x in peer],
            "courses": [round(x, 3) for x in caiji_courses],
            "templates": [round(x, 3) for x in templates],
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": date.today().isoformat(),
    }
    out = ROOT / "bench" / "results" / "upload.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"表1-6 {args.rows} rows end to end (read+normalise+validate+store), median of {args.runs}: "
        f"{result['caiji_seconds']} s"
    )
    print(
        f"django-import-export dry-run import of the same file, median of {args.peer_runs}: "
        f"{result['import_export_seconds']} s"
    )
    print(f"ratio: {result['ratio']}x   (targets: <= 1.5 s and >= 25x)")
    print(
        f"findings: caiji {result['caiji_findings']}; django-import-export reported "
        f"{result['import_export_reported_errors']} rows with errors"
    )
    print(
        f"表5-1-1 10000 rows: {result['courses_seconds']} s;  all {len(schemas)} templates: "
        f"{result['templates_seconds']} s (target <= 5 s)"
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
