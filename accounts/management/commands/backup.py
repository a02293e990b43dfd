"""``manage.py backup [--output PATH]``: the database and the file store in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from config.backup import BackupError, backup_create


def describe(manifest: dict[str, object]) -> str:
    summary = manifest["summary"]
    assert isinstance(summary, dict)
    return (
        f"年度采集 {summary.get('cycles', 0)} 个，数据表 {summary.get('table_specs', 0)} 张，"
        f"单位填报 {summary.get('contributions', 0)} 份，版本 {summary.get('versions', 0)} 个，"
        f"表汇总 {summary.get('table_reports', 0)} 张，操作记录 {summary.get('events', 0)} 条，"
        f"文件 {summary.get('files', 0)} 个"
    )


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump -Fc) and the file "
        "store (MEDIA_ROOT) into one .tar with a manifest (sha256 of every file, row counts, "
        "migrations). The site may keep running."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--output",
            default=None,
            help="The .tar to write, or a directory for caiji-<time>.tar "
            "(default: CAIJI_DATA_DIR/backups/).",
        )
        parser.add_argument(
            "--pg-bin",
            default=None,
            help="Directory holding pg_dump (default: /usr/lib/postgresql/<server version>/bin, "
            "then PATH).",
        )

    def handle(self, *args: object, **options: object) -> None:
        output = Path(str(options["output"])) if options["output"] else None
        pg_bin = Path(str(options["pg_bin"])) if options["pg_bin"] else None
        try:
            manifest = backup_create(output, pg_bin=pg_bin)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OperationalError as exc:
            raise CommandError(
                f"无法连接数据库（{str(exc).strip()}）：检查 DATABASE_URL，数据库服务器是否在运行、"
                "数据库是否已创建。"
            ) from exc
        tables = manifest["tables"]
        assert isinstance(tables, dict)
        self.stdout.write(
            f"备份已写入 {manifest['path']}：{len(tables)} 张数据库表共 {sum(tables.values())} 行；"
            f"{describe(manifest)}。"
        )
