"""Export benchmark: the platform package of every catalog table, 100,000 rows in all.

The 2026 cycle is loaded from the catalog with both supplementary sets whose columns are known
(师范类, 医学类), every table with columns (not the 字段待确认 tables without any) is assigned and
approved with sample rows (``collection.sampledata``) through ``workflow.table_report_import_approved``. The rows are
spread as a college's are: 本科生 (表1-6) 40,000, 开课情况 (表5-1-1) 10,000, 应届毕业生就业
(表6-5-1) 5,000, 教职工 (表1-5-1, 表1-5-2) 3,000 each, one row per single-record table and the
rest shared by the other list tables. Key columns are made unique, so the shared-string table is
as large as a real one.

Measured (medians of ``--runs``), in the same run:
- caiji: ``review.export.package_write``, the whole package (a platform .xlsx and a JSON file
  per table, manifest.json, 汇总.xlsx), from the stored approved rows in the database;
- the peer: openpyxl's write-only mode writing the same .xlsx files (same sheet names, header
  row, the same cells as numbers or text) from the same stored rows into a zip; no JSON, no
  manifest, no summary;
- for the record (one run): xlsxwriter's constant-memory mode on the same files;
- the platform's own templates: the same package once every table whose columns a real 2018
  blank template matches has it loaded (``TableSpec.template``, .xls files, filled by
  ``collection.excel.templatefill``), and one 50,000-row table (表1-6 本科生) written in caiji's
  layout, filled into the real .xls template and into the same template as .xlsx.

Run: `make bench` or `.venv/bin/python bench/export.py [--runs 3] [--rows 100000]`.
Writes bench/results/export.json (rows, caiji_seconds, openpyxl_write_only_seconds, ratio,
caiji_with_templates_seconds, fill_50k).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import statistics
import sys
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
import xlsxwriter  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from accounts.models import Unit, User  # noqa: E402
from collection.excel.export import NUMERIC, is_plain_number, table_xlsx  # noqa: E402
from collection.excel.fill_xls import as_xlsx  # noqa: E402
from collection.excel.templatefill import (  # noqa: E402
    TemplateSource,
    fill_template,
    template_headers,
)
from collection.models import Cycle, TableReport  # noqa: E402
from collection.models_templates import TemplateFile  # noqa: E402
from collection.sampledata import sample_rows  # noqa: E402
from collection.schema import TableSchema  # noqa: E402
from collection.selectors import table_schema  # noqa: E402
from collection.services.assignments import (  # noqa: E402
    assignment_set,
    breakdown_publish,
    cycle_supplements_set,
)
from collection.services.specs import catalog_load  # noqa: E402
from collection.services.uploads import unpack  # noqa: E402
from collection.specdiff import header_key  # noqa: E402
from review import workflow  # noqa: E402
from review.export import package_write, table_filename  # noqa: E402

YEAR = 2026
BIG = {"表1-6": 40_000, "表5-1-1": 10_000, "表6-5-1": 5_000, "表1-5-1": 3_000, "表1-5-2": 3_000}
BASE_MAX = 1000  # sample rows generated per table; more are copies with unique keys
TEMPLATES_2018 = ROOT / "tests" / "fixtures" / "templates-2018"  # the platform's real blank ones
ROSTER_TEMPLATE = ("表1-7 本科生基本情况.xls", " 本科生基本情况")  # today's 表1-6
FILL_ROWS = 50_000
SETS = ["teacher_education", "medical"]  # the supplementary sets with known columns


def plan(schemas: list[TableSchema], total: int) -> dict[str, int]:
    """Rows per table: the big ones as a college's (scaled to ``total``), singles one, the rest
    shared evenly by the other list tables."""
    scale = total / 100_000
    counts = {s.code: 1 for s in schemas if s.row_mode == "single"}
    counts |= {code: int(n * scale) for code, n in BIG.items()}
    others = [s.code for s in schemas if s.code not in counts]
    left = total - sum(counts.values())
    for i, code in enumerate(others):
        counts[code] = left // len(others) + (1 if i < left % len(others) else 0)
    return counts


def rows_for(schema: TableSchema, count: int, dates: Any) -> list[list[str]]:
    base = sample_rows(schema, dates, min(count, BASE_MAX))
    if len(base) >= count:
        return base[:count]
    keys = [schema.headers.index(k) for k in schema.key_fields] or [0]
    rows = list(base)
    for i in range(len(base), count):
        row = list(base[i % len(base)])
        for k in keys:
            row[k] = f"{row[k]}{i:06d}"
        rows.append(row)
    return rows


def build(total: int) -> tuple[Cycle, User, int]:
    call_command("migrate", verbosity=0)
    office = User.objects.create_superuser(username="office", name="办公室", password="x")
    unit = Unit.objects.create(code="1002", name="教务处", kind=Unit.Kind.FUNCTIONAL)
    cycle, _added = catalog_load(actor=office, year=YEAR)
    cycle = cycle_supplements_set(actor=office, cycle=cycle, supplements=SETS)
    for table in cycle.tables.filter(fields__isnull=False).distinct():
        assignment_set(actor=office, cycle=cycle, table=table, responsible_unit=unit)
    breakdown_publish(actor=office, cycle=cycle)
    dates = cycle.dates()
    reports = list(
        TableReport.objects.filter(assignment__cycle=cycle).select_related("assignment__table")
    )
    counts = plan([table_schema(r.assignment.table) for r in reports], total)
    rows = 0
    for report in reports:
        schema = table_schema(report.assignment.table)
        data = rows_for(schema, counts[schema.code], dates)
        workflow.table_report_import_approved(
            actor=office, report=report, headers=schema.headers, rows=data
        )
        rows += len(data)
    return cycle, office, rows


def caiji(cycle: Cycle) -> tuple[float, int]:
    out = io.BytesIO()
    start = time.perf_counter()
    package_write(cycle, out)
    return time.perf_counter() - start, len(out.getvalue())


def _stored(cycle: Cycle) -> Any:
    """The approved rows as the export reads them, table by table."""
    for report in TableReport.objects.filter(assignment__cycle=cycle).select_related(
        "assignment__table"
    ):
        schema = table_schema(report.assignment.table)
        data = unpack(report.merged_blob)
        assert isinstance(data, dict)
        yield schema, data["rows"]


def _typed(schema: TableSchema, row: list[str]) -> list[object]:
    return [
        (float(v) if "." in v else int(v))
        if f.type in NUMERIC and v and is_plain_number(v)
        else (v or None)
        for f, v in zip(schema.fields, row, strict=True)
    ]


def openpyxl_write_only(cycle: Cycle) -> float:
    start = time.perf_counter()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for schema, rows in _stored(cycle):
            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet(schema.sheet_name)
            sheet.append(schema.headers)
            for row in rows:
                sheet.append(_typed(schema, row))
            data = io.BytesIO()
            book.save(data)
            archive.writestr(table_filename(schema), data.getvalue())
    return time.perf_counter() - start


def xlsxwriter_constant_memory(cycle: Cycle) -> float:
    start = time.perf_counter()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for schema, rows in _stored(cycle):
            data = io.BytesIO()
            book = xlsxwriter.Workbook(data, {"constant_memory": True, "in_memory": True})
            sheet = book.add_worksheet(schema.sheet_name)
            sheet.write_row(0, 0, schema.headers)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(_typed(schema, row)):
                    if isinstance(value, str):
                        sheet.write_string(r, c, value)
                    elif value is not None:
                        sheet.write_number(r, c, value)  # type: ignore[arg-type]
            book.close()
            archive.writestr(table_filename(schema), data.getvalue())
    return time.perf_counter() - start


def _key(headers: list[str]) -> tuple[str, ...]:
    return tuple(sorted(header_key(h) for h in headers))


def attach_templates(cycle: Cycle, office: User) -> int:
    """Every assigned table whose columns a real 2018 blank template has gets it loaded, as
    the pack import would; returns how many."""
    specs = {}
    for report in TableReport.objects.filter(assignment__cycle=cycle).select_related(
        "assignment__table"
    ):
        spec = report.assignment.table
        specs.setdefault(_key(table_schema(spec).headers), spec)
    loaded = 0
    for path in sorted(TEMPLATES_2018.glob("*.xls")):
        content = path.read_bytes()
        sheet = str(CalamineWorkbook.from_filelike(io.BytesIO(content)).sheet_names[0])
        headers = [h for _i, h in template_headers(TemplateSource("xls", content, sheet, 1))]
        spec = specs.pop(_key(headers), None)
        if spec is None:
            continue
        template = TemplateFile(
            table_code=spec.code,
            filename=path.name,
            kind="xls",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            sheet_name=sheet,
            headers=headers,
            uploaded_by=office,
            uploaded_at=timezone.now(),
        )
        template.file.save(path.name, ContentFile(content), save=False)
        template.save()
        spec.template = template
        spec.save(update_fields=["template"])
        loaded += 1
    return loaded


def fill_50k(cycle: Cycle, runs: int) -> dict[str, Any]:
    """One 50,000-row table (表1-6 本科生) in caiji's layout, in its real .xls template and in
    the same template as .xlsx (medians of ``runs``)."""
    schema = table_schema(cycle.tables.get(code="表1-6"))
    rows = rows_for(schema, FILL_ROWS, cycle.dates())
    name, sheet = ROSTER_TEMPLATE
    xls = TemplateSource("xls", (TEMPLATES_2018 / name).read_bytes(), sheet, 1)
    xlsx = as_xlsx(xls)
    ways = {
        "caiji_layout": lambda: table_xlsx(schema, rows),
        "xls_template": lambda: fill_template(xls, schema, rows).content,
        "xlsx_template": lambda: fill_template(xlsx, schema, rows).content,
    }
    result: dict[str, Any] = {"rows": len(rows), "columns": len(schema.fields)}
    for way, write in ways.items():
        times = []
        for _ in range(max(runs, 1)):
            start = time.perf_counter()
            content = write()
            times.append(time.perf_counter() - start)
        result[f"{way}_seconds"] = round(statistics.median(times), 3)
        result[f"{way}_bytes"] = len(content)
        print(f"{FILL_ROWS} rows, {way}: {result[f'{way}_seconds']:.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-runs", type=int, default=1)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "export.json"))
    args = parser.parse_args()
    print(
        f"building the cycle ({args.rows} rows over every catalog table with columns) …", flush=True
    )
    cycle, office, rows = build(args.rows)
    tables = cycle.assignments.count()
    runs = []
    size = 0
    for _ in range(max(args.runs, 1)):
        seconds, size = caiji(cycle)
        runs.append(round(seconds, 3))
        print(f"caiji package: {seconds:.2f} s", flush=True)
    peer = []
    for _ in range(max(args.peer_runs, 1)):
        peer.append(round(openpyxl_write_only(cycle), 3))
        print(f"openpyxl write-only: {peer[-1]:.2f} s", flush=True)
    other = round(xlsxwriter_constant_memory(cycle), 3)
    print(f"xlsxwriter constant-memory (for the record): {other:.2f} s", flush=True)
    ours, theirs = statistics.median(runs), statistics.median(peer)
    loaded = attach_templates(cycle, office)
    templated = []
    templated_size = 0
    for _ in range(max(args.runs, 1)):
        seconds, templated_size = caiji(cycle)
        templated.append(round(seconds, 3))
        print(f"caiji package, {loaded} tables in their .xls template: {seconds:.2f} s", flush=True)
    filled = fill_50k(cycle, args.runs)
    result = {
        "rows": rows,
        "tables": tables,
        "caiji_seconds": ours,
        "openpyxl_write_only_seconds": theirs,
        "ratio": round(theirs / ours, 1),
        "xlsxwriter_constant_memory_seconds": other,
        "package_bytes": size,
        "templates_loaded": loaded,
        "caiji_with_templates_seconds": statistics.median(templated),
        "package_with_templates_bytes": templated_size,
        "fill_50k": filled,
        "runs": {"caiji": runs, "openpyxl_write_only": peer, "caiji_with_templates": templated},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": date.today().isoformat(),
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"\n{rows} rows, {tables} tables: caiji {ours:.2f} s (target ≤ 8 s), openpyxl write-only "
        f"{theirs:.2f} s, ratio {result['ratio']}× (target ≥ 1.5×); package {size / 1e6:.1f} MB"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
