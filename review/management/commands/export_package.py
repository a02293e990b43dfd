"""``manage.py export_package --cycle 2026 --out 2026.zip [--include-unapproved]``: the cycle's
approved tables as the platform's import files in one package (review/export.py)."""

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.audit import event_record
from collection.models import Cycle
from review.export import UNAPPROVED_DIR, marked_path, package_write


class Command(BaseCommand):
    help = (
        "Export the cycle's approved tables as the national platform's import files: one .zip "
        "with a file per table, a JSON file per table, manifest.json and 汇总.xlsx."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cycle", type=int, required=True, help="The cycle's year.")
        parser.add_argument("--out", required=True, help="The .zip file to write.")
        parser.add_argument(
            "--include-unapproved",
            action="store_true",
            help=(
                "Also export tables not yet approved (their current merge), in a folder and a "
                "file name that say so. Such a package must not be uploaded to the platform."
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        cycle = Cycle.objects.filter(year=options["cycle"]).first()
        if cycle is None:
            raise CommandError(f"没有 {options['cycle']} 年度的采集。")
        include = bool(options["include_unapproved"])
        out = Path(marked_path(str(options["out"])) if include else str(options["out"]))
        if not out.parent.is_dir():
            raise CommandError(f"目录 {out.parent} 不存在。")
        # Written next to the target and renamed when complete: never a half-written package.
        fd, temporary = tempfile.mkstemp(dir=out.parent, prefix=".caiji-export-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as handle:
                package = package_write(
                    cycle, handle, include_unapproved=include, filename=out.name
                )
            os.replace(temporary, out)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        sha = hashlib.sha256(out.read_bytes()).hexdigest()
        event_record(
            actor=None,
            action="cycle.export",
            obj=cycle,
            content_hash=sha,
            data={
                "file": out.name,
                "tables": len(package.tables),
                "rows": package.rows,
                "unapproved": package.unapproved,
                "complete": package.complete,
                "command_line": True,
            },
        )
        self.stdout.write(f"已导出 {len(package.tables)} 张表、{package.rows} 行数据：{out}")
        self.stdout.write(f"SHA-256：{sha}")
        if package.unapproved:
            self.stdout.write(
                self.style.WARNING(
                    f"注意：含 {len(package.unapproved)} 张未审定的表（在“{UNAPPROVED_DIR}”文件夹中），"
                    "请勿上传到国家平台。"
                )
            )
        if package.not_included:
            self.stdout.write(f"未包含 {len(package.not_included)} 张表（见 汇总.xlsx）。")
        for warning in package.warnings:  # layouts: template missing, too long for .xls …
            self.stdout.write(self.style.WARNING(f"提醒：{warning}"))
