"""``manage.py import_previous --cycle 2026 --package 2025.zip``: last year's exported package as
the previous cycle's approved data (review/yoy_import.py)."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import Unit
from collection.models import Cycle
from review.yoy_import import previous_import


class Command(BaseCommand):
    help = (
        "Import last year's exported package (a .zip with one .xlsx per table) as the previous "
        "cycle's approved data, so that this cycle's tables are compared with last year."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cycle", type=int, required=True, help="This cycle's year.")
        parser.add_argument("--package", required=True, help="The .zip file.")
        parser.add_argument(
            "--unit",
            default="",
            help="Code of the unit responsible for tables this cycle's breakdown does not assign.",
        )

    def handle(self, *args: object, **options: object) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        cycle = Cycle.objects.filter(year=options["cycle"]).first()
        if cycle is None:
            raise CommandError(f"没有 {options['cycle']} 年度的采集。")
        path = Path(str(options["package"]))
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}。")
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"没有代码为 {options['unit']} 的单位。")
        try:
            result = previous_import(
                actor=None, cycle=cycle, content=path.read_bytes(), fallback_unit=unit
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if result.problem:
            raise CommandError(result.problem)
        for t in result.tables:
            if t.refused:
                self.stderr.write(f"{t.filename} {t.code}: {t.refused}")
            else:
                self.stdout.write(f"{t.code} {t.name}: {t.rows} 行（{t.filename}）")
        if not result.imported:
            raise CommandError("有数据表未能导入，未导入任何数据。")
        self.stdout.write(f"已导入 {len(result.tables)} 张表，作为 {result.year} 年度的审定数据。")
