import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from collection.models import Cycle
from collection.schema import CycleDates, RejectedFile, Severity
from collection.selectors import cycle_latest, schema_for
from collection.services.uploads import check_file

SEVERITY_LABELS = {Severity.ERROR: "错误", Severity.EXPLAIN: "需说明", Severity.HINT: "提示"}


class Command(BaseCommand):
    help = (
        "Check a filled template offline, with the same findings as the web page. "
        "Exit 0: no error; 1: errors found; 2: the file was refused."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("table", help="Table code, e.g. 表5-1-1 (the 表 may be left out).")
        parser.add_argument("file", type=Path)
        parser.add_argument("--cycle", type=int, help="Year of the cycle (default: the latest).")
        parser.add_argument("--json", action="store_true", help="Print a JSON object.")

    def handle(self, *args: object, **options: object) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        code = str(options["table"]).strip()
        code = code if code.startswith("表") else f"表{code}"
        if options["cycle"]:
            cycle = Cycle.objects.filter(year=options["cycle"]).first()
            if cycle is None:
                raise CommandError(
                    f"没有 {options['cycle']} 年度的采集，请先运行 load_catalog --cycle {options['cycle']}。"
                )
        else:
            cycle = cycle_latest()
        schema = schema_for(code, cycle)
        if schema is None:
            raise CommandError(f"没有找到表 {code}。请检查表号，例如 表5-1-1。")
        path: Path = options["file"]  # type: ignore[assignment]
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}。")
        dates = cycle.dates() if cycle else CycleDates.for_year(timezone.localdate().year)
        try:
            sheet, findings = check_file(schema, path.read_bytes(), path.name, dates)
        except RejectedFile as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"rejected": str(exc)}, ensure_ascii=False))
            else:
                self.stderr.write(f"文件被拒绝：{exc}")
            sys.exit(2)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "table": schema.code,
                        "rows": len(sheet.rows),
                        "findings": [
                            {
                                "row": f.row,
                                "column": f.column,
                                "severity": f.severity.value,
                                "value": f.value,
                                "message": f.message,
                            }
                            for f in findings
                        ],
                    },
                    ensure_ascii=False,
                )
            )
        else:
            self.stdout.write(
                f"{schema.code} {schema.name}：读取 {len(sheet.rows)} 行，发现 {len(findings)} 个问题。"
            )
            for f in findings:
                where = f"第 {f.row} 行" if f.row else "整表"
                column = f" {f.column_letter or ''}列「{f.column}」" if f.column else ""
                value = f" 值「{f.value}」" if f.value else ""
                self.stdout.write(
                    f"[{SEVERITY_LABELS[f.severity]}] {where}{column}{value}：{f.message}"
                )
        if any(f.severity == Severity.ERROR for f in findings):
            sys.exit(1)
